namespace ScalingLab.Model;

/// <summary>
/// Counting parameters and compute for a <see cref="ModelConfig"/>, after Kaplan et al. 2020,
/// "Scaling Laws for Neural Language Models", Table 1. Scaling laws use N, the non-embedding count;
/// MFU and budgets use the FLOP counts. Attention width d_attn = d_model here (heads split d_model).
/// </summary>
public static class ModelAccounting
{
    /// <summary>FLOPs in one PF-day: 1e15 FLOP/s for 86,400 s.</summary>
    public const double FlopsPerPfDay = 1e15 * 86400.0;

    /// <summary>
    /// Kaplan's N, the non-embedding parameter count: N = 2 d_model n_layer (2 d_attn + d_ff)
    /// (QKV 3 d d_attn + output d_attn d + feed-forward 2 d d_ff per layer). Biases and layer norms are left out.
    /// </summary>
    public static long NonEmbeddingParams(ModelConfig c)
    {
        long d = c.DModel, dAttn = c.DModel;
        return 2L * d * c.NLayer * (2L * dAttn + c.DFf);
    }

    /// <summary>
    /// Embedding parameters: token embedding, learned positions (GPT-2 only; NeoX uses rotary), and the separate
    /// output matrix when embeddings are untied (NeoX's embed_out). Kaplan: (n_vocab + n_ctx) d_model for GPT-2.
    /// </summary>
    public static long EmbeddingParams(ModelConfig c)
    {
        long d = c.DModel, v = c.VocabSize;
        return c.Flavour == ModelFlavour.Gpt2 ? (v + c.NCtx) * d : 2 * v * d;
    }

    /// <summary>
    /// Every trainable scalar, matching the tensors of the Hugging Face layouts: per layer two LayerNorms (2·2d),
    /// QKV (3d² + 3d), attention output (d² + d), feed-forward (2 d d_ff + d_ff + d); a final LayerNorm (2d);
    /// plus <see cref="EmbeddingParams"/>. GPT-2 small (V 50257, n_ctx 1024) gives 124,439,808.
    /// </summary>
    public static long TrainableParams(ModelConfig c)
    {
        long d = c.DModel, ff = c.DFf;
        long perLayer = 2 * (2 * d)            // ln_1, ln_2 (weight + bias)
                        + 3 * d * d + 3 * d    // fused QKV
                        + d * d + d            // attention output projection
                        + d * ff + ff          // MLP up
                        + ff * d + d;          // MLP down
        return c.NLayer * perLayer + 2 * d + EmbeddingParams(c);
    }

    /// <summary>
    /// Forward FLOPs per token, every row of Kaplan Table 1: embed 4 d_model, QKV 2 n_layer d_model 3 d_attn,
    /// attention scores and weighted sum 2 n_layer n_ctx d_attn (the context term), output projection
    /// 2 n_layer d_attn d_model, feed-forward 2 n_layer 2 d_model d_ff, de-embed 2 d_model n_vocab.
    /// Equals 2N + 2 n_layer n_ctx d_attn + 4 d_model + 2 d_model n_vocab.
    /// </summary>
    public static double ForwardFlopsPerToken(ModelConfig c)
    {
        double d = c.DModel, dAttn = c.DModel, L = c.NLayer;
        double embed = 4 * d;
        double qkv = 2 * L * d * 3 * dAttn;
        double mask = 2 * L * c.NCtx * dAttn;
        double proj = 2 * L * dAttn * d;
        double ff = 2 * L * 2 * d * c.DFf;
        double deEmbed = 2 * d * c.VocabSize;
        return embed + qkv + mask + proj + ff + deEmbed;
    }

    /// <summary>Kaplan's training compute estimate C ≈ 6 N per token (forward 2N, backward 4N).</summary>
    public static double TrainingFlops6N(ModelConfig c, long tokens) => 6.0 * NonEmbeddingParams(c) * tokens;

    /// <summary>Training compute with the full Table 1 forward count: 3 × forward (backward ≈ 2 × forward) per token.</summary>
    public static double TrainingFlopsExact(ModelConfig c, long tokens) => 3.0 * ForwardFlopsPerToken(c) * tokens;

    /// <summary>FLOPs in PF-days (1 PF-day = 8.64e19 FLOPs).</summary>
    public static double PfDays(double flops) => flops / FlopsPerPfDay;
}
