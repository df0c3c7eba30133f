namespace ScalingLab.Reports;

/// <summary>
/// Colours for charts, as CSS hex strings, from ScottPlot's palettes: Category10 (Tableau 10: distinct, readable on
/// white, friendly to common colour-vision deficiencies) for named series and viridis for series ordered by a value.
/// </summary>
public static class Palette
{
    private static readonly ScottPlot.Palettes.Category10 Categorical = new();
    private static readonly ScottPlot.Colormaps.Viridis Viridis = new();

    /// <summary>The i-th categorical colour (cycles after 10).</summary>
    public static string Category(int i) => Categorical.GetColor(((i % 10) + 10) % 10).ToHex();

    /// <summary>A colour on the viridis ramp, t in [0, 1] (dark purple → yellow); clamped.</summary>
    public static string Sequential(double t)
    {
        t = double.IsFinite(t) ? Math.Clamp(t, 0, 1) : 0;
        // Stop short of the pale yellow end: it is hard to see on white.
        return Viridis.GetColor(0.9 * t).ToHex();
    }

    /// <summary>n colours spread along the sequential ramp (for series ordered by a value, e.g. model size).</summary>
    public static string[] Ramp(int n) =>
        Enumerable.Range(0, n).Select(i => Sequential(n == 1 ? 0.5 : i / (double)(n - 1))).ToArray();
}
