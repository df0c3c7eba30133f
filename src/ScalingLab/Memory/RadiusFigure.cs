using System.Globalization;
using ScalingLab.Reports;

namespace ScalingLab.Memory;

/// <summary>
/// The radius experiment's figure (Niu et al. Fig. 2 top, with the null added): one panel per subset, the sample's
/// NN-distance histogram as bars, the Gaussian null's (first draw, same size) as a line over bin centres, and
/// reference lines at the sample mean, the null mean and the predicted separation 2r.
/// </summary>
public static class RadiusFigure
{
    /// <summary>The panels, one per subset.</summary>
    public static IReadOnlyList<Chart> Panels(RadiusResult r) => r.Subsets.Select(s =>
    {
        var c = new Chart(F($"{100 * s.Fraction:0}% subset ({s.Count} vectors)"), "nearest-neighbour distance", "vectors") { Width = 560, Height = 400 };
        var e = s.Sample.BinEdges;
        c.Bars.Add(new Bars("sample", e[..^1], e[1..], [.. s.Sample.BinCounts.Select(v => (double)v)]));
        if (s.Null is { } nul)
        {
            var ne = nul.BinEdges;
            c.Line("Gaussian null", [.. ne[..^1].Select((lo, i) => 0.5 * (lo + ne[i + 1]))], [.. nul.BinCounts.Select(v => (double)v)], Palette.Category(1));
            c.RefLines.Add(new RefLine(s.NullMeans.Average(), true, F($"null mean {s.NullMeans.Average():0.##}")) { Color = Palette.Category(1) });
        }
        c.RefLines.Add(new RefLine(s.Sample.Mean, true, F($"mean {s.Sample.Mean:0.##}")));
        c.RefLines.Add(new RefLine(r.PredictedSeparation, true, F($"2r = {r.PredictedSeparation:0.##}")) { Color = "#d62728" });
        return c;
    }).ToList();

    /// <summary>Writes the panels, two per row, as one SVG.</summary>
    public static void Save(string path, RadiusResult r) => ChartGrid.Save(path, Panels(r), 2);

    private static string F(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
