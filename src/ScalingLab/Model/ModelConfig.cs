using System.Text.Json;
using System.Text.Json.Serialization;
using ScalingLab.Common;

namespace ScalingLab.Model;

/// <summary>The two architecture families ScalingLab trains.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ModelFlavour>))]
public enum ModelFlavour
{
    /// <summary>GPT-2: learned positions, pre-LayerNorm, GELU (tanh), tied embeddings, sequential residual.</summary>
    [JsonStringEnumMemberName("gpt2")] Gpt2,
    /// <summary>GPT-NeoX / Pythia: rotary on a fraction of head dims, parallel residual, GELU (erf), untied embeddings.</summary>
    [JsonStringEnumMemberName("neox")] NeoX,
}

/// <summary>
/// The shape of a transformer LM, saved as config.json (snake_case keys). A small record, as in nanoGPT.
/// </summary>
public sealed record ModelConfig
{
    [JsonPropertyName("n_layer")] public int NLayer { get; init; } = 2;
    [JsonPropertyName("d_model")] public int DModel { get; init; } = 128;
    [JsonPropertyName("n_head")] public int NHead { get; init; } = 2;
    [JsonPropertyName("d_ff")] public int DFf { get; init; } = 512;
    [JsonPropertyName("n_ctx")] public int NCtx { get; init; } = 128;
    [JsonPropertyName("vocab_size")] public int VocabSize { get; init; } = 256;
    [JsonPropertyName("flavour")] public ModelFlavour Flavour { get; init; } = ModelFlavour.Gpt2;
    /// <summary>NeoX only: the fraction of each head's dimensions that rotary embedding rotates (Pythia uses 0.25).</summary>
    [JsonPropertyName("rotary_pct")] public double RotaryPct { get; init; } = 0.25;
    /// <summary>NeoX only: the rotary base θ (GPTNeoXConfig.rotary_emb_base); null = 10000.</summary>
    [JsonPropertyName("rotary_base"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? RotaryBase { get; init; }
    /// <summary>
    /// NeoX only: x += attn(ln1(x)) + mlp(ln2(x)) (true, Pythia) or x += attn(ln1(x)); x += mlp(ln2(x)) (false);
    /// null = true. GPTNeoXConfig.use_parallel_residual.
    /// </summary>
    [JsonPropertyName("use_parallel_residual"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public bool? UseParallelResidual { get; init; }
    [JsonPropertyName("layer_norm_eps")] public float LayerNormEps { get; init; } = 1e-5f;
    [JsonPropertyName("dropout")] public float Dropout { get; init; }
    /// <summary>σ of the normal initialisation; residual output projections use σ/√(2·n_layer) (GPT-2).</summary>
    [JsonPropertyName("init_std")] public float InitStd { get; init; } = 0.02f;

    /// <summary>Size of one attention head.</summary>
    [JsonIgnore] public int HeadSize => DModel / NHead;

    /// <summary>Whether the blocks use the parallel residual (NeoX unless turned off; never GPT-2).</summary>
    [JsonIgnore] public bool ParallelResidual => Flavour == ModelFlavour.NeoX && (UseParallelResidual ?? true);

    /// <summary>The rotary base θ in effect.</summary>
    [JsonIgnore] public double RotaryTheta => RotaryBase ?? 10000.0;

    /// <summary>Tied input/output embeddings (GPT-2) or separate ones (NeoX).</summary>
    [JsonIgnore] public bool TiedEmbeddings => Flavour == ModelFlavour.Gpt2;

    /// <summary>Throws a <see cref="UserError"/> naming the first inconsistent field.</summary>
    public ModelConfig Validate()
    {
        if (NLayer < 1) throw new UserError($"model: n_layer must be ≥ 1 (got {NLayer})");
        if (DModel < 1) throw new UserError($"model: d_model must be ≥ 1 (got {DModel})");
        if (NHead < 1 || DModel % NHead != 0) throw new UserError($"model: n_head ({NHead}) must divide d_model ({DModel})");
        if (DFf < 1) throw new UserError($"model: d_ff must be ≥ 1 (got {DFf})");
        if (NCtx < 1) throw new UserError($"model: n_ctx must be ≥ 1 (got {NCtx})");
        if (VocabSize < 2) throw new UserError($"model: vocab_size must be ≥ 2 (got {VocabSize})");
        if (RotaryPct is < 0 or > 1) throw new UserError($"model: rotary_pct must be in [0, 1] (got {RotaryPct})");
        if (Flavour == ModelFlavour.NeoX && (int)(HeadSize * RotaryPct) % 2 != 0)
            throw new UserError($"model: rotary dims (head size {HeadSize} × rotary_pct {RotaryPct}) must be even");
        if (!(RotaryTheta > 1)) throw new UserError($"model: rotary_base must be > 1 (got {RotaryTheta})");
        if (Flavour == ModelFlavour.Gpt2 && UseParallelResidual == true)
            throw new UserError("model: use_parallel_residual is a NeoX setting; GPT-2 blocks are sequential");
        if (!(LayerNormEps > 0)) throw new UserError($"model: layer_norm_eps must be > 0 (got {LayerNormEps})");
        if (Dropout is < 0 or >= 1) throw new UserError($"model: dropout must be in [0, 1) (got {Dropout})");
        return this;
    }

    /// <summary>
    /// A named shape "LxD" (e.g. "4x256": 4 layers, d_model 256) with d_ff = 4·d_model and heads of
    /// <paramref name="headSize"/> dims (at least one head).
    /// </summary>
    public static ModelConfig FromShape(string shape, int vocabSize, int nCtx,
                                        ModelFlavour flavour = ModelFlavour.Gpt2, int headSize = 64)
    {
        var parts = shape.Trim().ToLowerInvariant().Split('x');
        if (parts.Length != 2 || !int.TryParse(parts[0], out int layers) || !int.TryParse(parts[1], out int width)
            || layers < 1 || width < 1)
            throw new UserError($"model: '{shape}' is not a shape; write LAYERSxWIDTH, e.g. 4x256");
        int heads = Math.Max(1, width / headSize);
        if (width % heads != 0)
            throw new UserError($"model: width {width} is not a multiple of the head size {headSize}; choose a width divisible by it");
        return new ModelConfig
        {
            NLayer = layers, DModel = width, NHead = heads, DFf = 4 * width, NCtx = nCtx,
            VocabSize = vocabSize, Flavour = flavour,
        }.Validate();
    }

    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true };

    /// <summary>config.json text.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    /// <summary>Reads config.json text; a missing or malformed field is a one-line <see cref="UserError"/>.</summary>
    public static ModelConfig FromJson(string json)
    {
        try
        {
            return (JsonSerializer.Deserialize<ModelConfig>(json, JsonOptions)
                    ?? throw new UserError("model config: empty JSON")).Validate();
        }
        catch (JsonException e)
        {
            throw new UserError($"model config: malformed JSON ({e.Message})");
        }
    }
}
