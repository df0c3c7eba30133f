using ScalingLab.Model;
using ScalingLab.Tensors;
using ScalingLab.Tests.Model;
using ScalingLab.Tests.Tensors.Kernels;
using ScalingLab.Training;

namespace ScalingLab.Tests.Tensors;

public class Bf16Tests
{
    /// <summary>The bf16 GEMMs to check: the emulation always, oneDNN's where libdnnl.so.2 is installed.</summary>
    public static TheoryData<string> Gemms() => OneDnnBf16Gemm.Available() ? new() { "emulated", "onednn" } : new() { "emulated" };

    private static IGemm Make(string which, int threads) => which == "onednn" ? new OneDnnBf16Gemm(threads) : Bf16Gemm.Create(threads, emulate: true);

    [Fact]
    public void RoundingIsToNearestEvenAndKeepsSpecials()
    {
        Assert.Equal(0x3F80, Bf16.FromFloat(1f));
        Assert.Equal(0x3F80, Bf16.FromFloat(BitConverter.UInt32BitsToSingle(0x3F808000))); // tie 1 + 2⁻⁸ → even (down)
        Assert.Equal(0x3F82, Bf16.FromFloat(BitConverter.UInt32BitsToSingle(0x3F818000))); // tie 1 + 3·2⁻⁸ → even (up)
        Assert.Equal(0x3F81, Bf16.FromFloat(BitConverter.UInt32BitsToSingle(0x3F808001))); // just above the tie → up
        Assert.Equal(0xBF80, Bf16.FromFloat(-1f));
        Assert.Equal(0x7F80, Bf16.FromFloat(float.PositiveInfinity));
        Assert.Equal(0x7F80, Bf16.FromFloat(float.MaxValue)); // rounds past the largest bf16: overflow to +∞
        Assert.True(float.IsNaN(Bf16.ToFloat(Bf16.FromFloat(float.NaN))));
        Assert.True(float.IsNaN(Bf16.ToFloat(Bf16.FromFloat(BitConverter.UInt32BitsToSingle(0x7F800001))))); // a NaN whose top half is ∞
        Assert.Equal(0.333984375f, Bf16.Round(1f / 3)); // 1/3 = 0x3EAAAAAB → 0x3EAB
    }

    [Fact]
    public unsafe void VectorConversionMatchesTheScalarOne()
    {
        var rng = new Rng(5);
        var x = new float[1000];
        for (int i = 0; i < x.Length; i++) x[i] = BitConverter.UInt32BitsToSingle((uint)rng.NextInt(int.MaxValue) * 2u + (uint)(i & 1));
        x[3] = float.NaN; x[40] = float.PositiveInfinity; x[41] = float.NegativeInfinity; x[42] = -0f; x[43] = 1e-42f;
        var y = new ushort[x.Length];
        fixed (float* px = x) fixed (ushort* py = y) Bf16.Convert(px, py, x.Length);
        for (int i = 0; i < x.Length; i++) Assert.Equal(Bf16.FromFloat(x[i]), y[i]);
    }

    /// <summary>
    /// Every element within the bf16 bound: rounding both inputs costs |Δ(a·b)| ≤ (2u + u²)|a||b| with u = 2⁻⁸, and the
    /// float32 accumulation over k terms at most γ_k = k·2⁻²⁴/(1 − k·2⁻²⁴) of Σ|a||b| (Higham, Accuracy and Stability,
    /// Thm 3.5); so |C − C_exact| ≤ (2u + u² + γ_k)·Σ_p |a_ip||b_pj| + 1e-30. The error must also be of bf16 size, well
    /// above float32's (so the inputs really were rounded).
    /// </summary>
    [Theory]
    [MemberData(nameof(Gemms))]
    public void GemmErrorIsWithinTheBf16Bound(string which)
    {
        foreach (var (ta, tb) in new[] { (false, false), (false, true), (true, false) })
        foreach (float beta in new[] { 0f, 1f })
        foreach (int threads in new[] { 1, 2 })
        {
            int m = 70, n = 130, k = 300;
            var rng = new Rng((ulong)(m + (ta ? 1 : 0) + (tb ? 2 : 0)));
            var a = new float[m * k]; var b = new float[k * n]; var c = new float[m * n]; var c0 = new float[m * n];
            rng.FillUniform(a, -1, 1); rng.Fork(1).FillUniform(b, -1, 1); rng.Fork(2).FillUniform(c0, -1, 1);
            c0.CopyTo(c, 0);
            int lda = ta ? m : k, ldb = tb ? k : n;
            Make(which, threads).Sgemm(ta, tb, m, n, k, 1f, a, lda, b, ldb, beta, c, n);
            double u = Bf16.UnitRoundoff, gamma = k * Math.Pow(2, -24) / (1 - k * Math.Pow(2, -24));
            double maxRel = 0;
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++)
                {
                    double exact = beta * c0[i * n + j], abs = Math.Abs(beta * c0[i * n + j]);
                    for (int p = 0; p < k; p++)
                    {
                        double av = ta ? a[p * lda + i] : a[i * lda + p], bv = tb ? b[j * ldb + p] : b[p * ldb + j];
                        exact += av * bv;
                        abs += Math.Abs(av * bv);
                    }
                    double err = Math.Abs(c[i * n + j] - exact);
                    Assert.True(err <= (2 * u + u * u + gamma) * abs + 1e-30,
                        $"{which} {(ta ? 'T' : 'N')}{(tb ? 'T' : 'N')} β={beta} threads={threads} C[{i},{j}]: error {err:E3} over the bound {(2 * u + u * u + gamma) * abs:E3}");
                    maxRel = Math.Max(maxRel, err / abs);
                }
            Assert.True(maxRel > 1e-4, $"{which}: largest relative error {maxRel:E2} is float32-sized; were the inputs rounded to bf16?");
        }
    }

    [Theory]
    [MemberData(nameof(Gemms))]
    public void SameThreadsSameBits(string which)
    {
        int m = 256, n = 384, k = 512; // large enough for the threaded path
        var rng = new Rng(8);
        var a = new float[m * k]; var b = new float[k * n];
        rng.FillUniform(a, -1, 1); rng.Fork(1).FillUniform(b, -1, 1);
        var g = Make(which, 2);
        var c1 = new float[m * n]; var c2 = new float[m * n];
        g.Sgemm(false, true, m, n, k, 1f, a, k, b, k, 0f, c1, n);
        g.Sgemm(false, true, m, n, k, 1f, a, k, b, k, 0f, c2, n);
        Assert.Equal(c1, c2);
    }

    /// <summary>
    /// The model's gradient with bf16 layer products against float64 central differences of the independent reference
    /// (as the float32 test does, <see cref="TransformerLmTests.GradientMatchesFloat64FiniteDifferences"/>), at bf16
    /// tolerance: |g − g_ref| ≤ 5e-2·|g_ref| + 1e-2·max|g_ref| (inputs of each product carry relative error 2⁻⁸; a
    /// gradient passes through a few such products). The float32 tolerance (2e-3, 1e-4) must fail somewhere, or the
    /// products were not in bf16.
    /// </summary>
    [Theory]
    [MemberData(nameof(Gemms))]
    public void ModelGradientMatchesFiniteDifferencesAtBf16Tolerance(string which)
    {
        var cfg = TransformerLmTests.Tiny(ModelFlavour.Gpt2);
        const int B = 2, T = 5;
        var m = new TransformerLm(cfg, B, T, Make(which, 1));
        m.InitializeWeights(7);
        var rng = new Rng(99);
        foreach (var p in m.Params.Where(v => v.Shape.Length == 1))
            for (int i = 0; i < p.Length; i++) m.Parameters[p.Offset + i] += (float)(0.2 * rng.NextNormal());
        var (x, y) = TransformerLmTests.Batch(B, T, cfg.VocabSize, 3);
        m.ZeroGradients();
        m.Forward(x, y, B);
        m.Backward();
        var theta = Fd.ToDouble(m.Parameters);
        var reference = new ReferenceLm(cfg, m.Params);
        var expected = Fd.Gradient(theta, th => reference.Loss(th, x, y, B, T));
        double max = expected.Max(Math.Abs);
        foreach (var p in m.Params)
            Fd.Close(expected.AsSpan(p.Offset, p.Length), m.Gradients.AsSpan(p.Offset, p.Length), 5e-2, 1e-2 * max, p.Name);
        bool fp32Tight = true;
        for (int i = 0; i < expected.Length; i++)
            fp32Tight &= Math.Abs(m.Gradients[i] - expected[i]) <= 2e-3 * Math.Abs(expected[i]) + 1e-4 * max;
        Assert.False(fp32Tight, "bf16 gradients within the float32 tolerance everywhere: the products were not rounded");
    }

    /// <summary>
    /// A 2×128 model trained 40 AdamW steps on a repeating token pattern in fp32 and in bf16 from the same weights and
    /// batches: the bf16 loss curve stays within 0.05 nats + 3% of the fp32 one at every step (stated tolerance; the
    /// loss falls from ≈ 4.2 by more than 1 nat, so a broken bf16 path would leave it), and both learn.
    /// </summary>
    [Theory]
    [MemberData(nameof(Gemms))]
    public void TwoBy128LossCurveFollowsFp32(string which)
    {
        var cfg = ModelConfig.FromShape("2x128", 64, 32);
        const int B = 4, T = 32, Steps = 40;
        double[] Curve(IGemm gemm)
        {
            var m = new TransformerLm(cfg, B, T, gemm, 2);
            m.InitializeWeights(11);
            var opt = new AdamW(m.Parameters.Length, m.Params.Select(p => (p.Offset, p.Length, p.Decay)), threads: 2);
            var rng = new Rng(4);
            var x = new int[B * T]; var y = new int[B * T];
            var losses = new double[Steps];
            for (int s = 0; s < Steps; s++)
            {
                for (int r = 0; r < B; r++)
                {
                    int start = rng.NextInt(16);
                    for (int t = 0; t < T; t++) { x[r * T + t] = (start + t) * 7 % 64; y[r * T + t] = (start + t + 1) * 7 % 64; }
                }
                losses[s] = Trainer.TrainStep(m, opt, x, y, B, 3e-3f, 1.0).Loss;
            }
            return losses;
        }
        var fp32 = Curve(Gemm.Create("managed", 2));
        var bf16 = Curve(Make(which, 2));
        Assert.True(fp32[^1] < fp32[0] - 1, $"fp32 did not learn: {fp32[0]:F3} → {fp32[^1]:F3}");
        for (int s = 0; s < Steps; s++)
            Assert.True(Math.Abs(bf16[s] - fp32[s]) <= 0.05 + 0.03 * fp32[s], $"step {s + 1}: bf16 loss {bf16[s]:F4} vs fp32 {fp32[s]:F4}");
    }

    [Fact]
    public void PrecisionNamesResolve()
    {
        Assert.Equal("fp32", Precision.Resolve("fp32"));
        Assert.Equal("bf16", Precision.Resolve("BF16"));
        Assert.Equal(Precision.CpuHasAmx && OneDnnBf16Gemm.Available() ? "bf16" : "fp32", Precision.Resolve("auto"));
        var e = Assert.Throws<ScalingLab.Common.UserError>(() => Precision.Resolve("fp16", "train.precision"));
        Assert.Contains("train.precision", e.Message);
    }
}
