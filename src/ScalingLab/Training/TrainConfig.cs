using System.Text.Json;
using System.Text.Json.Serialization;
using ScalingLab.Common;
using ScalingLab.Data;

namespace ScalingLab.Training;

/// <summary>
/// How a model is trained, saved as train.json in the run folder (snake_case keys). Every field that changes the
/// bits of the result is here, so a run folder says exactly how to reproduce or resume it.
/// </summary>
public sealed record TrainConfig
{
    /// <summary>Data folder (a TokenDataset); null when the trainer was given token arrays directly.</summary>
    [JsonPropertyName("data")] public string? Data { get; init; }
    /// <summary>Training tokens in total (rounded up to whole steps).</summary>
    [JsonPropertyName("tokens")] public long Tokens { get; init; } = 1_000_000;
    /// <summary>Sequences per micro-batch.</summary>
    [JsonPropertyName("batch")] public int Batch { get; init; } = 32;
    /// <summary>Tokens per sequence T.</summary>
    [JsonPropertyName("seq")] public int Seq { get; init; } = 128;
    /// <summary>Micro-batches per update (gradient accumulation).</summary>
    [JsonPropertyName("accum")] public int Accum { get; init; } = 1;
    /// <summary>Peak learning rate.</summary>
    [JsonPropertyName("lr")] public double Lr { get; init; } = 1e-3;
    /// <summary>Floor of the cosine decay, as a fraction of the peak (Chinchilla and Pythia use 0.1).</summary>
    [JsonPropertyName("min_lr_ratio")] public double MinLrRatio { get; init; } = 0.1;
    /// <summary>Linear warmup steps; -1 = 5% of the steps (at least 1).</summary>
    [JsonPropertyName("warmup")] public long Warmup { get; init; } = -1;
    /// <summary>AdamW β1.</summary>
    [JsonPropertyName("beta1")] public float Beta1 { get; init; } = 0.9f;
    /// <summary>AdamW β2.</summary>
    [JsonPropertyName("beta2")] public float Beta2 { get; init; } = 0.95f;
    /// <summary>AdamW ε.</summary>
    [JsonPropertyName("eps")] public float Eps { get; init; } = 1e-8f;
    /// <summary>Decoupled weight decay on matrices.</summary>
    [JsonPropertyName("weight_decay")] public float WeightDecay { get; init; } = 0.1f;
    /// <summary>Clip the gradient to this global L2 norm; 0 = no clipping.</summary>
    [JsonPropertyName("grad_clip")] public double GradClip { get; init; } = 1.0;
    /// <summary>Seed of initialisation and data order.</summary>
    [JsonPropertyName("seed")] public ulong Seed { get; init; } = 1;
    /// <summary>Evaluate every this many steps; -1 = 20 evaluations over the run.</summary>
    [JsonPropertyName("eval_every")] public long EvalEvery { get; init; } = -1;
    /// <summary>Validation windows in the fixed evaluation set.</summary>
    [JsonPropertyName("eval_windows")] public int EvalWindows { get; init; } = 64;
    /// <summary>Checkpoint every this many steps after the log-spaced ones; -1 = 10 over the run, 0 = none.</summary>
    [JsonPropertyName("ckpt_every")] public long CkptEvery { get; init; } = -1;
    /// <summary>Checkpoints at powers of two up to this step (Pythia: 512).</summary>
    [JsonPropertyName("ckpt_log_until")] public long CkptLogUntil { get; init; } = 512;
    /// <summary>Threads for GEMM and kernels (part of the config: the bits depend on it).</summary>
    [JsonPropertyName("threads")] public int Threads { get; init; } = 2;
    /// <summary>GEMM backend: auto, managed, openblas or reference.</summary>
    [JsonPropertyName("gemm")] public string Gemm { get; init; } = "auto";
    /// <summary>
    /// Where windows lie (<see cref="WindowLayout"/>): "stream" (a grid over the token stream), "aligned" (every window
    /// starts on a separator and packs whole documents), or null / "auto" = decided by the data (<see cref="ForData"/>:
    /// aligned for line-structured data such as Question-Formation, stream otherwise; stream when no data folder is
    /// known). A train.json written before this setting existed has none and meant stream.
    /// </summary>
    [JsonPropertyName("windows")] public string? Windows { get; init; }
    /// <summary>Separator token id of aligned windows (the data's end-of-text id); −1 = none.</summary>
    [JsonPropertyName("separator")] public int Separator { get; init; } = -1;

    /// <summary>
    /// Arithmetic of the layer products: fp32, or bf16 (mixed precision through oneDNN; see Tensors.Precision). Written
    /// resolved ("auto" becomes what the CPU got), so a resumed run keeps its arithmetic.
    /// </summary>
    [JsonPropertyName("precision")] public string Precision { get; init; } = "fp32";

    /// <summary>
    /// Sweeps' train.repeat: true lets a run's tokens exceed the training split, the run then visits its windows epoch
    /// after epoch (multi-epoch training on a fixed set, as in Niu et al.'s D* experiment); null = unset (the window
    /// sampler cycles epochs either way; the sweep spec refuses a data size above the split unless this is true).
    /// </summary>
    [JsonPropertyName("repeat")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public bool? Repeat { get; init; }

    /// <summary>
    /// Sweeps' train.subset: train on the first fraction (0, 1] of the training split only (e.g. 0.01 for Niu et al.'s
    /// "1% of the data"; Sweeps.SweepTraining applies it with Data.PrefixTokens); null = the whole split.
    /// </summary>
    [JsonPropertyName("subset")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? Subset { get; init; }

    /// <summary>Tokens consumed by one update.</summary>
    [JsonIgnore] public long TokensPerStep => (long)Batch * Accum * Seq;

    /// <summary>Updates in the run: ⌈tokens / tokens per step⌉.</summary>
    [JsonIgnore] public long TotalSteps => (Tokens + TokensPerStep - 1) / TokensPerStep;

    /// <summary>
    /// Checks every setting's range; a bad one is a <see cref="UserError"/> carrying the setting's key (train.json's
    /// name), printed as <c>--seq</c> by the CLI and as <c>train.seq</c> by the sweep spec loader.
    /// </summary>
    public TrainConfig Validate()
    {
        static UserError Bad(string key, string problem) => UserError.ForSetting("train", key, problem);
        if (Batch < 1) throw Bad("batch", $"must be ≥ 1 (got {Batch})");
        if (Seq < 1) throw Bad("seq", $"must be ≥ 1 (got {Seq})");
        if (Accum < 1) throw Bad("accum", $"must be ≥ 1 (got {Accum})");
        if (Tokens < 1) throw Bad("tokens", $"must be ≥ 1 (got {Tokens})");
        if (!(Lr > 0) || double.IsInfinity(Lr)) throw Bad("lr", $"must be a positive number (got {Lr})");
        if (MinLrRatio is < 0 or > 1) throw Bad("min_lr_ratio", $"must be in [0, 1] (got {MinLrRatio})");
        if (Warmup < -1) throw Bad("warmup", $"must be ≥ 0, or -1 for 5% of the steps (got {Warmup})");
        if (Beta1 is < 0 or >= 1) throw Bad("beta1", $"must be in [0, 1) (got {Beta1})");
        if (Beta2 is < 0 or >= 1) throw Bad("beta2", $"must be in [0, 1) (got {Beta2})");
        if (!(Eps > 0)) throw Bad("eps", $"must be > 0 (got {Eps})");
        if (WeightDecay < 0) throw Bad("weight_decay", $"must be ≥ 0 (got {WeightDecay})");
        if (GradClip < 0) throw Bad("grad_clip", $"must be ≥ 0 (got {GradClip})");
        if (EvalEvery < -1 || EvalEvery == 0) throw Bad("eval_every", $"must be ≥ 1, or -1 for 20 evaluations (got {EvalEvery})");
        if (EvalWindows < 1) throw Bad("eval_windows", $"must be ≥ 1 (got {EvalWindows})");
        if (CkptEvery < -1) throw Bad("ckpt_every", $"must be ≥ 0, or -1 for 10 per run (got {CkptEvery})");
        if (CkptLogUntil < 0) throw Bad("ckpt_log_until", $"must be ≥ 0 (got {CkptLogUntil})");
        if (Threads < 1) throw Bad("threads", $"must be ≥ 1 (got {Threads})");
        if (!Tensors.Gemm.Backends.Contains(Gemm)) throw Bad("gemm", $"'{Gemm}' is not a backend; use {string.Join(", ", Tensors.Gemm.Backends)}");
        if (Windows is not (null or "auto" or WindowLayout.Stream or WindowLayout.AlignedMode))
            throw Bad("windows", $"must be auto, stream or aligned (got '{Windows}')");
        return this;
    }

    /// <summary>The warmup of a run of <paramref name="steps"/> updates: <see cref="Warmup"/>, or 5% of the steps (at least 1) for −1.</summary>
    public long WarmupSteps(long steps) => Warmup >= 0 ? Warmup : Math.Max(1, steps / 20);

    /// <summary>Checks ranges and replaces the "auto" (-1) fields by concrete values, so train.json records them.</summary>
    public TrainConfig Resolve()
    {
        Validate();
        if (Windows == WindowLayout.AlignedMode && Separator < 0)
            throw new UserError("train: --windows aligned needs a separator token: train on a data folder whose tokenizer has an end-of-text id, or use --windows stream");
        long steps = TotalSteps;
        return this with
        {
            Windows = Windows is null or "auto" ? WindowLayout.Stream : Windows,
            Separator = Windows is null or "auto" or WindowLayout.Stream ? -1 : Separator,
            Precision = Tensors.Precision.Resolve(Precision, "train: --precision"),
            Warmup = WarmupSteps(steps),
            EvalEvery = EvalEvery > 0 ? EvalEvery : Math.Max(1, steps / 20),
            CkptEvery = CkptEvery >= 0 ? CkptEvery : Math.Max(1, steps / 10),
        };
    }

    /// <summary>
    /// Settles what the data decides: with <see cref="Windows"/> null or "auto", aligned windows when the data is
    /// line-structured (<see cref="DataManifest.LineStructured"/>: Question-Formation, or a manifest that asks for them),
    /// stream otherwise; aligned windows take the tokenizer's end-of-text id as separator.
    /// </summary>
    public TrainConfig ForData(DataManifest manifest, ITokenizer tokenizer)
    {
        string mode = Windows is null or "auto" ? (manifest.LineStructured ? WindowLayout.AlignedMode : WindowLayout.Stream) : Windows;
        int sep = mode == WindowLayout.AlignedMode ? (Separator >= 0 ? Separator : tokenizer.EndOfTextId) : -1;
        if (mode == WindowLayout.AlignedMode && sep < 0)
            throw new UserError("train: --windows aligned needs a separator token, but the data's tokenizer has no end-of-text id; use --windows stream");
        return this with { Windows = mode, Separator = sep };
    }

    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true };

    /// <summary>train.json text.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    /// <summary>Reads train.json text; malformed JSON is a one-line <see cref="UserError"/>.</summary>
    public static TrainConfig FromJson(string json)
    {
        try
        {
            return JsonSerializer.Deserialize<TrainConfig>(json, JsonOptions) ?? throw new UserError("train config: empty JSON");
        }
        catch (JsonException e)
        {
            throw new UserError($"train config: malformed JSON ({e.Message.Split('\n')[0]})");
        }
    }
}
