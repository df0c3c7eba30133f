namespace ScalingLab.Memory;

/// <summary>Summary of nearest-neighbour distances of one subset: count, mean, median, spread and a histogram.</summary>
public sealed record RadiusStatistics(double Fraction, int Count, double Mean, double Median, double Std,
                                      double Min, double Max, double[] BinEdges, long[] BinCounts)
{
    /// <summary>Statistics of <paramref name="distances"/> (non-empty) with <paramref name="bins"/> equal-width bins over [min, max].</summary>
    public static RadiusStatistics Of(double fraction, ReadOnlySpan<double> distances, int bins = 40)
    {
        if (distances.Length == 0) throw new ArgumentException("no distances");
        var sorted = distances.ToArray();
        Array.Sort(sorted);
        int c = sorted.Length;
        double mean = 0;
        foreach (double v in sorted) mean += v;
        mean /= c;
        double var = 0;
        foreach (double v in sorted) var += (v - mean) * (v - mean);
        double median = c % 2 == 1 ? sorted[c / 2] : 0.5 * (sorted[c / 2 - 1] + sorted[c / 2]);
        double min = sorted[0], max = sorted[^1];
        bins = Math.Max(1, bins);
        var edges = new double[bins + 1];
        double width = max > min ? (max - min) / bins : 1.0;
        for (int b = 0; b <= bins; b++) edges[b] = min + b * width;
        var counts = new long[bins];
        foreach (double v in sorted) counts[Math.Min(bins - 1, (int)((v - min) / width))]++;
        return new RadiusStatistics(fraction, c, mean, median, Math.Sqrt(var / c), min, max, edges, counts);
    }
}
