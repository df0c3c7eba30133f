using System.Text.Json;
using ScalingLab.Common;
using ScalingLab.Data;
using ScalingLab.Model;
using ScalingLab.Tensors;

namespace ScalingLab.Training;

/// <summary>
/// A model folder in the Hugging Face layout, which every checkpoint is: model.safetensors (state-dict names, see
/// <see cref="HfWeights"/>), config.json in the schema of the architecture (<see cref="HfConfig"/>), the tokenizer
/// (vocab.json + merges.txt for byte-level BPE, see <see cref="HfTokenizerFiles"/>), and our own settings in
/// scalinglab.json (the <see cref="ModelConfig"/>, exact). Loading accepts our checkpoints (also older ones whose
/// config.json was the ModelConfig) and any Hugging Face GPT-2 or GPT-NeoX folder, single or sharded.
/// </summary>
public static class ModelFolder
{
    /// <summary>Our own settings, beside the Hugging Face config.json.</summary>
    public const string OwnConfig = "scalinglab.json";

    /// <summary>The model's shape: scalinglab.json when present, else config.json (Hugging Face schema, or our older one).</summary>
    public static ModelConfig ReadConfig(string dir) => ReadConfigAndTie(dir).Config;

    private static (ModelConfig Config, bool NeoXTied) ReadConfigAndTie(string dir)
    {
        if (!Directory.Exists(dir))
            throw new UserError(File.Exists(dir)
                ? $"checkpoint: {dir} is a file; give the folder that holds it (config.json and model.safetensors), or --llmc FILE for an llm.c checkpoint"
                : $"checkpoint: folder {dir} not found");
        string own = Path.Combine(dir, OwnConfig);
        if (File.Exists(own)) return (ModelConfig.FromJson(ReadSmall(own)), false);
        string cfg = Path.Combine(dir, "config.json");
        if (!File.Exists(cfg))
            throw new UserError($"checkpoint: {dir} has no config.json; give a checkpoint folder (RUN/ckpt-NNNNNNNN) or a Hugging Face model folder");
        string text = ReadSmall(cfg);
        try
        {
            using var doc = JsonDocument.Parse(text);
            if (!HfConfig.IsHf(doc.RootElement)) return (ModelConfig.FromJson(text), false);
            return (HfConfig.Parse(doc.RootElement, cfg), HfConfig.NeoXTied(doc.RootElement));
        }
        catch (JsonException e)
        {
            throw new UserError($"checkpoint: {cfg} is not valid JSON ({e.Message.Split('\n')[0]})");
        }
    }

    private static string ReadSmall(string path)
    {
        long size = new FileInfo(path).Length;
        if (size > HfWeights.MaxJsonBytes) throw new UserError($"checkpoint: {path} has {size} bytes; a config file this large is not a config file");
        return File.ReadAllText(path);
    }

    /// <summary>
    /// A model for batches of <paramref name="maxBatch"/> × <paramref name="seqLen"/> with the weights of
    /// <paramref name="dir"/>; the files are checked against the config before the model is allocated.
    /// </summary>
    public static TransformerLm Load(string dir, int maxBatch, int seqLen, IGemm gemm, int threads = 1)
    {
        var (config, tied) = ReadConfigAndTie(dir);
        var plan = HfWeights.Match(dir, config, TransformerLm.Layout(config), tied);
        var model = new TransformerLm(config, maxBatch, seqLen, gemm, threads);
        HfWeights.Read(plan, model.Parameters);
        return model;
    }

    /// <summary>Copies the weights of <paramref name="dir"/> into <paramref name="model"/>, whose config must match the folder's.</summary>
    public static void LoadWeights(string dir, TransformerLm model)
    {
        var (config, tied) = ReadConfigAndTie(dir);
        if (!SameModel(config, model.Config))
            throw new UserError($"checkpoint: {dir} holds a different model ({Describe(config)}) from the one loaded ({Describe(model.Config)})");
        HfWeights.Read(HfWeights.Match(dir, config, model.Params, tied), model.Parameters);
    }

    /// <summary>Whether two configs compute the same function (initialisation and dropout aside).</summary>
    public static bool SameModel(ModelConfig a, ModelConfig b) =>
        a with { InitStd = 0, Dropout = 0 } == b with { InitStd = 0, Dropout = 0 };

    /// <summary>"gpt2 12x768 (3072 ff, 12 heads, vocab 50257, n_ctx 1024)".</summary>
    public static string Describe(ModelConfig c) =>
        $"{(c.Flavour == ModelFlavour.Gpt2 ? "gpt2" : "neox")} {c.NLayer}x{c.DModel} ({c.DFf} ff, {c.NHead} heads, vocab {c.VocabSize}, n_ctx {c.NCtx})";

    /// <summary>
    /// Writes <paramref name="model"/> into the (new, empty) folder <paramref name="dir"/>: model.safetensors by
    /// Hugging Face name, config.json, scalinglab.json and, when given, the tokenizer's files.
    /// </summary>
    public static void Write(string dir, TransformerLm model, ITokenizer? tokenizer)
    {
        var f = model.Config.Flavour;
        SafeTensors.Write(Path.Combine(dir, "model.safetensors"),
            model.Params.Select(p => (HfWeights.External(f, p.Name), p.Shape, (ReadOnlyMemory<float>)model.Parameters.AsMemory(p.Offset, p.Length))));
        AtomicFile.WriteAllText(Path.Combine(dir, "config.json"), HfConfig.ToJson(model.Config));
        AtomicFile.WriteAllText(Path.Combine(dir, OwnConfig), model.Config.ToJson());
        if (tokenizer is not null) HfTokenizerFiles.Write(dir, tokenizer, model.Config.NCtx);
    }
}
