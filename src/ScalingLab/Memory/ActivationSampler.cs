using ScalingLab.Common;
using ScalingLab.Data;
using ScalingLab.Model;
using ScalingLab.Tensors;
using ScalingLab.Tensors.Kernels;

namespace ScalingLab.Memory;

/// <summary>
/// The vectors of Niu et al.'s radius experiment (App. F.1): random chunks of a token sequence, each run through
/// the model, and for each chunk the last-layer activation that predicts the next token, i.e. the final
/// position's hidden state. Whether the paper took it before or after the final LayerNorm is not recoverable;
/// the default is after it (the vector that feeds the LM head), before it on request.
/// </summary>
public static class ActivationSampler
{
    /// <summary>
    /// Runs <paramref name="model"/> on <paramref name="chunks"/> windows of <c>model.SeqLen</c> tokens drawn at
    /// seeded random starts from <paramref name="tokens"/>, without replacement (<see cref="ChunkStarts"/>: no two
    /// chunks share a start, so no vector is a copy of another by construction), in batches of
    /// <c>model.MaxBatch</c>; returns chunks × d_model floats, row-major. The model's capture sink is used during
    /// the call and restored.
    /// </summary>
    public static float[] FinalPositions(TransformerLm model, ITokenSequence tokens, int chunks, ulong seed,
                                         bool afterFinalNorm = true, Action<double>? progress = null)
    {
        int t = model.SeqLen, c = model.Config.DModel, batchMax = model.MaxBatch;
        if (chunks < 1) throw new UserError($"radius: --chunks must be ≥ 1 (got {chunks})");
        if (tokens.Count < t) throw new UserError($"radius: the token sequence has {tokens.Count} tokens, fewer than one chunk of {t}; lower --seq-len");
        if (tokens.VocabSize > model.Config.VocabSize)
            throw new UserError($"radius: the data's vocabulary ({tokens.VocabSize}) is larger than the model's ({model.Config.VocabSize}); use the shard the model was trained on");
        var result = new float[(long)chunks * c];
        var inputs = new int[batchMax * t];
        var sink = new LastPositionSink(t);
        var starts = ChunkStarts(tokens.Count - t + 1, chunks, seed);
        var previous = model.Capture;
        model.Capture = sink;
        try
        {
            for (int done = 0; done < chunks;)
            {
                int b = Math.Min(batchMax, chunks - done);
                for (int s = 0; s < b; s++) tokens.Read(starts[done + s], inputs.AsSpan(s * t, t));
                sink.Target = result.AsMemory(done * c, b * c);
                model.Forward(inputs.AsSpan(0, b * t), default, b);
                done += b;
                progress?.Invoke(done / (double)chunks);
            }
        }
        finally
        {
            model.Capture = previous;
        }
        if (afterFinalNorm) ApplyFinalNorm(model, result, c);
        return result;
    }

    /// <summary>
    /// <paramref name="chunks"/> distinct chunk starts drawn uniformly from [0, <paramref name="starts"/>) without
    /// replacement (Floyd's algorithm: every k-subset equally likely), seeded through <see cref="Rng"/>; in draw order.
    /// </summary>
    public static long[] ChunkStarts(long starts, int chunks, ulong seed)
    {
        if (chunks < 1) throw new UserError($"radius: --chunks must be ≥ 1 (got {chunks})");
        if (chunks > starts)
            throw new UserError($"radius: --chunks {chunks} exceeds the {starts} distinct chunk starts of the split; lower --chunks or --seq-len, or use a longer split");
        var rng = new Rng(seed, 0x43484E4BUL);
        var taken = new HashSet<long>(chunks);
        var order = new long[chunks];
        int k = 0;
        for (long j = starts - chunks; j < starts; j++)
        {
            long pick = Math.Min(j, (long)(rng.NextDouble() * (j + 1)));
            if (!taken.Add(pick)) taken.Add(pick = j); // j is new: every earlier pick was ≤ an earlier j
            order[k++] = pick;
        }
        return order;
    }

    // ln_f (gpt2) or final_layer_norm (neox), with the model's own weights and kernel
    private static void ApplyFinalNorm(TransformerLm model, float[] rows, int c)
    {
        string prefix = model.Config.Flavour == ModelFlavour.NeoX ? "final_layer_norm" : "ln_f";
        var w = model.Param(prefix + ".weight");
        var b = model.Param(prefix + ".bias");
        int n = rows.Length / c;
        var mean = new float[n];
        var rstd = new float[n];
        var copy = (float[])rows.Clone();
        LayerNorm.Forward(copy, model.Parameters.AsSpan(w.Offset, w.Length), model.Parameters.AsSpan(b.Offset, b.Length),
                          model.Config.LayerNormEps, rows, mean, rstd, c);
    }

    /// <summary>Copies the final position of every sequence in the batch from the residual stream after the last block.</summary>
    private sealed class LastPositionSink(int seqLen) : ICaptureSink
    {
        public Memory<float> Target { get; set; }

        public IReadOnlyCollection<string> WantedGradients { get; } = [];

        public void OnFinalHidden(ReadOnlySpan<float> hidden, int rows, int dModel)
        {
            var dst = Target.Span;
            for (int s = 0; s < rows / seqLen; s++)
                hidden.Slice(((s + 1) * seqLen - 1) * dModel, dModel).CopyTo(dst.Slice(s * dModel, dModel));
        }

        public void OnAttentionUpdate(int layer, ReadOnlySpan<float> update, int rows, int dModel) { }

        public void OnMlpUpdate(int layer, ReadOnlySpan<float> update, int rows, int dModel) { }

        public void OnGradient(string name, ReadOnlySpan<float> grad, int[] shape) { }
    }
}
