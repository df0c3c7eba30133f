using ScalingLab.Laws;

namespace ScalingLab.Reports;

/// <summary>
/// The figure of a scaling-law fit: measured runs beside the fitted law in three panels — loss vs N (one colour per
/// band of D), loss vs D (one colour per band of N), and IsoFLOP slices (loss vs N at fixed compute C, D = C/(6N))
/// with the fitted compute-optimal N marked.
/// </summary>
public static class FitPlot
{
    /// <summary>The three panels as charts (for a report that lays them out itself).</summary>
    public static List<Chart> Panels(IReadOnlyList<FitPoint> points, IScalingLaw law, string title)
    {
        return
        [
            ByVariable(points, law, byN: true, $"{title}: loss vs N"),
            ByVariable(points, law, byN: false, $"{title}: loss vs D"),
            IsoFlop(points, law, $"{title}: IsoFLOP slices"),
        ];
    }

    /// <summary>Writes the three panels side by side to <paramref name="path"/> (SVG).</summary>
    public static void Save(string path, IReadOnlyList<FitPoint> points, IScalingLaw law, string title)
    {
        var panels = Panels(points, law, title);
        foreach (var c in panels) { c.Width = 640; c.Height = 520; }
        ChartGrid.Save(path, panels, 3);
    }

    /// <summary>
    /// Loss against N (byN) or D, runs grouped into up to five log-spaced bands of the other variable; each band gets
    /// its runs as dots and the law's curve at the band's geometric-mean value of that variable.
    /// </summary>
    private static Chart ByVariable(IReadOnlyList<FitPoint> points, IScalingLaw law, bool byN, string title)
    {
        var chart = new Chart(title, byN ? "parameters N" : "tokens D", "loss (nats/token)", AxisScale.Log, AxisScale.Log);
        Func<FitPoint, double> x = byN ? p => p.N : p => p.D, other = byN ? p => p.D : p => p.N;
        var groups = Bands(points, other, 5);
        var colors = Palette.Ramp(groups.Count);
        double xlo = points.Min(x), xhi = points.Max(x);
        var grid = LogSpace(xlo / 1.5, xhi * 1.5, 80);
        for (int g = 0; g < groups.Count; g++)
        {
            var grp = groups[g];
            double o = Math.Exp(grp.Average(p => Math.Log(other(p))));
            string label = $"{(byN ? "D" : "N")} ≈ {Ticks.Short(o)}";
            chart.Scatter(label, grp.Select(x).ToArray(), grp.Select(p => p.Loss).ToArray(), colors[g]);
            var curve = grid.Select(v => Eval(law, byN ? v : o, byN ? o : v)).ToArray();
            chart.Series.Add(new Series($"fit, {label}", grid, curve) { Color = colors[g], Dashed = true, InLegend = false });
        }
        chart.Series.Add(new Series("fitted law (dashed)", [], []) { Color = "#444444", Dashed = true });
        return LossRange(chart, points);
    }

    /// <summary>Loss vs N per compute budget (runs grouped as Approach 2 does) with the law's IsoFLOP curves and N_opt.</summary>
    private static Chart IsoFlop(IReadOnlyList<FitPoint> points, IScalingLaw law, string title)
    {
        var chart = new Chart(title, "parameters N", "loss (nats/token)", AxisScale.Log, AxisScale.Log);
        var budgets = ComputeOptimal.Budgets(points).Where(b => b.Count >= 3).ToList();
        if (budgets.Count > 8) budgets = budgets.OrderByDescending(b => b.Count).Take(8).OrderBy(b => b[0].Compute).ToList();
        if (budgets.Count == 0) budgets = Bands(points, p => p.Compute, 5);
        var colors = Palette.Ramp(budgets.Count);
        double nlo = points.Min(p => p.N) / 1.5, nhi = points.Max(p => p.N) * 1.5;
        var grid = LogSpace(nlo, nhi, 80);
        var optN = new List<double>(); var optL = new List<double>();
        for (int g = 0; g < budgets.Count; g++)
        {
            var grp = budgets[g];
            double c = Math.Exp(grp.Average(p => Math.Log(p.Compute)));
            string label = $"C ≈ {Ticks.Short(c)}";
            chart.Scatter(label, grp.Select(p => p.N).ToArray(), grp.Select(p => p.Loss).ToArray(), colors[g]);
            var curve = grid.Select(n => Eval(law, n, c / (6 * n), c)).ToArray();
            chart.Series.Add(new Series($"fit, {label}", grid, curve) { Color = colors[g], Dashed = true, InLegend = false });
            // The curve's minimum on the grid marks the fitted N_opt for that budget.
            int k = Enumerable.Range(0, grid.Length).Where(i => double.IsFinite(curve[i])).DefaultIfEmpty(-1).MinBy(i => i < 0 ? 0 : curve[i]);
            if (k > 0 && k < grid.Length - 1) { optN.Add(grid[k]); optL.Add(curve[k]); }
        }
        if (optN.Count > 0)
            chart.Series.Add(new Series("fitted N_opt", optN.ToArray(), optL.ToArray())
                { Kind = SeriesKind.LineMarkers, Color = "#d62728", MarkerRadius = 5, Width = 1 });
        return LossRange(chart, points);
    }

    /// <summary>The loss axis spans the measured runs (a little more), not the law's extrapolation beyond them.</summary>
    private static Chart LossRange(Chart chart, IReadOnlyList<FitPoint> points)
    {
        chart.Y.Min = points.Min(p => p.Loss) / 1.08;
        chart.Y.Max = points.Max(p => p.Loss) * 1.08;
        return chart;
    }

    private static double Eval(IScalingLaw law, double n, double d, double? c = null)
    {
        try { return law.Loss(new LawInput(N: n, D: d, C: c ?? 6 * n * d)); }
        catch (Common.UserError) { return double.NaN; }
    }

    /// <summary>Up to <paramref name="count"/> groups of points by equal-width bands of log(key); empty bands dropped.</summary>
    private static List<List<FitPoint>> Bands(IReadOnlyList<FitPoint> points, Func<FitPoint, double> key, int count)
    {
        double lo = points.Min(p => Math.Log(key(p))), hi = points.Max(p => Math.Log(key(p)));
        double w = (hi - lo) / count;
        var groups = Enumerable.Range(0, count).Select(_ => new List<FitPoint>()).ToList();
        foreach (var p in points)
        {
            int b = w > 0 ? Math.Min(count - 1, (int)((Math.Log(key(p)) - lo) / w)) : 0;
            groups[b].Add(p);
        }
        return groups.Where(g => g.Count > 0).ToList();
    }

    private static double[] LogSpace(double lo, double hi, int n) =>
        Enumerable.Range(0, n).Select(i => Math.Exp(Math.Log(lo) + (Math.Log(hi) - Math.Log(lo)) * i / (n - 1))).ToArray();
}
