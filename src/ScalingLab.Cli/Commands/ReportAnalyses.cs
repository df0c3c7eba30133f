using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using ScalingLab.Common;
using ScalingLab.Data;
using ScalingLab.Reports;
using ScalingLab.Sweeps;
using ScalingLab.Training;

namespace ScalingLab.Cli.Commands;

/// <summary>
/// The report's analysis sections. Each runs the owning area's verb in-process (fit, memory, dynamics) on the sweep's
/// runs, so the report shows exactly what those verbs compute and records the command that reproduces it.
/// A failed analysis becomes a section that says what failed, not a failed report.
/// </summary>
internal static class ReportAnalyses
{
    private static string Inv(double x, string f = "0.####") => x.ToString(f, CultureInfo.InvariantCulture);

    /// <summary>The grid with the most distinct (N, D) points: the one a law is fitted to.</summary>
    private static IGrouping<string, ReportRun>? ScalingGrid(IReadOnlyList<ReportRun> done) =>
        done.GroupBy(r => r.Config.Grid).OrderByDescending(g => g.Select(r => (r.N, r.Config.DataTokens)).Distinct().Count()).FirstOrDefault();

    /// <summary>Chinchilla fit (Approach 3) of final loss on (N, D), with bootstrap intervals and the compute-optimal frontier.</summary>
    public static ReportSection Laws(SweepFolder folder, IReadOnlyList<ReportRun> done, string dir, int bootstrap, TextWriter log,
                                     List<string> commands, ReportCommand.Findings findings)
    {
        var s = new ReportSection("laws", "Scaling laws");
        var grid = ScalingGrid(done);
        var pts = grid?.Where(r => double.IsFinite(r.FinalValLoss)).ToList() ?? [];
        if (pts.Count < 5 || pts.Select(r => r.N).Distinct().Count() < 2 || pts.Select(r => r.Config.DataTokens).Distinct().Count() < 2)
            return s.Text($"Not enough finished runs to fit L(N, D) = E + A/N^α + B/D^β: {pts.Count} points; the fit needs at least 5, " +
                          "with at least two model sizes and two data sizes.");
        string csv = Path.Combine(dir, "runs.csv");
        var sb = new StringBuilder("name,N,D,C,loss\n");
        foreach (var r in pts)
            sb.Append(CultureInfo.InvariantCulture, $"{r.Config.Name},{r.N},{r.Config.DataTokens},{6.0 * r.N * r.Config.DataTokens:R},{r.FinalValLoss:R}\n");
        AtomicFile.WriteAllText(csv, sb.ToString());
        s.Text($"Points: the {pts.Count} finished runs of grid '{grid!.Key}' (final validation loss), written to {Path.GetRelativePath(folder.Dir, csv)}.");
        if (!ReportCommand.HasVerb("fit"))
            return s.Text("The `fit` verb (Laws area) is not in this build, so no law was fitted.");
        string lawsDir = Path.Combine(dir, "laws");
        Directory.CreateDirectory(lawsDir);
        // Budgets for the compute-optimal frontier: log-spaced from the smallest run's compute to 100× the largest.
        double cLo = pts.Min(r => 6.0 * r.N * r.Config.DataTokens), cHi = 100 * pts.Max(r => 6.0 * r.N * r.Config.DataTokens);
        var budgets = Enumerable.Range(0, 13).Select(i => cLo * Math.Pow(cHi / cLo, i / 12.0)).ToList();
        var (code, output, err) = ReportCommand.RunVerb(commands, log, "fit", "--csv", csv, "--n-column", "N", "--d-column", "D",
            "--loss-column", "loss", "--name-column", "name", "--form", "chinchilla",
            "--bootstrap", bootstrap.ToString(CultureInfo.InvariantCulture),
            "--budgets", string.Join(',', budgets.Select(c => c.ToString("0.###e0", CultureInfo.InvariantCulture))),
            "--allow-unconverged", "--plot", Path.Combine(lawsDir, "fit.svg"), "--json");
        if (code != 0) return s.Text($"The fit failed: {err.Trim()}");
        JsonObject fit;
        try
        {
            fit = JsonNode.Parse(output)!.AsObject();
        }
        catch (System.Text.Json.JsonException e)
        {
            return s.Text($"The fit printed something that is not JSON ({e.Message}).");
        }
        findings.Fit = fit;
        var rows = new List<string[]>();
        foreach (string p in new[] { "E", "A", "B", "alpha", "beta" })
        {
            if (fit[p] is null) continue;
            string ci = fit["intervals"]?[p] is JsonObject iv ? $"[{Num(iv["lo"])}, {Num(iv["hi"])}]" : "-";
            rows.Add([p, Num(fit[p]), ci]);
        }
        s.Text("L(N, D) = E + A/N^α + B/D^β fitted by Chinchilla's Approach 3 (Huber loss on log residuals, L-BFGS from a grid " +
               $"of starts); intervals are bootstrap percentiles over runs ({bootstrap} resamples).");
        s.Table(["parameter", "value", "95% interval"], rows);
        s.Text($"Converged: {fit["converged"]?.ToJsonString() ?? "?"}; Huber objective {Num(fit["objective"])}; " +
               $"R² of log loss {Num(fit["r2_log_loss"])}.");
        double? entropy = EntropyRate(grid.First().Config.DataDir);
        if (entropy is double h && fit["E"] is not null)
        {
            string eci = fit["intervals"]?["E"] is JsonObject ei ? $" (95% interval [{Num(ei["lo"])}, {Num(ei["hi"])}])" : "";
            string line = $"Fitted irreducible loss E = {Num(fit["E"])}{eci} nats/token vs the corpus's known entropy rate {Inv(h)} nats/token.";
            s.Text(line);
            findings.Lines.Add(line);
        }
        if (fit["allocation"] is JsonArray alloc && alloc.Count > 0)
        {
            var c = alloc.Select(a => D(a?["compute"])).ToArray();
            var nOpt = alloc.Select(a => D(a?["n_opt"])).ToArray();
            var dOpt = alloc.Select(a => D(a?["d_opt"])).ToArray();
            if (c.Concat(nOpt).Concat(dOpt).All(v => double.IsFinite(v) && v > 0))
            {
                var chart = new Chart("Compute-optimal frontier of the fitted law", "compute C = 6ND (FLOPs)", "N_opt, D_opt",
                                      AxisScale.Log, AxisScale.Log)
                    .Line("N_opt(C) (parameters)", c, nOpt, Palette.Category(0))
                    .Line("D_opt(C) (tokens)", c, dOpt, Palette.Category(1))
                    .Scatter("runs (C, N)", pts.Select(r => 6.0 * r.N * r.Config.DataTokens).ToArray(), pts.Select(r => (double)r.N).ToArray(), Palette.Category(2))
                    .Scatter("runs (C, D)", pts.Select(r => 6.0 * r.N * r.Config.DataTokens).ToArray(), pts.Select(r => (double)r.Config.DataTokens).ToArray(), Palette.Category(3));
                s.Figure("laws-frontier.svg", chart.ToSvg(), "Compute-optimal allocation N_opt(C) and D_opt(C) of the fitted law, with the sweep's runs.");
            }
            s.Table(["C (FLOPs)", "N_opt", "D_opt", "tokens per parameter"],
                    alloc.Where((_, i) => i % 3 == 0).Select(a => new[] { Num(a?["compute"]), Num(a?["n_opt"]), Num(a?["d_opt"]), Num(a?["tokens_per_param"]) }).ToList());
        }
        ReportCommand.AddSvgs(s, lawsDir, "laws", "Runs against the fitted law");
        return s;
    }

    /// <summary>Nearest-neighbour radius of the largest model's final hidden states, and the loss bound beside the measured plateau.</summary>
    public static ReportSection Memory(SweepFolder folder, IReadOnlyList<ReportRun> done, string dir, TextWriter log,
                                       List<string> commands, ReportCommand.Findings findings)
    {
        var s = new ReportSection("memory", "Associative memory");
        if (done.Count == 0) return s.Text("No finished run to analyse.");
        if (!ReportCommand.HasVerb("memory radius"))
            return s.Text("The `memory` verb (Memory area) is not in this build, so no memory analysis was made.");
        var run = done.OrderByDescending(r => r.N).ThenByDescending(r => r.Config.DataTokens).First();
        var ckpts = Checkpoints.List(run.Record.RunDir);
        if (ckpts.Count == 0) return s.Text($"Run {run.Config.Name} has no checkpoint.");
        string memDir = Path.Combine(dir, "memory");
        if (ReportCommand.HasOption("memory radius", "--checkpoint"))
        {
            var (code, output, err) = ReportCommand.RunVerb(commands, log, "memory", "radius", "--checkpoint", ckpts[^1].Path,
                "--shard", run.Config.DataDir, "--chunks", "256", "--out", memDir, "--json");
            if (code != 0) s.Text($"The radius analysis failed: {err.Trim()}");
            else
            {
                var j = JsonNode.Parse(output)!;
                s.Text($"Nearest-neighbour distances between the final hidden states of {run.Config.Name} (the largest model), " +
                       $"n = {run.Config.Model.DModel}: mean {Num(j["mean"])}, median {Num(j["median"])} over {Num(j["count"])} vectors; " +
                       $"the paper's predicted radius scale for this n is {Num(j["predicted_radius"])}.");
                ReportCommand.AddSvgs(s, memDir, "memory", "Memory");
            }
        }
        else
        {
            s.Text("The nearest-neighbour radius needs `memory radius --checkpoint`, which is not in this build; it was skipped.");
        }
        var (bc, bout, berr) = ReportCommand.RunVerb(commands, log, "memory", "bound", "--run", run.Record.RunDir);
        if (bc == 0) s.Text($"Proposition 4's lower bound for {run.Config.Name} beside its measured plateau:").Code(bout.Trim());
        else s.Text($"The loss bound failed: {berr.Trim()}");
        foreach (var qf in done.Where(r => r.Config.Grid.Contains("qf", StringComparison.OrdinalIgnoreCase)).OrderBy(r => r.Config.Model.NLayer))
        {
            string line = $"Question-Formation {qf.Config.Model.NLayer}-layer model: plateau (min validation loss) {SweepReport.L(qf.MinValLoss)} nats/token " +
                          "vs Niu et al.'s ≈ 1 (§6.3).";
            s.Text(line);
            findings.Lines.Add(line);
        }
        return s;
    }

    /// <summary>CKA of each layer against the final checkpoint, PER of parameters and gradients, indicators and MCC.</summary>
    public static ReportSection Dynamics(SweepFolder folder, IReadOnlyList<ReportRun> done, string dir, TextWriter log,
                                         List<string> commands, ReportCommand.Findings findings)
    {
        var s = new ReportSection("dynamics", "Training dynamics");
        var runs = done.Where(r => Checkpoints.List(r.Record.RunDir).Count >= 3)
                       .GroupBy(r => r.N).Select(g => g.OrderByDescending(r => r.Config.DataTokens).First()).OrderBy(r => r.N).ToList();
        if (runs.Count == 0) return s.Text("No finished run has the three or more checkpoints the analysis needs.");
        if (!ReportCommand.HasOption("dynamics", "--run"))
            return s.Text("The `dynamics --run` analysis (Dynamics area) is not in this build, so no dynamics analysis was made.");
        string dynDir = Path.Combine(dir, "dynamics");
        var args = new List<string> { "dynamics" };
        foreach (var r in runs) args.AddRange(["--run", r.Record.RunDir]);
        args.AddRange(["--out", dynDir]);
        var (code, output, err) = ReportCommand.RunVerb(commands, log, args.ToArray());
        if (code != 0) return s.Text($"The dynamics analysis failed: {err.Trim()}");
        s.Text($"Runs analysed (the largest data size of each model size): {string.Join(", ", runs.Select(r => r.Config.Name))}.");
        s.Code(output.Trim());
        ReportCommand.AddSvgs(s, dynDir, "dynamics", "Dynamics");
        return s;
    }

    private static double? EntropyRate(string dataDir)
    {
        try
        {
            return DataManifest.Read(dataDir).EntropyRateNats;
        }
        catch (Exception e) when (e is UserError or IOException)
        {
            return null;
        }
    }

    private static double D(JsonNode? n) =>
        n is JsonValue v && v.GetValueKind() == System.Text.Json.JsonValueKind.Number ? double.Parse(v.ToJsonString(), CultureInfo.InvariantCulture) : double.NaN;

    private static string Num(JsonNode? n) =>
        n is JsonValue v && v.GetValueKind() == System.Text.Json.JsonValueKind.Number
            ? double.Parse(v.ToJsonString(), CultureInfo.InvariantCulture).ToString("G5", CultureInfo.InvariantCulture)
            : n?.ToJsonString() ?? "-";
}
