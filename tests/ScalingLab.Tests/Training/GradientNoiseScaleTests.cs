using ScalingLab.Tensors;
using ScalingLab.Training;

namespace ScalingLab.Tests.Training;

public class GradientNoiseScaleTests
{
    [Fact]
    public void RecoversTheNoiseScaleOfAQuadraticWithKnownGradientCovariance()
    {
        // Per-example loss ℓ(θ; x) = ½ Σ_i h_i (θ_i − x_i)², x_i ~ N(μ_i, s_i²) independent. The per-example gradient
        // is g_i = h_i (θ_i − x_i): mean G_i = h_i (θ_i − μ_i), covariance Σ = diag(h_i² s_i²). So
        // tr(Σ) = Σ h_i² s_i² and |G|² = Σ h_i² (θ_i − μ_i)², known exactly.
        const int dim = 20, bSmall = 8, bBig = 64, trials = 4000;
        var h = Enumerable.Range(0, dim).Select(i => 0.5 + 0.1 * i).ToArray();
        var s = Enumerable.Range(0, dim).Select(i => 1.0 + 0.05 * i).ToArray();
        var mu = Enumerable.Range(0, dim).Select(i => Math.Sin(i)).ToArray();
        var theta = Enumerable.Range(0, dim).Select(i => Math.Sin(i) + 0.3 * Math.Cos(3 * i)).ToArray();
        double trueTrace = Enumerable.Range(0, dim).Sum(i => h[i] * h[i] * s[i] * s[i]);
        double trueG2 = Enumerable.Range(0, dim).Sum(i => Math.Pow(h[i] * (theta[i] - mu[i]), 2));
        double trueB = trueTrace / trueG2;

        var rng = new Rng(42);
        var pairs = new List<(double, double)>();
        var small = new double[dim]; var big = new double[dim];
        for (int t = 0; t < trials; t++)
        {
            Array.Clear(small); Array.Clear(big);
            for (int b = 0; b < bBig; b++)
                for (int i = 0; i < dim; i++)
                {
                    double g = h[i] * (theta[i] - (mu[i] + s[i] * rng.NextNormal()));
                    big[i] += g / bBig;
                    if (b < bSmall) small[i] += g / bSmall; // the small batch is the first part of the big one, as in training
                }
            pairs.Add((small.Sum(x => x * x), big.Sum(x => x * x)));
        }
        var traces = pairs.Select(p => GradientNoiseScale.TraceSigma(p.Item1, bSmall, p.Item2, bBig)).ToArray();
        var g2s = pairs.Select(p => GradientNoiseScale.GradSquared(p.Item1, bSmall, p.Item2, bBig)).ToArray();
        static (double Mean, double Se) Stat(double[] v)
        {
            double m = v.Average();
            return (m, Math.Sqrt(v.Sum(x => (x - m) * (x - m)) / (v.Length - 1) / v.Length));
        }
        var (tm, tse) = Stat(traces);
        var (gm, gse) = Stat(g2s);
        Assert.InRange(trueTrace, tm - 4 * tse, tm + 4 * tse);
        Assert.InRange(trueG2, gm - 4 * gse, gm + 4 * gse);
        double est = GradientNoiseScale.Estimate(pairs, bSmall, bBig);
        Assert.InRange(est, 0.9 * trueB, 1.1 * trueB);
        // The naive ratio |G_small|²-based guess is far off: the estimator is doing the work.
        double naive = trueTrace / pairs.Average(p => p.Item1);
        Assert.False(naive > 0.9 * trueB && naive < 1.1 * trueB);
    }

    [Fact]
    public void ExactExpectationsGiveTheExactAnswer()
    {
        // With E|G_B|² = |G|² + tr(Σ)/B plugged in, both estimators are exact.
        double g2 = 2.5, tr = 40;
        double sm = g2 + tr / 4, bg = g2 + tr / 32;
        Assert.Equal(g2, GradientNoiseScale.GradSquared(sm, 4, bg, 32), 12);
        Assert.Equal(tr, GradientNoiseScale.TraceSigma(sm, 4, bg, 32), 12);
        Assert.Equal(16, GradientNoiseScale.Estimate([(sm, bg)], 4, 32), 12);
        Assert.True(double.IsNaN(GradientNoiseScale.Estimate([], 4, 32)));
        Assert.Throws<ArgumentException>(() => GradientNoiseScale.GradSquared(1, 8, 1, 8));
    }
}
