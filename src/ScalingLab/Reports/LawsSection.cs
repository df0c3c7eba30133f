using System.Globalization;
using System.Text;
using ScalingLab.Common;
using ScalingLab.Laws;
using ScalingLab.Training;

namespace ScalingLab.Reports;

/// <summary>The law fit of a sweep as the report holds it: the typed fit, and the floor under E when the data's generator is known.</summary>
public sealed record LawsFindings(string Grid, LawFitResult Fit, LossFloorResult? Floor)
{
    /// <summary>
    /// The sentence about E the report and the demo print: the fitted value with its interval when identified, or a
    /// plain statement that it is not; beside it the entropy rate and the best loss reachable on the evaluation windows.
    /// </summary>
    public string ELine()
    {
        var e = Fit.Parameters.FirstOrDefault(p => p.Name == "E");
        if (e is null) return "";
        string fitted = e.Identified
            ? $"Fitted irreducible loss E = {G(e.Estimate)}" + (e.Interval is { } iv ? $" (95% interval [{G(iv.Lo)}, {G(iv.Hi)}])" : "") + " nats/token"
            : $"E is NOT identified by this sweep: the fit's objective stays within {Fit.ProfileTolerance:0.#%} of its minimum for E anywhere in " +
              $"[{G(e.NotIdentifiedRange!.Lo)}, {G(e.NotIdentifiedRange.Hi)}] (point estimate {G(e.Estimate)} is not a measurement)";
        if (Floor is null) return fitted + ".";
        var parts = new List<string>();
        if (Floor.BestEvalLoss is double b) parts.Add($"the best loss any model can reach on the evaluation windows is {G(b)}");
        if (Floor.EntropyRate is double h) parts.Add($"the source's entropy rate is {G(h)}");
        return parts.Count == 0 ? fitted + "." : $"{fitted}; {string.Join(" and ", parts)} nats/token.";
    }

    internal static string G(double x) => x.ToString("G5", CultureInfo.InvariantCulture);
}

/// <summary>
/// The report's "Scaling laws" section: the Chinchilla law L(N, D) = E + A/N^α + B/D^β fitted to the final validation
/// losses of the grid with the most (N, D) points, through <see cref="LawFitAnalysis"/>; intervals only for identified
/// parameters; the profile table; E beside the data's floor (<see cref="LossFloor"/>); the compute-optimal frontier when
/// it is identified.
/// </summary>
public static class LawsSection
{
    /// <summary>The profile table of a fit: per parameter the range scanned, the largest rise, the flat range and the verdict.</summary>
    internal static void ProfileTable(ReportSection s, IReadOnlyList<ParameterProfile> profiles, double objective) =>
        s.Table(["parameter", "range scanned", "largest rise of the objective", "flat for", "verdict"],
                profiles.Select(p => new[]
                {
                    p.Parameter, $"[{LawsFindings.G(p.RangeLo)}, {LawsFindings.G(p.RangeHi)}]",
                    $"{LawsFindings.G(p.MaxRise)} ({(objective > 0 ? p.MaxRise / objective : double.PositiveInfinity):0.#%} of the minimum)",
                    $"[{LawsFindings.G(p.FlatLo)}, {LawsFindings.G(p.FlatHi)}]", p.Identified ? "identified" : "NOT identified",
                }).ToList());

    /// <summary>Builds the section; <paramref name="findings"/> is the typed fit (null when there were too few runs).</summary>
    public static ReportSection Build(ReportContext ctx, out LawsFindings? findings)
    {
        findings = null;
        var s = new ReportSection("laws", "Scaling laws");
        var grid = ctx.LawGrid();
        var runs = grid?.Where(r => double.IsFinite(r.FinalValLoss)).ToList() ?? [];
        if (runs.Count < 6 || runs.Select(r => r.N).Distinct().Count() < 2 || runs.Select(r => r.Config.DataTokens).Distinct().Count() < 2)
            return s.Text($"Not enough finished runs to fit L(N, D) = E + A/N^α + B/D^β: {runs.Count} points; the fit needs at least 6, " +
                          "with at least two model sizes and two data sizes.");
        var points = runs.Select(r => new FitPoint(r.N, r.Config.DataTokens, r.FinalValLoss, Name: r.Config.Name)).ToList();
        string lawsDir = Path.Combine(ctx.AnalysisDir, "laws");
        Directory.CreateDirectory(lawsDir);
        string csv = Path.Combine(ctx.AnalysisDir, "runs.csv");
        var sb = new StringBuilder("name,N,D,C,loss\n");
        foreach (var p in points) sb.Append(CultureInfo.InvariantCulture, $"{p.Name},{p.N},{p.D},{p.Compute:R},{p.Loss:R}\n");
        AtomicFile.WriteAllText(csv, sb.ToString());
        // Budgets for the frontier: log-spaced from the smallest run's compute to 100× the largest.
        double cLo = points.Min(p => p.Compute), cHi = 100 * points.Max(p => p.Compute);
        var budgets = Enumerable.Range(0, 13).Select(i => cLo * Math.Pow(cHi / cLo, i / 12.0)).ToList();
        ctx.Record("fit", "--csv", csv, "--name-column", "name", "--form", "chinchilla",
                   "--bootstrap", ctx.Options.Bootstrap.ToString(CultureInfo.InvariantCulture),
                   "--budgets", string.Join(',', budgets.Select(c => c.ToString("0.###e0", CultureInfo.InvariantCulture))),
                   "--allow-unconverged", "--plot", Path.Combine(lawsDir, "fit.svg"), "--json");
        var fit = LawFitAnalysis.Run(new LawFitOptions
        {
            Points = points, Bootstrap = ctx.Options.Bootstrap, Budgets = budgets, Fit = new FitOptions { Threads = ctx.Threads },
        });
        AtomicFile.WriteAllText(Path.Combine(lawsDir, "fit.json"), fit.ToJson(indented: true));
        var first = runs[0].Config;
        var floor = LossFloor.For(first.DataDir, first.Train.Seq, first.Train.EvalWindows);
        findings = new LawsFindings(grid!.Key, fit, floor);

        s.Text($"Points: the {points.Count} finished runs of grid '{grid.Key}' (final validation loss), written to " +
               $"{Path.GetRelativePath(ctx.Folder.Dir, csv)}. L(N, D) = E + A/N^α + B/D^β fitted by Chinchilla's Approach 3 " +
               "(Huber loss on log residuals, L-BFGS from a grid of starts).");
        string boot = fit.Bootstrap is { } b
            ? $"95% bootstrap percentile interval ({b.Converged} of {b.Resamples} refits converged; only those count)"
            : "interval (no bootstrap)";
        s.Table(["parameter", "value", boot], fit.Parameters.Select(p => new[] { p.Name, LawsFindings.G(p.Estimate), p.IntervalText(LawsFindings.G) }).ToList());
        s.Text($"Identifiability: for each parameter the objective was profiled — the parameter fixed at each point of a wide range, " +
               $"the others refitted. A parameter whose objective rises by less than {fit.ProfileTolerance:0.#%} of the minimum (1.92/(runs − parameters): the rise a 95% likelihood-ratio test attributes to noise) " +
               "all the way to an end of its range is reported as not identified, with that range, and gets no interval.");
        ProfileTable(s, fit.Profiles, fit.Objective);
        s.Text($"Converged: {(fit.Converged ? "yes" : "no")} ({fit.Stop}); Huber objective {LawsFindings.G(fit.Objective)}; R² of log loss " +
               $"{fit.R2LogLoss:0.0000}." + (fit.HeldOut is { } h ? $" Held-out largest run {h.Run}: predicted loss off by {h.RelativeError * 100:+0.00;-0.00}%." : ""));
        string eLine = findings.ELine();
        if (eLine.Length > 0)
        {
            s.Text(eLine);
            ctx.Findings.Add(eLine);
        }
        if (floor is { BestEvalLoss: null }) s.Text($"No windowed floor for this data: {floor.Note}.");
        else if (floor is not null) s.Text($"The floor is {floor.Note}; the entropy rate assumes unlimited context.");

        s.Figure("laws-fit.svg", ChartGrid.ToSvg(FitPlot.Panels(points, fit.Law, fit.Form), 3), "Runs against the fitted law.");
        FitPlot.Save(Path.Combine(lawsDir, "fit.svg"), points, fit.Law, fit.Form);
        var alloc = fit.Allocation;
        bool allocIdentified = fit.Derived.All(d => d.Identified);
        if (alloc.Count > 0 && allocIdentified && alloc.All(a => double.IsFinite(a.NOpt) && double.IsFinite(a.DOpt) && a.NOpt > 0 && a.DOpt > 0))
        {
            var chart = new Chart("Compute-optimal frontier of the fitted law", "compute C = 6ND (FLOPs)", "N_opt, D_opt", AxisScale.Log, AxisScale.Log)
                .Line("N_opt(C) (parameters)", alloc.Select(a => a.Compute).ToArray(), alloc.Select(a => a.NOpt).ToArray(), Palette.Category(0))
                .Line("D_opt(C) (tokens)", alloc.Select(a => a.Compute).ToArray(), alloc.Select(a => a.DOpt).ToArray(), Palette.Category(1))
                .Scatter("runs (C, N)", points.Select(p => p.Compute).ToArray(), points.Select(p => p.N).ToArray(), Palette.Category(2))
                .Scatter("runs (C, D)", points.Select(p => p.Compute).ToArray(), points.Select(p => p.D).ToArray(), Palette.Category(3));
            s.Figure("laws-frontier.svg", chart.ToSvg(), "Compute-optimal allocation N_opt(C) and D_opt(C) of the fitted law, with the sweep's runs.");
            s.Table(["C (FLOPs)", "N_opt", "D_opt", "tokens per parameter"],
                    alloc.Where((_, i) => i % 3 == 0).Select(a => new[] { LawsFindings.G(a.Compute), LawsFindings.G(a.NOpt), LawsFindings.G(a.DOpt), LawsFindings.G(a.TokensPerParam) }).ToList());
        }
        else if (alloc.Count > 0)
        {
            var missing = fit.Derived.FirstOrDefault(d => !d.Identified)?.DependsOnUnidentified ?? [];
            s.Text($"No compute-optimal frontier is drawn: it depends on {string.Join(", ", missing)}, which this sweep does not identify.");
        }
        return s;
    }
}
