using ScalingLab.Common;
using ScalingLab.Tensors;

namespace ScalingLab.Memory;

/// <summary>The nearest-neighbour radius experiment's result: one statistics row per subset, and the prediction.</summary>
public sealed record RadiusReport(int Vectors, int Dim, double PredictedRadius, double PredictedSeparation,
                                  IReadOnlyList<RadiusStatistics> Subsets, double Seconds)
{
    /// <summary>The full set's statistics (the last subset).</summary>
    public RadiusStatistics All => Subsets[^1];
}

/// <summary>
/// Niu et al. §6.1 / App. F.1: the Euclidean distance from each activation vector to its nearest neighbour
/// within a random sample, on 25/50/75/100 % of the sample, against the predicted scale: stored patterns
/// are balls of radius r = √(n/(2πe)), so neighbours should sit about 2r apart (GPT-2 medium, n = 1024:
/// observed ≈ 20 against 2r = 15.49).
/// </summary>
public static class NeighbourRadius
{
    /// <summary>The paper's subset fractions.</summary>
    public static readonly double[] DefaultFractions = [0.25, 0.5, 0.75, 1.0];

    /// <summary>
    /// Shuffles the m rows of <paramref name="x"/> in place (seeded, via <see cref="Rng"/>), so the subsets are
    /// random and nested, and measures each subset's NN distances.
    /// </summary>
    public static RadiusReport Measure(float[] x, int m, int n, IGemm gemm, int threads = 1, ulong seed = 1,
                                       IReadOnlyList<double>? fractions = null, int bins = 40, Action<double>? progress = null)
    {
        fractions ??= DefaultFractions;
        if (fractions.Count == 0 || fractions.Any(f => !(f > 0 && f <= 1)))
            throw new UserError("radius: subset fractions must lie in (0, 1]");
        var fr = fractions.Distinct().Order().ToArray();
        var sizes = fr.Select(f => (int)Math.Ceiling(f * m)).ToArray();
        if (sizes[0] < 2) throw new UserError($"radius: the {fr[0]:P0} subset of {m} vectors has fewer than 2; give more vectors");
        var distinct = sizes.Distinct().ToArray();

        var perm = new int[m];
        new Rng(seed, 0x5241444955UL).Permutation(perm);
        NearestNeighbours.PermuteRows(x, n, perm);

        var sw = System.Diagnostics.Stopwatch.StartNew();
        var sets = NearestNeighbours.Search(x, m, n, distinct, gemm, threads, progress: progress);
        double seconds = sw.Elapsed.TotalSeconds;
        var stats = new List<RadiusStatistics>();
        for (int s = 0; s < fr.Length; s++)
            stats.Add(RadiusStatistics.Of(fr[s], sets[Array.IndexOf(distinct, sizes[s])].Distance, bins));
        double r = BallMass.PredictedRadius(n);
        return new RadiusReport(m, n, r, 2 * r, stats, seconds);
    }
}
