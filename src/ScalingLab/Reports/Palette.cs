using System.Globalization;

namespace ScalingLab.Reports;

/// <summary>Colours for charts: a categorical set for named series and a sequential ramp for ordered ones.</summary>
public static class Palette
{
    // Tableau 10: distinct, readable on white, friendly to common colour-vision deficiencies.
    private static readonly string[] Categorical10 =
    [
        "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
        "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
    ];

    // Viridis sampled at 0, 0.25, 0.5, 0.75, 1 (perceptually uniform; we interpolate linearly between).
    private static readonly (double R, double G, double B)[] Viridis =
    [
        (68, 1, 84), (59, 82, 139), (33, 145, 140), (94, 201, 98), (253, 231, 37),
    ];

    /// <summary>The i-th categorical colour (cycles after 10).</summary>
    public static string Category(int i) => Categorical10[((i % 10) + 10) % 10];

    /// <summary>A colour on the viridis ramp, t in [0, 1] (dark purple → yellow); clamped.</summary>
    public static string Sequential(double t)
    {
        t = double.IsFinite(t) ? Math.Clamp(t, 0, 1) : 0;
        // Stop short of the pale yellow end: it is hard to see on white.
        t *= 0.9;
        double x = t * (Viridis.Length - 1);
        int i = Math.Min((int)x, Viridis.Length - 2);
        double f = x - i;
        var (r0, g0, b0) = Viridis[i];
        var (r1, g1, b1) = Viridis[i + 1];
        return Hex(r0 + f * (r1 - r0), g0 + f * (g1 - g0), b0 + f * (b1 - b0));
    }

    /// <summary>n colours spread along the sequential ramp (for series ordered by a value, e.g. model size).</summary>
    public static string[] Ramp(int n) =>
        Enumerable.Range(0, n).Select(i => Sequential(n == 1 ? 0.5 : i / (double)(n - 1))).ToArray();

    private static string Hex(double r, double g, double b) =>
        string.Create(CultureInfo.InvariantCulture, $"#{(int)Math.Round(r):x2}{(int)Math.Round(g):x2}{(int)Math.Round(b):x2}");
}
