using ScalingLab.Model;
using ScalingLab.Tensors;
using ScalingLab.Tests.Tensors.Kernels;

namespace ScalingLab.Tests.Model;

public class TransformerLmTests
{
    internal static ModelConfig Tiny(ModelFlavour flavour, int layers = 2) => new()
    {
        NLayer = layers, DModel = 8, NHead = 2, DFf = 32, NCtx = 5, VocabSize = 11, Flavour = flavour,
        RotaryPct = 0.5, InitStd = 0.3f, // larger weights than training's 0.02 so every path carries a visible gradient
    };

    internal static (int[] X, int[] Y) Batch(int batch, int T, int vocab, ulong seed)
    {
        var rng = new Rng(seed);
        var x = new int[batch * T]; var y = new int[batch * T];
        for (int i = 0; i < x.Length; i++) { x[i] = rng.NextInt(vocab); y[i] = rng.NextInt(vocab); }
        return (x, y);
    }

    /// <summary>
    /// The whole model's analytic gradient (float32) against float64 central differences of the independent
    /// reference. Tolerance |g − g_ref| ≤ 2e-3·|g_ref| + 1e-4·max|g_ref|: the float32 forward and backward carry
    /// relative rounding of ~1e-6 per op through ~10² ops; the float64 differences are accurate to ~1e-9.
    /// </summary>
    /// <remarks>With <paramref name="masked"/>, a third of the targets are <see cref="TransformerLm.IgnoreTarget"/>: the
    /// loss is the mean over the others and the ignored rows add no gradient.</remarks>
    [Theory]
    [InlineData(ModelFlavour.Gpt2, false)]
    [InlineData(ModelFlavour.NeoX, false)]
    [InlineData(ModelFlavour.Gpt2, true)]
    [InlineData(ModelFlavour.NeoX, true)]
    public void GradientMatchesFloat64FiniteDifferences(ModelFlavour flavour, bool masked)
    {
        var cfg = Tiny(flavour);
        const int B = 2, T = 5;
        var m = new TransformerLm(cfg, B, T, new ReferenceGemm());
        m.InitializeWeights(7);
        // Non-zero biases and LN parameters, so their gradients are checked in a general position.
        var rng = new Rng(99);
        foreach (var p in m.Params.Where(v => v.Shape.Length == 1))
            for (int i = 0; i < p.Length; i++) m.Parameters[p.Offset + i] += (float)(0.2 * rng.NextNormal());
        var (x, y) = Batch(B, T, cfg.VocabSize, 3);
        if (masked) for (int i = 1; i < y.Length; i += 3) y[i] = TransformerLm.IgnoreTarget;

        m.ZeroGradients();
        float loss = m.Forward(x, y, B);
        m.Backward();

        var theta = Fd.ToDouble(m.Parameters);
        var reference = new ReferenceLm(cfg, m.Params);
        Assert.Equal(reference.Loss(theta, x, y, B, T), loss, 5);
        var expected = Fd.Gradient(theta, th => reference.Loss(th, x, y, B, T));
        double max = expected.Max(Math.Abs);
        foreach (var p in m.Params)
            Fd.Close(expected.AsSpan(p.Offset, p.Length), m.Gradients.AsSpan(p.Offset, p.Length), 2e-3, 1e-4 * max, p.Name);
        // Every parameter tensor got some gradient (no path is silently cut off), except wpe rows past seqLen.
        foreach (var p in m.Params)
            Assert.True(m.Gradients.AsSpan(p.Offset, p.Length).ToArray().Any(g => g != 0), $"{p.Name} has no gradient");
    }

    [Fact]
    public void TiedEmbeddingGradientAccumulatesBothUses()
    {
        var cfg = Tiny(ModelFlavour.Gpt2, layers: 1);
        const int B = 1, T = 4;
        var m = new TransformerLm(cfg, B, T, new ReferenceGemm());
        m.InitializeWeights(11);
        var (x, y) = Batch(B, T, cfg.VocabSize, 12);
        m.ZeroGradients();
        m.Forward(x, y, B);
        m.Backward();

        // Split the reference's wte into an input copy and a head copy and differentiate each separately.
        var theta = Fd.ToDouble(m.Parameters);
        var wte = m.Param("wte.weight");
        var reference = new ReferenceLm(cfg, m.Params) { UntiedHead = theta.AsSpan(wte.Offset, wte.Length).ToArray() };
        var gInput = Fd.Gradient(theta, th => reference.Loss(th, x, y, B, T)).AsSpan(wte.Offset, wte.Length).ToArray();
        var head = reference.UntiedHead;
        var gHead = Fd.Gradient(head, _ => reference.Loss(theta, x, y, B, T));
        Assert.Contains(gInput, g => Math.Abs(g) > 1e-4);
        Assert.Contains(gHead, g => Math.Abs(g) > 1e-4);
        var sum = gInput.Zip(gHead, (a, b) => a + b).ToArray();
        double max = sum.Max(Math.Abs);
        Fd.Close(sum, m.Gradients.AsSpan(wte.Offset, wte.Length), 2e-3, 1e-4 * max, "wte");
    }

    [Theory]
    [InlineData(ModelFlavour.Gpt2)]
    [InlineData(ModelFlavour.NeoX)]
    public void AdamMemorisesATinyRepeatedBatch(ModelFlavour flavour)
    {
        var cfg = Tiny(flavour) with { DModel = 16, DFf = 64, NCtx = 8, InitStd = 0.02f };
        const int B = 2, T = 8;
        var m = new TransformerLm(cfg, B, T, new ReferenceGemm());
        m.InitializeWeights(5);
        var (x, y) = Batch(B, T, cfg.VocabSize, 6);
        // Plain Adam (Kingma & Ba), written here so the test does not depend on the trainer.
        var mom = new double[m.Parameters.Length]; var vel = new double[m.Parameters.Length];
        float first = 0, last = 0;
        for (int step = 1; step <= 300; step++)
        {
            m.ZeroGradients();
            last = m.Forward(x, y, B);
            if (step == 1) first = last;
            m.Backward();
            for (int i = 0; i < mom.Length; i++)
            {
                double g = m.Gradients[i];
                mom[i] = 0.9 * mom[i] + 0.1 * g;
                vel[i] = 0.999 * vel[i] + 0.001 * g * g;
                double mh = mom[i] / (1 - Math.Pow(0.9, step)), vh = vel[i] / (1 - Math.Pow(0.999, step));
                m.Parameters[i] -= (float)(1e-2 * mh / (Math.Sqrt(vh) + 1e-8));
            }
        }
        Assert.InRange(first, Math.Log(11) - 0.3, Math.Log(11) + 0.3); // starts near uniform
        Assert.True(last < 0.05, $"loss after 300 steps {last} (start {first})");
    }

    private sealed class Recorder(params string[] wanted) : ICaptureSink
    {
        public readonly List<float[]> Attn = new(), Mlp = new();
        public float[] Final = [];
        public readonly Dictionary<string, float[]> Grads = new();
        public void OnAttentionUpdate(int layer, ReadOnlySpan<float> update, int rows, int dModel) { Assert.Equal(Attn.Count, layer); Attn.Add(update.ToArray()); }
        public void OnMlpUpdate(int layer, ReadOnlySpan<float> update, int rows, int dModel) { Assert.Equal(Mlp.Count, layer); Mlp.Add(update.ToArray()); }
        public void OnFinalHidden(ReadOnlySpan<float> hidden, int rows, int dModel) => Final = hidden.ToArray();
        public IReadOnlyCollection<string> WantedGradients => wanted;
        public void OnGradient(string name, ReadOnlySpan<float> grad, int[] shape) => Grads[name] = grad.ToArray();
    }

    [Theory]
    [InlineData(ModelFlavour.Gpt2, 1)]
    [InlineData(ModelFlavour.NeoX, 1)]
    [InlineData(ModelFlavour.Gpt2, 2)]
    public void CaptureReceivesExactlyWhatTheModelComputed(ModelFlavour flavour, int layers)
    {
        var cfg = Tiny(flavour, layers);
        const int B = 2, T = 5;
        var m = new TransformerLm(cfg, B, T, new ReferenceGemm());
        m.InitializeWeights(21);
        var (x, y) = Batch(B, T, cfg.VocabSize, 22);
        string gname = m.Params[3].Name;
        var rec = new Recorder(gname);
        m.Capture = rec;
        m.ZeroGradients();
        m.Forward(x, y, B);
        m.Backward();

        var reference = new ReferenceLm(cfg, m.Params);
        reference.Loss(Fd.ToDouble(m.Parameters), x, y, B, T);
        Assert.Equal(layers, rec.Attn.Count);
        Assert.Equal(layers, rec.Mlp.Count);
        for (int l = 0; l < layers; l++)
        {
            Fd.Close(reference.AttnUpdates[l], rec.Attn[l], 1e-4, 1e-5, $"attn {l}");
            Fd.Close(reference.MlpUpdates[l], rec.Mlp[l], 1e-4, 1e-5, $"mlp {l}");
        }
        Fd.Close(reference.FinalHidden, rec.Final, 1e-4, 1e-5, "final hidden");
        var v = m.Param(gname);
        Assert.Equal(m.Gradients.AsSpan(v.Offset, v.Length).ToArray(), rec.Grads[gname]);
    }

    [Theory]
    [InlineData(ModelFlavour.Gpt2)]
    [InlineData(ModelFlavour.NeoX)]
    public void SameSeedSameBitsAndThreadCountIndependent(ModelFlavour flavour)
    {
        var cfg = Tiny(flavour) with { DModel = 16, NHead = 4, DFf = 48, NCtx = 70 };
        const int B = 3, T = 70; // 210 rows: LayerNorm gradient blocks split unevenly across threads
        var (x, y) = Batch(B, T, cfg.VocabSize, 31);
        (float, float[], float[]) Run(int threads)
        {
            var m = new TransformerLm(cfg, B, T, new ReferenceGemm(), threads);
            m.InitializeWeights(30);
            m.ZeroGradients();
            float loss = m.Forward(x, y, B);
            var logits = m.Logits.ToArray();
            m.Backward();
            return (loss, logits, (float[])m.Gradients.Clone());
        }
        var a = Run(1); var b = Run(1); var c = Run(2); var d = Run(3);
        Assert.Equal(a.Item1, b.Item1); Assert.Equal(a.Item2, b.Item2); Assert.Equal(a.Item3, b.Item3);
        Assert.Equal(a.Item1, c.Item1); Assert.Equal(a.Item2, c.Item2); Assert.Equal(a.Item3, c.Item3);
        Assert.Equal(a.Item3, d.Item3);
    }

    [Theory]
    [InlineData(1, "reference")]
    [InlineData(2, "reference")]
    [InlineData(2, "managed")]
    public void TrainingStepAllocatesNothing(int threads, string gemm)
    {
        // Measured on the calling thread (worker threads run the same code on fixed shares).
        var cfg = Tiny(ModelFlavour.NeoX) with { NCtx = 8 };
        var m = new TransformerLm(cfg, 2, 8, Gemm.Create(gemm, threads), threads);
        m.InitializeWeights(1);
        var (x, y) = Batch(2, 8, cfg.VocabSize, 2);
        for (int i = 0; i < 50; i++) { m.ZeroGradients(); m.Forward(x, y, 2); m.Backward(); } // warm up (JIT, past tiering's 30 calls)
        // The least over three tries: a step that allocates does so every time, while the runtime's own bookkeeping
        // (tiering a method up, under the parallel test load) can land on this thread once.
        long least = long.MaxValue;
        for (int attempt = 0; attempt < 3 && least > 0; attempt++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            m.ZeroGradients(); m.Forward(x, y, 2); m.Backward();
            m.Forward(x.AsSpan(0, 8), y.AsSpan(0, 8), 1); m.Backward();
            least = Math.Min(least, GC.GetAllocatedBytesForCurrentThread() - before);
        }
        Assert.Equal(0, least);
    }

    [Fact]
    public void InferenceReturnsNaNAndMatchesTrainingLogits()
    {
        var cfg = Tiny(ModelFlavour.Gpt2);
        var m = new TransformerLm(cfg, 2, 5, new ReferenceGemm());
        m.InitializeWeights(1);
        var (x, y) = Batch(2, 5, cfg.VocabSize, 2);
        m.Forward(x, y, 2);
        var withTargets = m.Logits.ToArray();
        Assert.True(float.IsNaN(m.Forward(x, ReadOnlySpan<int>.Empty, 2)));
        Assert.Equal(withTargets, m.Logits.ToArray());
        Assert.Throws<InvalidOperationException>(() => m.Backward());
        // A smaller batch uses the first rows of the buffers.
        m.Forward(x.AsSpan(0, 5), ReadOnlySpan<int>.Empty, 1);
        Assert.Equal(withTargets.AsSpan(0, 5 * 11).ToArray(), m.Logits.ToArray());
    }

    [Fact]
    public void NamesShapesAndInitFollowTheContract()
    {
        var cfg = Tiny(ModelFlavour.Gpt2, layers: 4) with { DModel = 64, NHead = 2, DFf = 256, VocabSize = 300, NCtx = 16, InitStd = 0.02f };
        var m = new TransformerLm(cfg, 1, 16, new ReferenceGemm());
        m.InitializeWeights(3);
        Assert.Equal([64, 192], m.Param("h.0.attn.c_attn.weight").Shape);
        Assert.Equal([256, 64], m.Param("h.3.mlp.c_proj.weight").Shape);
        Assert.Equal(ScalingLab.Model.ModelAccounting.TrainableParams(cfg), m.Parameters.Length);
        Assert.True(m.Param("wte.weight").Decay);
        Assert.False(m.Param("ln_f.bias").Decay);
        double Std(string n) { var v = m.Param(n); var s = m.Parameters.AsSpan(v.Offset, v.Length).ToArray(); return Math.Sqrt(s.Average(z => (double)z * z)); }
        Assert.InRange(Std("h.0.mlp.c_fc.weight"), 0.019, 0.021);
        Assert.InRange(Std("h.0.mlp.c_proj.weight"), 0.02 / Math.Sqrt(8) * 0.95, 0.02 / Math.Sqrt(8) * 1.05);
        Assert.Equal(0, Std("h.1.attn.c_attn.bias"));
        Assert.All(m.Parameters.AsSpan(m.Param("h.2.ln_1.weight").Offset, 64).ToArray(), g => Assert.Equal(1f, g));

        var neox = new TransformerLm(cfg with { Flavour = ModelFlavour.NeoX, RotaryPct = 0.25 }, 1, 16, new ReferenceGemm());
        Assert.Equal([192, 64], neox.Param("layers.0.attention.query_key_value.weight").Shape);
        Assert.Equal([300, 64], neox.Param("embed_out.weight").Shape);
        Assert.Throws<ScalingLab.Common.UserError>(() => neox.Param("wte.weight"));
        Assert.Throws<ScalingLab.Common.UserError>(() => new TransformerLm(cfg with { Dropout = 0.1f }, 1, 16, new ReferenceGemm()));
        Assert.Throws<ScalingLab.Common.UserError>(() => new TransformerLm(cfg, 1, 17, new ReferenceGemm()));
        Assert.Throws<ScalingLab.Common.UserError>(() => m.Forward(new int[16], new int[15], 1));
        var bad = new int[16]; bad[3] = 300;
        Assert.Throws<ScalingLab.Common.UserError>(() => m.Forward(bad, ReadOnlySpan<int>.Empty, 1));
    }
}

public class TransformerLmStepTests
{
    /// <summary>
    /// ZeroGradients costs no pass: the next Backward writes its first contributions (β = 0 GEMMs, small vectors cleared).
    /// The result must be bit-identical to clearing the array by hand and adding, for a fresh step, for an accumulated
    /// second micro-batch, and after stale values were left in the gradients; and the array reads as zero in between.
    /// </summary>
    [Theory]
    [InlineData(ModelFlavour.Gpt2, "managed")]
    [InlineData(ModelFlavour.NeoX, "managed")]
    [InlineData(ModelFlavour.Gpt2, "reference")]
    public void FoldedZeroingGivesTheBitsOfAnExplicitClear(ModelFlavour flavour, string gemm)
    {
        var cfg = TransformerLmTests.Tiny(flavour) with { DModel = 16, NHead = 4, DFf = 48, NCtx = 40 };
        const int B = 2, T = 40;
        var (x1, y1) = TransformerLmTests.Batch(B, T, cfg.VocabSize, 5);
        var (x2, y2) = TransformerLmTests.Batch(B, T, cfg.VocabSize, 6);
        TransformerLm Make()
        {
            var m = new TransformerLm(cfg, B, T, Gemm.Create(gemm, 2), 2);
            m.InitializeWeights(3);
            Array.Fill(m.Gradients, 123f); // stale values that must not leak into the next step
            return m;
        }
        var folded = Make();
        folded.ZeroGradients();
        Assert.All(folded.Gradients, g => Assert.Equal(0f, g)); // reading in between sees zeros
        folded.ZeroGradients();
        folded.Forward(x1, y1, B); folded.Backward();
        var once = (float[])folded.Gradients.Clone();
        folded.Forward(x2, y2, B); folded.Backward();

        var plain = Make();
        Array.Clear(plain.Gradients);
        plain.Forward(x1, y1, B); plain.Backward();
        Assert.Equal(plain.Gradients, once);
        plain.Forward(x2, y2, B); plain.Backward();
        Assert.Equal(plain.Gradients, folded.Gradients);
    }

    /// <summary>
    /// The fused cross-entropy (ForwardBackward) against Forward then Backward: the same loss and gradients up to float32
    /// rounding (softmax as exp(z − max)/Σ instead of exp(z − lse)): |Δ| ≤ 1e-5·max|g|; ignored targets get no gradient.
    /// </summary>
    [Theory]
    [InlineData(ModelFlavour.Gpt2)]
    [InlineData(ModelFlavour.NeoX)]
    public void FusedCrossEntropyMatchesForwardThenBackward(ModelFlavour flavour)
    {
        var cfg = TransformerLmTests.Tiny(flavour) with { NCtx = 8 };
        const int B = 3, T = 8;
        var (x, y) = TransformerLmTests.Batch(B, T, cfg.VocabSize, 9);
        y[4] = TransformerLm.IgnoreTarget;
        var a = new TransformerLm(cfg, B, T, new ReferenceGemm(), 2);
        var b = new TransformerLm(cfg, B, T, new ReferenceGemm(), 2);
        a.InitializeWeights(4); b.InitializeWeights(4);
        a.ZeroGradients(); b.ZeroGradients();
        float la = a.Forward(x, y, B); a.Backward();
        float lb = b.ForwardBackward(x, y, B);
        Assert.Equal(la, lb, 5);
        double max = a.Gradients.Max(Math.Abs);
        for (int i = 0; i < a.Gradients.Length; i++) Assert.True(Math.Abs(a.Gradients[i] - b.Gradients[i]) <= 1e-5 * max, $"gradient {i}");
        Assert.All(b.Logits.Slice(4 * cfg.VocabSize, cfg.VocabSize).ToArray(), g => Assert.Equal(0f, g));
    }

    [Fact]
    public void GlobalNormOnTheTeamHasTheBitsOfTheSerialOne()
    {
        var g = new float[300_001];
        new Rng(3).FillNormal(g, 0f, 1f);
        double serial = ScalingLab.Training.Trainer.GlobalNorm(g.AsSpan());
        Assert.Equal(serial, ScalingLab.Training.Trainer.GlobalNorm(g, new WorkerTeam(2)));
        Assert.Equal(serial, ScalingLab.Training.Trainer.GlobalNorm(g, new WorkerTeam(3)));
        double exact = Math.Sqrt(g.Sum(v => (double)v * v));
        Assert.Equal(exact, serial, 1e-6 * exact);
    }
}
