using ScalingLab.Memory;
using ScalingLab.Tensors;

namespace ScalingLab.Tests.Memory;

/// <summary>Random pattern sets and points for the property tests.</summary>
internal static class MemoryTestData
{
    /// <summary>d Gaussian patterns in n dims with per-pattern scales (so norms differ), std <paramref name="scale"/>.</summary>
    public static PatternSet RandomPatterns(ref Rng rng, int n, int d, double scale)
    {
        var v = new double[n * d];
        for (int i = 0; i < d; i++)
        {
            double s = scale * (0.25 + 1.5 * rng.NextDouble());
            for (int k = 0; k < n; k++) v[i * n + k] = s * rng.NextNormal();
        }
        return new PatternSet(v, n);
    }

    /// <summary>A point near a random pattern (small noise) or far from all (large), chosen at random.</summary>
    public static double[] RandomPoint(ref Rng rng, PatternSet p, double scale)
    {
        var x = new double[p.Dim];
        int kind = rng.NextInt(3);
        var rho = p[rng.NextInt(p.Count)];
        double noise = kind switch { 0 => 1e-3 * scale, 1 => 0.3 * scale, _ => 5 * scale };
        for (int k = 0; k < x.Length; k++) x[k] = (kind == 2 ? 0 : rho[k]) + noise * rng.NextNormal();
        return x;
    }

    /// <summary>β log-uniform in [1e-2, 1e2].</summary>
    public static double RandomBeta(ref Rng rng) => Math.Pow(10, -2 + 4 * rng.NextDouble());
}
