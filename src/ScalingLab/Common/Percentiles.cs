namespace ScalingLab.Common;

/// <summary>
/// Percentiles by linear interpolation between closest ranks (Hyndman &amp; Fan 1996, definition 7;
/// numpy's default): the p-th percentile of sorted x_0..x_{m−1} sits at position h = p/100·(m−1),
/// value x_⌊h⌋ + (h − ⌊h⌋)·(x_⌊h⌋+1 − x_⌊h⌋). NaN values (undefined CKA) are left out.
/// One formula for the dynamics percentile bands and the bootstrap intervals of the law fits.
/// </summary>
public static class Percentiles
{
    /// <summary>The levels the paper plots: 10, 25, 50, 75, 90.</summary>
    public static readonly double[] Standard = [10, 25, 50, 75, 90];

    /// <summary>The <paramref name="p"/>-th percentile (0..100) of the non-NaN values; NaN when there are none.</summary>
    public static double Of(ReadOnlySpan<double> values, double p)
    {
        if (p is < 0 or > 100 || double.IsNaN(p)) throw new ArgumentOutOfRangeException(nameof(p), "percentile must be in [0, 100]");
        double[] sorted = SortedFinite(values);
        return OfSorted(sorted, p);
    }

    /// <summary>Several percentiles of the same values (sorted once).</summary>
    public static double[] Of(ReadOnlySpan<double> values, ReadOnlySpan<double> levels)
    {
        double[] sorted = SortedFinite(values);
        var result = new double[levels.Length];
        for (int i = 0; i < levels.Length; i++)
        {
            if (levels[i] is < 0 or > 100 || double.IsNaN(levels[i])) throw new ArgumentOutOfRangeException(nameof(levels), "percentile must be in [0, 100]");
            result[i] = OfSorted(sorted, levels[i]);
        }
        return result;
    }

    private static double[] SortedFinite(ReadOnlySpan<double> values)
    {
        var list = new List<double>(values.Length);
        foreach (double v in values) if (!double.IsNaN(v)) list.Add(v);
        double[] sorted = list.ToArray();
        Array.Sort(sorted);
        return sorted;
    }

    private static double OfSorted(double[] sorted, double p) =>
        sorted.Length == 0 ? double.NaN : AtFraction(sorted, p / 100.0);

    /// <summary>
    /// The value at fraction <paramref name="q"/> (0..1) of non-empty ascending <paramref name="sorted"/>:
    /// position h = q·(m−1), linear between the neighbouring order statistics.
    /// </summary>
    public static double AtFraction(double[] sorted, double q)
    {
        double h = q * (sorted.Length - 1);
        int lo = (int)Math.Floor(h);
        int hi = Math.Min(lo + 1, sorted.Length - 1);
        return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
    }
}
