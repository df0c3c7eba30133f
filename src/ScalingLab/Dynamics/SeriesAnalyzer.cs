using ScalingLab.Common;
using ScalingLab.Model;
using ScalingLab.Tensors;
using ScalingLab.Training;

namespace ScalingLab.Dynamics;

/// <summary>
/// Measures one run's checkpoint series (Diehl Martinez et al. 2024, §3–4): every checkpoint is run on the same
/// evaluation batch with an <see cref="ActivationCapture"/>; each layer's ATT and MLP updates are compared with the
/// final checkpoint's by linear CKA, and the effective rank / PER of W_O and the MLP down projection, and of their
/// gradients on the batch, are recorded. One model and one set of buffers serve the whole series.
/// </summary>
public static class SeriesAnalyzer
{
    /// <summary>The complete checkpoints of <paramref name="runDir"/> with their (identical) config; one-line errors otherwise.</summary>
    public static (IReadOnlyList<(long Step, string Path)> Checkpoints, ModelConfig Config) Open(string runDir)
    {
        if (!Directory.Exists(runDir)) throw new UserError($"dynamics: {runDir} is not a folder; give a run folder made by `scalinglab train`");
        var ckpts = new RunFolder(runDir).Checkpoints();
        if (ckpts.Count == 0)
            throw new UserError($"dynamics: {runDir} has no complete checkpoints (ckpt-NNNNNNNN/); train it with checkpoints (the default Pythia-style schedule)");
        if (ckpts.Count < 2)
            throw new UserError($"dynamics: {runDir} has one checkpoint; a series needs at least two (the final one is the reference)");
        ModelConfig? first = null;
        string firstPath = "";
        foreach (var (_, path) in ckpts)
        {
            var cfg = ModelFolder.ReadConfig(path);
            if (first is null) { first = cfg; firstPath = path; }
            else if (cfg != first)
                throw new UserError($"dynamics: checkpoints of different architectures in one series: {Path.GetFileName(firstPath)} is {Describe(first)}, {Path.GetFileName(path)} is {Describe(cfg)}");
        }
        return (ckpts, first!);
    }

    /// <summary>
    /// A series given as checkpoint folders (ours, or Hugging Face folders such as Pythia's step1000, step2000, …
    /// revisions), ordered by step: trainer_state.json's step when present, else the last number in the folder's
    /// name. Every folder must hold the same architecture; the last is the reference.
    /// </summary>
    public static (IReadOnlyList<(long Step, string Path)> Checkpoints, ModelConfig Config) OpenSeries(IReadOnlyList<string> dirs)
    {
        if (dirs.Count < 2) throw new UserError($"dynamics: --series needs at least two checkpoint folders (got {dirs.Count}); the last is the reference");
        var list = new List<(long, string)>();
        ModelConfig? first = null;
        foreach (string dir in dirs)
        {
            var cfg = ModelFolder.ReadConfig(dir);
            if (first is null) first = cfg;
            else if (!ModelFolder.SameModel(cfg, first))
                throw new UserError($"dynamics: checkpoints of different architectures in one series: {dirs[0]} is {Describe(first)}, {dir} is {Describe(cfg)}");
            list.Add((StepOf(dir), dir));
        }
        var steps = list.Select(c => c.Item1).ToList();
        if (steps.Distinct().Count() != steps.Count)
            throw new UserError("dynamics: two --series folders have the same step (from trainer_state.json or the number in the name); give each step once");
        list.Sort((a, b) => a.Item1.CompareTo(b.Item1));
        return (list, first!);
    }

    private static long StepOf(string dir)
    {
        string state = Path.Combine(dir, "trainer_state.json");
        if (File.Exists(state)) return Training.Checkpoints.LoadState(dir).Step;
        var m = System.Text.RegularExpressions.Regex.Match(Path.GetFileName(Path.TrimEndingDirectorySeparator(dir)), @"(\d+)(?!.*\d)");
        if (m.Success && long.TryParse(m.Groups[1].Value, out long step)) return step;
        throw new UserError($"dynamics: cannot tell the step of {dir} (no trainer_state.json and no number in its name, as in step1000); rename it");
    }

    /// <summary>"4x256 gpt2 (d_ff 1024, 4 heads, vocab 512)".</summary>
    public static string Describe(ModelConfig c) =>
        $"{c.NLayer}x{c.DModel} {(c.Flavour == ModelFlavour.Gpt2 ? "gpt2" : "neox")} (d_ff {c.DFf}, {c.NHead} heads, vocab {c.VocabSize}, n_ctx {c.NCtx})";

    /// <summary>
    /// Runs every checkpoint of <paramref name="runDir"/> on <paramref name="batch"/> and measures the series.
    /// <paramref name="layers"/> picks layers (null = all). Progress goes to <paramref name="progress"/>.
    /// </summary>
    public static RunDynamics Analyze(string runDir, EvalBatch batch, IGemm gemm, int threads, IReadOnlyList<int>? layers = null,
                                      TextWriter? progress = null)
    {
        var (ckpts, config) = Open(runDir);
        return Analyze(runDir, ckpts, config, batch, gemm, threads, layers, progress);
    }

    /// <summary>Measures the series <paramref name="ckpts"/> (of <paramref name="config"/>), named <paramref name="runDir"/>.</summary>
    public static RunDynamics Analyze(string runDir, IReadOnlyList<(long Step, string Path)> ckpts, ModelConfig config, EvalBatch batch,
                                      IGemm gemm, int threads, IReadOnlyList<int>? layers = null, TextWriter? progress = null)
    {
        if (batch.SeqLen > config.NCtx) throw new UserError($"dynamics: sequence length {batch.SeqLen} exceeds the model's n_ctx {config.NCtx}");
        var model = new TransformerLm(config, batch.Batch, batch.SeqLen, gemm, threads);
        int n = batch.Batch * batch.SeqLen, D = config.DModel;
        var capture = new ActivationCapture(config, n, layers);
        model.Capture = capture;
        int L = capture.Layers.Length;
        var run = new RunDynamics(runDir, $"{config.NLayer}x{config.DModel}", ckpts.Select(c => c.Step).ToArray(), L)
        {
            LayerIds = capture.Layers,
        };

        // The final checkpoint first: its activations are the references.
        var references = new Dictionary<Site, LinearCka[]>();
        RunCheckpoint(model, ckpts[^1].Path, batch);
        foreach (Site s in Enum.GetValues<Site>())
        {
            references[s] = new LinearCka[L];
            for (int i = 0; i < L; i++)
            {
                references[s][i] = new LinearCka(gemm, n, D);
                references[s][i].SetReference(capture.Updates[s][i], D);
            }
        }

        for (int c = 0; c < ckpts.Count; c++)
        {
            progress?.Write($"\rdynamics: {Path.GetFileName(runDir.TrimEnd('/'))} checkpoint {c + 1}/{ckpts.Count} (step {ckpts[c].Step})   ");
            RunCheckpoint(model, ckpts[c].Path, batch); // the final one too: the buffers hold the previous checkpoint
            foreach (Site s in Enum.GetValues<Site>())
                for (int i = 0; i < L; i++)
                {
                    run.Cka[s][c][i] = references[s][i].Compare(capture.Updates[s][i], D);
                    var w = model.Param(ActivationCapture.WriterName(config, capture.Layers[i], s));
                    var (er, per, _) = EffectiveRank.Of(model.Parameters.AsSpan(w.Offset, w.Length), w.Shape[0], w.Shape[1], threads);
                    run.ParamRank[s][c][i] = er;
                    run.ParamPer[s][c][i] = per;
                    var gs = capture.GradShapes[s][i];
                    var (ger, gper, _) = EffectiveRank.Of(capture.Grads[s][i], gs[0], gs[1], threads);
                    run.GradRank[s][c][i] = ger;
                    run.GradPer[s][c][i] = gper;
                }
        }
        progress?.WriteLine();
        return run;
    }

    private static void RunCheckpoint(TransformerLm model, string ckptDir, EvalBatch batch)
    {
        Training.Checkpoints.LoadWeights(ckptDir, model);
        model.ZeroGradients();
        model.Forward(batch.Inputs, batch.Targets, batch.Batch);
        model.Backward();
    }
}
