using ScalingLab.Reports;

namespace ScalingLab.Memory;

/// <summary>
/// Figure 1 of Niu et al. (v2): energy landscapes for the 2-D patterns {(−2,−0.5), (0.2,−0.3), (1.5,1.5)} over
/// [−3, 3]² (panels a–d: the negative LogSumExp, the MCHN regularisation terms, the MCHN energy, and the
/// distance energy (4)) drawn as contour maps, and curves for the 1-D patterns {−2, 0, 1}: the MCHN energy at
/// β = 1 and 2, the distance energy E, g with its Proposition 1 band [g − log 3, g], and 2E^MCHN₂ − log 3
/// with its Proposition 2 band [E, E + Δ]. The plotted ranges and the right panel's non-MCHN curves are not
/// recoverable from the paper; these are the spec's choices (Sec. 9).
/// </summary>
public static class Figure1
{
    /// <summary>The left panel's patterns.</summary>
    public static readonly PatternSet Patterns2D = PatternSet.Parse("-2,-0.5; 0.2,-0.3; 1.5,1.5");

    /// <summary>The right panel's patterns.</summary>
    public static readonly PatternSet Patterns1D = PatternSet.Parse("-2; 0; 1");

    /// <summary>Writes figure1_2d.svg and figure1_1d.svg into <paramref name="dir"/>; returns their paths.</summary>
    public static string[] Write(string dir, int grid = 81)
    {
        Directory.CreateDirectory(dir);
        var p = Patterns2D;
        var panels = new (string Title, Func<double[], double> F)[]
        {
            ("(a) −lse(β=1, Mᵀx)", x => Energies.NegativeLse(p, x, 1)),
            ("(b) MCHN regulariser, β = 1", x => Energies.MchnRegulariser(p, x, 1)),
            ("(c) MCHN energy, β = 1", x => Energies.Mchn(p, x, 1)),
            ("(d) distance energy (4)", x => Energies.Distance(p, x, 1)),
        };
        var charts = new List<Chart>();
        foreach (var (title, f) in panels) charts.Add(ContourChart(title, f, grid));
        string left = Path.Combine(dir, "figure1_2d.svg");
        ChartGrid.Save(left, charts, 2);
        string right = Path.Combine(dir, "figure1_1d.svg");
        CurvesChart().Save(right);
        return [left, right];
    }

    private static Chart ContourChart(string title, Func<double[], double> f, int grid)
    {
        const double lo = -3, hi = 3;
        var axis = new double[grid];
        for (int i = 0; i < grid; i++) axis[i] = lo + (hi - lo) * i / (grid - 1);
        var v = new double[grid, grid];
        var sorted = new double[grid * grid];
        for (int i = 0; i < grid; i++)
            for (int j = 0; j < grid; j++) sorted[i * grid + j] = v[i, j] = f([axis[i], axis[j]]);
        Array.Sort(sorted);
        var chart = new Chart(title, "x₁", "x₂") { Width = 560, Height = 500 };
        chart.X.Min = lo; chart.X.Max = hi; chart.Y.Min = lo; chart.Y.Max = hi;
        const int levels = 14;
        for (int l = 1; l < levels; l++)
        {
            // levels at quantiles of the grid values: lines spread evenly over the picture, not bunched
            // where the energy climbs steeply
            double level = sorted[(long)sorted.Length * l / levels];
            var (xs, ys) = Contour(axis, v, level);
            string name = $"E = {level:0.##}";
            chart.Series.Add(new Series(name, xs, ys)
            {
                Color = Palette.Sequential((double)l / levels), Width = 1.5, InLegend = l % 3 == 1,
            });
        }
        var px = new double[Patterns2D.Count];
        var py = new double[Patterns2D.Count];
        for (int i = 0; i < px.Length; i++) { px[i] = Patterns2D[i][0]; py[i] = Patterns2D[i][1]; }
        chart.Scatter("patterns ρᵢ", px, py, "#000000");
        return chart;
    }

    /// <summary>
    /// Marching squares: the iso-line v = level over the grid axis × axis, as segments separated by NaN
    /// (the chart breaks a line at non-finite points).
    /// </summary>
    internal static (double[] X, double[] Y) Contour(double[] axis, double[,] v, double level)
    {
        var xs = new List<double>();
        var ys = new List<double>();
        int n = axis.Length;
        Span<double> cx = stackalloc double[4];
        Span<double> cy = stackalloc double[4];
        for (int i = 0; i + 1 < n; i++)
            for (int j = 0; j + 1 < n; j++)
            {
                // corners counter-clockwise: (i,j) (i+1,j) (i+1,j+1) (i,j+1); edges between consecutive corners
                int count = 0;
                for (int e = 0; e < 4; e++)
                {
                    var (ai, aj) = Corner(i, j, e);
                    var (bi, bj) = Corner(i, j, (e + 1) % 4);
                    double va = v[ai, aj] - level, vb = v[bi, bj] - level;
                    if ((va < 0) == (vb < 0)) continue;
                    double t = va / (va - vb);
                    cx[count] = axis[ai] + t * (axis[bi] - axis[ai]);
                    cy[count] = axis[aj] + t * (axis[bj] - axis[aj]);
                    count++;
                }
                for (int s = 0; s + 1 < count; s += 2)
                {
                    xs.Add(cx[s]); ys.Add(cy[s]);
                    xs.Add(cx[s + 1]); ys.Add(cy[s + 1]);
                    xs.Add(double.NaN); ys.Add(double.NaN);
                }
            }
        return ([.. xs], [.. ys]);
    }

    private static (int, int) Corner(int i, int j, int k) => k switch
    {
        0 => (i, j),
        1 => (i + 1, j),
        2 => (i + 1, j + 1),
        _ => (i, j + 1),
    };

    private static Chart CurvesChart()
    {
        var p = Patterns1D;
        const int points = 701;
        var x = new double[points];
        var mchn1 = new double[points]; var mchn2 = new double[points];
        var e = new double[points]; var g = new double[points]; var gLow = new double[points];
        var prop2 = new double[points]; var eHigh = new double[points];
        double log3 = Math.Log(3);
        for (int i = 0; i < points; i++)
        {
            x[i] = -4 + 7.0 * i / (points - 1);
            double[] pt = [x[i]];
            mchn1[i] = Energies.Mchn(p, pt, 1);
            mchn2[i] = Energies.Mchn(p, pt, 2);
            e[i] = Energies.Distance(p, pt, 1);
            g[i] = Energies.NearestNeighbour(p, pt);
            gLow[i] = g[i] - log3;
            prop2[i] = 2 * mchn2[i] - log3;
            eHigh[i] = e[i] + p.NormSpread;
        }
        var chart = new Chart("Figure 1 (right): patterns {−2, 0, 1}", "x", "energy") { Width = 900, Height = 600 };
        chart.Y.Min = -2; chart.Y.Max = 8;
        chart.Band("Prop 1 band [g − log 3, g]", x, gLow, g, "#1f77b4");
        chart.Band("Prop 2 band [E, E + Δ]", x, e, eHigh, "#2ca02c");
        chart.Line("E^MCHN, β = 1", x, mchn1, "#ff7f0e");
        chart.Line("E^MCHN, β = 2", x, mchn2, "#ff7f0e", dashed: true);
        chart.Line("distance energy E (4)", x, e, "#d62728");
        chart.Line("g(x) = minᵢ (x − ρᵢ)²", x, g, "#1f77b4", dashed: true);
        chart.Line("2E^MCHN₂ − log 3", x, prop2, "#2ca02c", dashed: true);
        chart.Scatter("patterns", [-2, 0, 1], [0, 0, 0], "#000000");
        return chart;
    }
}
