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
        var (code, output, err) = ReportCommand.RunVerb(commands, log, "fit", "--csv", csv, "--n-column", "N", "--d-column", "D",
            "--loss-column", "loss", "--form", "chinchilla", "--bootstrap", bootstrap.ToString(CultureInfo.InvariantCulture),
            "--allow-unconverged", "--out", lawsDir, "--json");
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
            string ci = fit["intervals"]?[p] is JsonNode iv ? $"[{Num(iv[0])}, {Num(iv[1])}]"
                      : fit[p + "_ci"] is JsonNode c2 ? $"[{Num(c2[0])}, {Num(c2[1])}]" : "-";
            rows.Add([p, Num(fit[p]), ci]);
        }
        s.Table(["parameter", "value", "95% interval"], rows);
        if (fit["objective"] is not null) s.Text($"Huber objective at the optimum: {Num(fit["objective"])}.");
        double? entropy = EntropyRate(grid.First().Config.DataDir);
        if (entropy is double h && fit["E"] is not null)
        {
            string line = $"Fitted irreducible loss E = {Num(fit["E"])} nats/token vs the corpus's known entropy rate {Inv(h)} nats/token.";
            s.Text(line);
            findings.Lines.Add(line);
        }
        ReportCommand.AddSvgs(s, lawsDir, "laws", "Law fit");
        s.Code(output.Length > 4000 ? output[..4000] + "…" : output.Trim());
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
        var (bc, bout, berr) = ReportCommand.RunVerb(commands, log, "memory", "bound",
            "--n", run.Config.Model.DModel.ToString(CultureInfo.InvariantCulture),
            "--params", run.N.ToString(CultureInfo.InvariantCulture), "--tokens", run.Config.DataTokens.ToString(CultureInfo.InvariantCulture));
        if (bc == 0) s.Code(bout.Trim()).Text($"Measured plateau (minimum validation loss) of {run.Config.Name}: {SweepReport.L(run.MinValLoss)} nats/token.");
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
        if (!ReportCommand.HasVerb("dynamics") || !CliApp.BuildRoot().Subcommands.First(c => c.Name == "dynamics").Options.Any(o => o.Name == "--run"))
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

    private static string Num(JsonNode? n) =>
        n is JsonValue v && v.GetValueKind() == System.Text.Json.JsonValueKind.Number
            ? double.Parse(v.ToJsonString(), CultureInfo.InvariantCulture).ToString("G5", CultureInfo.InvariantCulture)
            : n?.ToJsonString() ?? "-";
}
