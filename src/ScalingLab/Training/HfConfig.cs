using System.Text.Json;
using System.Text.Json.Nodes;
using ScalingLab.Common;
using ScalingLab.Model;

namespace ScalingLab.Training;

/// <summary>
/// config.json in the Hugging Face schema of each architecture, so that transformers'
/// <c>AutoModelForCausalLM.from_pretrained(folder)</c> builds the same model: <c>GPT2Config</c> (model_type "gpt2",
/// GPT2LMHeadModel: n_embd, n_layer, n_head, n_inner, n_positions, vocab_size, layer_norm_epsilon,
/// activation_function "gelu_new" = GELU-tanh, tied wte) and <c>GPTNeoXConfig</c> (model_type "gpt_neox",
/// GPTNeoXForCausalLM: hidden_size, num_hidden_layers, num_attention_heads, intermediate_size, rotary_pct,
/// rotary_emb_base, use_parallel_residual, max_position_embeddings, layer_norm_eps, hidden_act "gelu" = GELU-erf,
/// untied embed_out). Reading refuses every setting our model does not compute (one-line <see cref="UserError"/>):
/// an unknown architecture, another activation, GPT-2's layer-index attention scaling, NeoX without attention biases,
/// rotary scaling. Dropout rates are read as 0 (analysis runs the model in evaluation mode).
/// </summary>
public static class HfConfig
{
    /// <summary>Our shape as Hugging Face config.json text.</summary>
    public static string ToJson(ModelConfig c)
    {
        JsonObject o = c.Flavour == ModelFlavour.Gpt2
            ? new JsonObject
            {
                ["architectures"] = new JsonArray("GPT2LMHeadModel"),
                ["model_type"] = "gpt2",
                ["vocab_size"] = c.VocabSize,
                ["n_positions"] = c.NCtx,
                ["n_ctx"] = c.NCtx,
                ["n_embd"] = c.DModel,
                ["n_layer"] = c.NLayer,
                ["n_head"] = c.NHead,
                ["n_inner"] = c.DFf,
                ["activation_function"] = "gelu_new",
                ["resid_pdrop"] = c.Dropout,
                ["embd_pdrop"] = c.Dropout,
                ["attn_pdrop"] = c.Dropout,
                ["layer_norm_epsilon"] = c.LayerNormEps,
                ["initializer_range"] = c.InitStd,
                ["scale_attn_weights"] = true,
                ["scale_attn_by_inverse_layer_idx"] = false,
                ["reorder_and_upcast_attn"] = false,
                ["tie_word_embeddings"] = true,
                ["use_cache"] = true,
                ["torch_dtype"] = "float32",
            }
            : new JsonObject
            {
                ["architectures"] = new JsonArray("GPTNeoXForCausalLM"),
                ["model_type"] = "gpt_neox",
                ["vocab_size"] = c.VocabSize,
                ["max_position_embeddings"] = c.NCtx,
                ["hidden_size"] = c.DModel,
                ["num_hidden_layers"] = c.NLayer,
                ["num_attention_heads"] = c.NHead,
                ["intermediate_size"] = c.DFf,
                ["hidden_act"] = "gelu",
                ["rotary_pct"] = c.RotaryPct,
                ["rotary_emb_base"] = c.RotaryTheta,
                ["use_parallel_residual"] = c.ParallelResidual,
                ["layer_norm_eps"] = c.LayerNormEps,
                ["initializer_range"] = c.InitStd,
                ["hidden_dropout"] = c.Dropout,
                ["attention_dropout"] = c.Dropout,
                ["attention_bias"] = true,
                ["tie_word_embeddings"] = false,
                ["use_cache"] = true,
                ["torch_dtype"] = "float32",
            };
        return o.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n";
    }

    /// <summary>Whether config.json text is in the Hugging Face schema (it names a model_type or architectures).</summary>
    public static bool IsHf(JsonElement root) =>
        root.ValueKind == JsonValueKind.Object && (root.TryGetProperty("model_type", out _) || root.TryGetProperty("architectures", out _));

    /// <summary>
    /// Our shape from a Hugging Face config.json (<paramref name="path"/> names it in errors). Unknown architectures
    /// and settings our model does not compute are one-line errors naming the field.
    /// </summary>
    public static ModelConfig Parse(JsonElement root, string path)
    {
        string type = Str(root, "model_type") ?? "";
        string arch = root.TryGetProperty("architectures", out var a) && a.ValueKind == JsonValueKind.Array && a.GetArrayLength() > 0
                      && a[0].ValueKind == JsonValueKind.String
            ? a[0].GetString() ?? "" : "";
        if (type == "" && arch == "GPT2LMHeadModel") type = "gpt2";
        if (type == "" && arch == "GPTNeoXForCausalLM") type = "gpt_neox";
        UserError Bad(string what) => new($"{path}: {what}");
        return type switch
        {
            "gpt2" => ParseGpt2(root, Bad),
            "gpt_neox" => ParseNeoX(root, Bad),
            _ => throw Bad($"unknown architecture (model_type '{type}', architectures '{arch}'); ScalingLab reads gpt2 (GPT2LMHeadModel) and gpt_neox (GPTNeoXForCausalLM, e.g. Pythia)"),
        };
    }

    private static ModelConfig ParseGpt2(JsonElement r, Func<string, UserError> bad)
    {
        string act = Str(r, "activation_function") ?? "gelu_new";
        if (act is not ("gelu_new" or "gelu_pytorch_tanh"))
            throw bad($"activation_function '{act}' is not computed here; GPT-2 models use gelu_new (GELU, tanh approximation)");
        if (Bool(r, "scale_attn_weights") == false) throw bad("scale_attn_weights false is not supported (attention is scaled by 1/√head_size)");
        if (Bool(r, "scale_attn_by_inverse_layer_idx") == true) throw bad("scale_attn_by_inverse_layer_idx true is not supported");
        if (Bool(r, "add_cross_attention") == true) throw bad("add_cross_attention true is not supported (decoder-only models)");
        if (Bool(r, "tie_word_embeddings") == false) throw bad("tie_word_embeddings false is not supported for GPT-2 (its LM head is wte)");
        int d = Int(r, "n_embd", bad);
        return new ModelConfig
        {
            Flavour = ModelFlavour.Gpt2,
            VocabSize = Int(r, "vocab_size", bad),
            NCtx = IntOr(r, "n_positions", bad) ?? Int(r, "n_ctx", bad),
            DModel = d,
            NLayer = Int(r, "n_layer", bad),
            NHead = Int(r, "n_head", bad),
            DFf = IntOr(r, "n_inner", bad) ?? 4 * d,
            LayerNormEps = (float)(Num(r, "layer_norm_epsilon", bad) ?? 1e-5),
            InitStd = (float)(Num(r, "initializer_range", bad) ?? 0.02),
        }.Validate();
    }

    private static ModelConfig ParseNeoX(JsonElement r, Func<string, UserError> bad)
    {
        string act = Str(r, "hidden_act") ?? "gelu";
        if (act != "gelu") throw bad($"hidden_act '{act}' is not computed here; GPT-NeoX models use gelu (exact, erf)");
        if (Bool(r, "attention_bias") == false) throw bad("attention_bias false is not supported (the model has query_key_value and dense biases)");
        if (r.TryGetProperty("rope_scaling", out var rs) && rs.ValueKind != JsonValueKind.Null)
            throw bad("rope_scaling is not supported; remove it or set it to null");
        double? theta = Num(r, "rotary_emb_base", bad) ?? Num(r, "rope_theta", bad);
        return new ModelConfig
        {
            Flavour = ModelFlavour.NeoX,
            VocabSize = Int(r, "vocab_size", bad),
            NCtx = Int(r, "max_position_embeddings", bad),
            DModel = Int(r, "hidden_size", bad),
            NLayer = Int(r, "num_hidden_layers", bad),
            NHead = Int(r, "num_attention_heads", bad),
            DFf = Int(r, "intermediate_size", bad),
            RotaryPct = Num(r, "rotary_pct", bad) ?? 0.25,
            RotaryBase = theta is null or 10000.0 ? null : theta,
            UseParallelResidual = Bool(r, "use_parallel_residual") == false ? false : null,
            LayerNormEps = (float)(Num(r, "layer_norm_eps", bad) ?? 1e-5),
            InitStd = (float)(Num(r, "initializer_range", bad) ?? 0.02),
        }.Validate();
    }

    /// <summary>True when config.json says the NeoX input and output embeddings are one matrix.</summary>
    public static bool NeoXTied(JsonElement r) => Bool(r, "tie_word_embeddings") == true;

    private static string? Str(JsonElement r, string name) =>
        r.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static bool? Bool(JsonElement r, string name) =>
        r.TryGetProperty(name, out var v) && v.ValueKind is JsonValueKind.True or JsonValueKind.False ? v.GetBoolean() : null;

    private static double? Num(JsonElement r, string name, Func<string, UserError> bad)
    {
        if (!r.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        if (v.ValueKind != JsonValueKind.Number) throw bad($"{name} is not a number");
        return v.GetDouble();
    }

    private static int? IntOr(JsonElement r, string name, Func<string, UserError> bad)
    {
        if (!r.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt32(out int x) || x < 1)
            throw bad($"{name} must be a positive integer (got {v.GetRawText()})");
        return x;
    }

    private static int Int(JsonElement r, string name, Func<string, UserError> bad) =>
        IntOr(r, name, bad) ?? throw bad($"{name} is missing");
}
