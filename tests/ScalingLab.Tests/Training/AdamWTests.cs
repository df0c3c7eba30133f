using ScalingLab.Tensors;
using ScalingLab.Training;

namespace ScalingLab.Tests.Training;

public class AdamWTests
{
    /// <summary>The AdamW update written out in float64, one element at a time.</summary>
    private static void Reference(double[] p, double[] g, double[] m, double[] v, bool[] decay, bool[] updated, int t, double lr,
                                  double b1, double b2, double eps, double wd, double scale)
    {
        for (int i = 0; i < p.Length; i++)
        {
            if (!updated[i]) continue;
            double gi = g[i] * scale;
            m[i] = b1 * m[i] + (1 - b1) * gi;
            v[i] = b2 * v[i] + (1 - b2) * gi * gi;
            double mh = m[i] / (1 - Math.Pow(b1, t)), vh = v[i] / (1 - Math.Pow(b2, t));
            p[i] -= lr * (mh / (Math.Sqrt(vh) + eps) + (decay[i] ? wd : 0) * p[i]);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void MatchesFloat64ReferenceOverSeveralSteps(int threads)
    {
        // Segments: a decayed matrix, an undecayed bias, a gap that must not move, and a segment longer than one chunk.
        int n = 70_000 + 37 + 5 + 200;
        var segs = new (int, int, bool)[] { (0, 37, true), (37, 200, false), (242, 70_000, true) };
        var rng = new Rng(7);
        var p = new float[n]; rng.FillNormal(p, 0, 0.5f);
        var decay = new bool[n];
        var updated = new bool[n];
        foreach (var (o, l, d) in segs) for (int i = o; i < o + l; i++) { decay[i] = d; updated[i] = true; }
        var opt = new AdamW(n, segs, weightDecay: 0.1f, threads: threads);
        double[] pd = p.Select(x => (double)x).ToArray(), md = new double[n], vd = new double[n];
        var g = new float[n];
        for (int t = 1; t <= 5; t++)
        {
            rng.FillNormal(g, 0, t * 0.3f);
            float lr = 1e-2f / t, scale = 0.5f;
            opt.Update(p, g, lr, scale);
            Reference(pd, g.Select(x => (double)x).ToArray(), md, vd, decay, updated, t, lr, 0.9f, 0.95f, 1e-8f, 0.1f, scale);
        }
        Assert.Equal(5, opt.Step);
        for (int i = 0; i < n; i++)
        {
            if (!updated[i]) { Assert.Equal(pd[i], (double)p[i]); continue; }
            // Each step moves a weight by at most ~lr·(1/(1−β1))/√(1/(1−β2)) ≈ lr·2.2; float32 rounding of the
            // update terms bounds the difference by a few ulps of that step plus ulps of the weight.
            Assert.True(Math.Abs(pd[i] - p[i]) <= 1e-5 * (1 + Math.Abs(pd[i])), $"element {i}: {p[i]} vs {pd[i]}");
            Assert.True(Math.Abs(md[i] - opt.M[i]) <= 1e-5 * (1 + Math.Abs(md[i])));
            Assert.True(Math.Abs(vd[i] - opt.V[i]) <= 1e-5 * (1 + Math.Abs(vd[i])));
        }
    }

    [Fact]
    public void FirstStepMovesEachWeightByLrTimesSignOfGradient()
    {
        // Analytic: at t = 1, m̂ = g and v̂ = g², so the step is lr·g/(|g|+ε) ≈ lr·sign(g) (no decay).
        var p = new float[] { 1f, 1f, 1f };
        var g = new float[] { 3f, -0.01f, 100f };
        var opt = new AdamW(3, [(0, 3, false)], eps: 1e-8f);
        opt.Update(p, g, 0.1f);
        Assert.Equal(0.9f, p[0], 5);
        Assert.Equal(1.1f, p[1], 5);
        Assert.Equal(0.9f, p[2], 5);
    }

    [Fact]
    public void DecayShrinksWeightsWhenGradientIsZero()
    {
        var p = new float[] { 2f, 2f };
        var opt = new AdamW(2, [(0, 1, true), (1, 1, false)], weightDecay: 0.1f);
        opt.Update(p, new float[2], 0.5f);
        Assert.Equal(2f - 0.5f * 0.1f * 2f, p[0], 6);
        Assert.Equal(2f, p[1]);
    }

    [Fact]
    public void ThreadCountDoesNotChangeBits()
    {
        int n = 300_001;
        var rng = new Rng(3);
        var p1 = new float[n]; rng.FillNormal(p1);
        var p2 = (float[])p1.Clone();
        var g = new float[n]; rng.FillNormal(g);
        var a = new AdamW(n, [(0, n, true)], threads: 1);
        var b = new AdamW(n, [(0, n, true)], threads: 2);
        for (int t = 0; t < 3; t++) { a.Update(p1, g, 1e-3f); b.Update(p2, g, 1e-3f); }
        Assert.Equal(p1, p2);
        Assert.Equal(a.V, b.V);
    }
}
