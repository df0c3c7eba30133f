using System.Text.RegularExpressions;
using ScalingLab.Common;
using ScalingLab.Data;
using ScalingLab.Model;
using ScalingLab.Tensors;

namespace ScalingLab.Training;

/// <summary>
/// The checkpoint store of a run folder. RUN/ckpt-{step:D8}/ is a Hugging Face model folder (<see cref="ModelFolder"/>:
/// model.safetensors by state-dict name, float32; config.json in the architecture's HF schema; scalinglab.json, the
/// ModelConfig; the tokenizer's files) plus optimizer.safetensors (AdamW moments "exp_avg.NAME", "exp_avg_sq.NAME",
/// as PyTorch names them, by our parameter names) and trainer_state.json. A checkpoint folder is built beside its final name and renamed
/// into place (<see cref="AtomicFile.WriteDirectory"/>), so a folder with that name is always complete; its
/// manifest.json (<see cref="CheckpointManifest"/>) lets a resume tell whether it is still intact.
/// </summary>
public static partial class Checkpoints
{
    /// <summary>The files of a complete checkpoint.</summary>
    public static readonly string[] Files = ["model.safetensors", "config.json", "optimizer.safetensors", "trainer_state.json"];

    [GeneratedRegex(@"^ckpt-(\d{8,})$")]
    private static partial Regex CkptName();

    /// <summary>The folder name of the checkpoint at <paramref name="step"/>.</summary>
    public static string DirName(long step) => $"ckpt-{step:D8}";

    /// <summary>Complete checkpoints of <paramref name="runDir"/> (all four files present), ascending by step.</summary>
    public static IReadOnlyList<(long Step, string Path)> List(string runDir) =>
        Folders(runDir).Where(c => Files.All(f => File.Exists(Path.Combine(c.Path, f)))).ToList();

    /// <summary>Every folder named like a checkpoint in <paramref name="runDir"/>, complete or not, ascending by step.</summary>
    public static IReadOnlyList<(long Step, string Path)> Folders(string runDir)
    {
        if (!Directory.Exists(runDir)) return [];
        var list = new List<(long, string)>();
        foreach (string dir in Directory.EnumerateDirectories(runDir))
        {
            var m = CkptName().Match(Path.GetFileName(dir));
            if (m.Success && long.TryParse(m.Groups[1].Value, out long step)) list.Add((step, dir));
        }
        list.Sort((a, b) => a.Item1.CompareTo(b.Item1));
        return list;
    }

    /// <summary>
    /// A model built from the checkpoint's config with its weights from model.safetensors; every parameter
    /// must be present with its exact shape, and no unknown tensor may be (see <see cref="ModelFolder.Load"/>).
    /// </summary>
    public static TransformerLm Load(string ckptDir, int maxBatch, int seqLen, IGemm gemm, int threads = 1) =>
        ModelFolder.Load(ckptDir, maxBatch, seqLen, gemm, threads);

    /// <summary>Copies the weights of <paramref name="ckptDir"/> into <paramref name="model"/>, whose config must match the checkpoint's.</summary>
    public static void LoadWeights(string ckptDir, TransformerLm model) => ModelFolder.LoadWeights(ckptDir, model);

    /// <summary>
    /// Writes the checkpoint of <paramref name="step"/> into <paramref name="runDir"/> atomically (with the
    /// tokenizer's files when <paramref name="tokenizer"/> is given); returns its path.
    /// </summary>
    public static string Save(string runDir, long step, TransformerLm model, AdamW optimizer, TrainerState state, ITokenizer? tokenizer = null)
    {
        string path = Path.Combine(runDir, DirName(step));
        AtomicFile.WriteDirectory(path, tmp =>
        {
            ModelFolder.Write(tmp, model, tokenizer);
            SafeTensors.Write(Path.Combine(tmp, "optimizer.safetensors"),
                model.Params.Select(p => ("exp_avg." + p.Name, p.Shape, (ReadOnlyMemory<float>)optimizer.M.AsMemory(p.Offset, p.Length)))
                    .Concat(model.Params.Select(p => ("exp_avg_sq." + p.Name, p.Shape, (ReadOnlyMemory<float>)optimizer.V.AsMemory(p.Offset, p.Length)))));
            File.WriteAllText(Path.Combine(tmp, "trainer_state.json"), state.ToJson());
            CheckpointManifest.Write(tmp); // last: hashes whatever files the checkpoint holds
        }, expectedBytes: 3L * sizeof(float) * model.Parameters.Length + (1 << 16));
        return path;
    }

    /// <summary>Restores AdamW's moments from optimizer.safetensors of <paramref name="ckptDir"/>.</summary>
    public static void LoadOptimizer(string ckptDir, IReadOnlyList<ParamView> views, AdamW optimizer)
    {
        var tensors = SafeTensors.Read(Path.Combine(ckptDir, "optimizer.safetensors"));
        var m = tensors.Where(kv => kv.Key.StartsWith("exp_avg.", StringComparison.Ordinal)).ToDictionary();
        var v = tensors.Where(kv => kv.Key.StartsWith("exp_avg_sq.", StringComparison.Ordinal)).ToDictionary();
        if (m.Count + v.Count != tensors.Count)
            throw new UserError($"checkpoint: {ckptDir}/optimizer.safetensors holds tensors that are not exp_avg.* or exp_avg_sq.*");
        CopyInto(m, views, "exp_avg.", optimizer.M, ckptDir);
        CopyInto(v, views, "exp_avg_sq.", optimizer.V, ckptDir);
    }

    /// <summary>Reads trainer_state.json of <paramref name="ckptDir"/>.</summary>
    public static TrainerState LoadState(string ckptDir)
    {
        string path = Path.Combine(ckptDir, "trainer_state.json");
        return TrainerState.FromJson(File.ReadAllText(path), path);
    }

    private static void CopyInto(IReadOnlyDictionary<string, (int[] Shape, float[] Data)> tensors, IReadOnlyList<ParamView> views,
                                 string prefix, float[] block, string ckptDir)
    {
        foreach (var p in views)
        {
            if (!tensors.TryGetValue(prefix + p.Name, out var t))
                throw new UserError($"checkpoint: {ckptDir} lacks tensor '{prefix + p.Name}'; it was saved by a different model");
            if (!t.Shape.SequenceEqual(p.Shape))
                throw new UserError($"checkpoint: tensor '{prefix + p.Name}' in {ckptDir} has shape [{string.Join(",", t.Shape)}], the model expects [{string.Join(",", p.Shape)}]");
            t.Data.CopyTo(block.AsSpan(p.Offset, p.Length));
        }
        var known = views.Select(p => prefix + p.Name).ToHashSet();
        string? extra = tensors.Keys.FirstOrDefault(k => !known.Contains(k));
        if (extra is not null) throw new UserError($"checkpoint: {ckptDir} holds tensor '{extra}' that the model does not have");
    }
}
