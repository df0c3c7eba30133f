using System.Globalization;
using System.Runtime.InteropServices;
using ScalingLab.Model;
using ScalingLab.Sweeps;
using ScalingLab.Training;

namespace ScalingLab.Reports;

/// <summary>A finished run as the report sees it: its registry row, config, summary and metrics.jsonl rows.</summary>
public sealed record ReportRun(RunRecord Record, RunConfig Config, RunSummary Summary, IReadOnlyList<MetricsRow> Curve)
{
    /// <summary>The run's folder.</summary>
    public RunFolder Folder => new(Record.RunDir);

    /// <summary>Kaplan's N (non-embedding parameters).</summary>
    public long N => ModelAccounting.NonEmbeddingParams(Config.Model);

    /// <summary>The final validation loss (the last evaluation), or NaN.</summary>
    public double FinalValLoss => Summary.FinalValLoss ?? double.NaN;

    /// <summary>The minimum validation loss over the run (Kaplan's early-stopped loss), or NaN.</summary>
    public double MinValLoss => Summary.MinValLoss ?? double.NaN;
}

/// <summary>
/// The parts of the sweep report that come from the sweep itself: the table of runs, loss curves, final loss against
/// model size, and provenance (commands and versions). The analyses (laws, memory, dynamics) add their own sections.
/// </summary>
public static class SweepReport
{
    /// <summary>The finished runs of the sweep, in submission order.</summary>
    public static IReadOnlyList<ReportRun> Collect(SweepFolder folder, out IReadOnlyList<RunRecord> all)
    {
        using var reg = folder.OpenRegistry();
        all = reg.List(folder.Name);
        return all.Where(r => r.State == RunState.Done && r.MetricsJson is not null)
            .Select(r => new ReportRun(r, r.Config, r.Summary!, new RunFolder(r.RunDir).ReadMetrics()))
            .ToList();
    }

    /// <summary>The table of every run (finished or not).</summary>
    public static ReportSection RunsTable(SweepFolder folder, IReadOnlyList<RunRecord> all, IReadOnlyList<ReportRun> done)
    {
        var byId = done.ToDictionary(r => r.Record.Id);
        var rows = all.Select(r =>
        {
            var c = r.Config;
            byId.TryGetValue(r.Id, out var d);
            return new[]
            {
                r.Name, $"{c.Model.NLayer}×{c.Model.DModel}", F(ModelAccounting.NonEmbeddingParams(c.Model)), Canonical.Count(c.DataTokens),
                c.Steps.ToString(CultureInfo.InvariantCulture), c.Seed.ToString(CultureInfo.InvariantCulture),
                d is null ? "-" : L(d.FinalValLoss), d is null ? "-" : L(d.MinValLoss),
                F(ModelAccounting.TrainingFlops6N(c.Model, c.DataTokens)), r.State.ToString().ToLowerInvariant(),
            };
        }).ToList();
        return new ReportSection("sweep", "Sweep")
            .Text($"Sweep '{folder.Name}': {all.Count} runs, {done.Count} done, " +
                  $"{all.Count(r => r.State == RunState.Failed)} failed. N is Kaplan's non-embedding parameter count, D the " +
                  "training tokens, C = 6·N·D. Losses are validation cross-entropy in nats per token.")
            .Table(["run", "shape", "N", "D", "steps", "seed", "final val loss", "min val loss", "C (6ND)", "state"], rows);
    }

    /// <summary>Validation loss against tokens, one chart per grid, and final loss against N per data size.</summary>
    public static ReportSection LossCurves(IReadOnlyList<ReportRun> done)
    {
        var s = new ReportSection("loss-curves", "Loss curves");
        if (done.Count == 0) return s.Text("No run has finished yet.");
        foreach (var grid in done.GroupBy(r => r.Config.Grid))
        {
            var shapes = grid.Select(r => r.Config.Model.NLayer * 100000 + r.Config.Model.DModel).Distinct().Order().ToList();
            var chart = new Chart($"Validation loss during training — grid '{grid.Key}'", "tokens seen", "validation loss (nats/token)",
                                  AxisScale.Log, AxisScale.Linear);
            foreach (var r in grid.OrderBy(r => r.N).ThenBy(r => r.Config.DataTokens))
            {
                var pts = r.Curve.Where(m => m.ValLoss is double v && double.IsFinite(v) && m.Tokens > 0).ToList();
                if (pts.Count == 0) continue;
                int shape = shapes.IndexOf(r.Config.Model.NLayer * 100000 + r.Config.Model.DModel);
                chart.Line($"{r.Config.Model.NLayer}x{r.Config.Model.DModel} D={Canonical.Count(r.Config.DataTokens)} s{r.Config.Seed}",
                           pts.Select(m => (double)m.Tokens).ToArray(), pts.Select(m => m.ValLoss!.Value).ToArray(),
                           Palette.Category(shape), dashed: r.Config.DataTokens != grid.Max(x => x.Config.DataTokens));
            }
            if (chart.Series.Count > 0)
                s.Figure($"loss-{grid.Key}.svg", chart.ToSvg(),
                         $"Grid '{grid.Key}': validation loss against tokens seen; colour = model shape, solid = the largest data size.");
            var sizes = grid.Select(r => r.Config.DataTokens).Distinct().Order().ToList();
            if (grid.Select(r => r.N).Distinct().Count() >= 2)
            {
                var vsN = new Chart($"Final validation loss against model size — grid '{grid.Key}'", "N (non-embedding parameters)",
                                    "final validation loss", AxisScale.Log, AxisScale.Linear);
                for (int i = 0; i < sizes.Count; i++)
                {
                    var pts = grid.Where(r => r.Config.DataTokens == sizes[i] && double.IsFinite(r.FinalValLoss))
                                  .GroupBy(r => r.N).Select(g => (N: (double)g.Key, L: g.Average(r => r.FinalValLoss))).OrderBy(p => p.N).ToList();
                    if (pts.Count == 0) continue;
                    string color = Palette.Sequential(sizes.Count == 1 ? 0.8 : 0.2 + 0.7 * i / (sizes.Count - 1));
                    vsN.Line($"D = {Canonical.Count(sizes[i])}", pts.Select(p => p.N).ToArray(), pts.Select(p => p.L).ToArray(), color);
                    vsN.Scatter($"D = {Canonical.Count(sizes[i])} runs", pts.Select(p => p.N).ToArray(), pts.Select(p => p.L).ToArray(), color);
                    vsN.Series[^1] = vsN.Series[^1] with { InLegend = false };
                }
                if (vsN.Series.Count > 0)
                    s.Figure($"loss-vs-n-{grid.Key}.svg", vsN.ToSvg(),
                             $"Grid '{grid.Key}': final validation loss against N, one line per data size (mean over seeds).");
            }
        }
        return s;
    }

    /// <summary>The commands that built the sweep (SWEEP/commands.log), its spec, and the versions of everything.</summary>
    public static ReportSection Provenance(SweepFolder folder, IEnumerable<string> extraCommands)
    {
        var s = new ReportSection("provenance", "Commands and versions");
        string log = Path.Combine(folder.Dir, "commands.log");
        var commands = (File.Exists(log) ? File.ReadAllLines(log) : []).Concat(extraCommands).ToList();
        s.Text("The commands that produced this sweep and this report, in order (working directory first):");
        s.Code(commands.Count > 0 ? string.Join('\n', commands) : "(no commands recorded)");
        s.Text($"The sweep spec ({Path.GetFileName(folder.SpecPath)}):");
        s.Code(File.Exists(folder.SpecPath) ? File.ReadAllText(folder.SpecPath) : "(missing)");
        var asm = typeof(SweepReport).Assembly;
        string version = asm.GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
            .OfType<System.Reflection.AssemblyInformationalVersionAttribute>().FirstOrDefault()?.InformationalVersion ?? "unknown";
        s.Table(["component", "version"],
        [
            ["ScalingLab", version],
            [".NET runtime", RuntimeInformation.FrameworkDescription],
            ["operating system", RuntimeInformation.OSDescription],
            ["processor", $"{RuntimeInformation.ProcessArchitecture}, {Environment.ProcessorCount} logical cores" + CpuModel()],
            ["registry", SweepFolder.Show(folder.Registry)],
            ["generated", DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture)],
        ]);
        return s;
    }

    /// <summary>Appends a command line to SWEEP/commands.log (the report's provenance).</summary>
    public static void RecordCommand(SweepFolder folder, IEnumerable<string> args)
    {
        string line = $"{DateTime.UtcNow:yyyy-MM-dd HH:mm:ss}Z  (cd {Environment.CurrentDirectory}) scalinglab " +
                      string.Join(' ', args.Select(a => a.Any(ch => char.IsWhiteSpace(ch) || ch is '\'' or '"' or ';') ? SlurmScript.Quote(a) : a));
        File.AppendAllText(Path.Combine(folder.Dir, "commands.log"), line + "\n");
    }

    private static string CpuModel()
    {
        try
        {
            var line = File.Exists("/proc/cpuinfo") ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name")) : null;
            return line is null ? "" : ", " + line[(line.IndexOf(':') + 1)..].Trim();
        }
        catch (IOException)
        {
            return "";
        }
    }

    /// <summary>A count in short form (1.2M).</summary>
    public static string F(double x) => x switch
    {
        >= 1e15 => x.ToString("0.00e0", CultureInfo.InvariantCulture),
        >= 1e9 => (x / 1e9).ToString("0.##", CultureInfo.InvariantCulture) + "G",
        >= 1e6 => (x / 1e6).ToString("0.##", CultureInfo.InvariantCulture) + "M",
        >= 1e3 => (x / 1e3).ToString("0.##", CultureInfo.InvariantCulture) + "k",
        _ => x.ToString("0.##", CultureInfo.InvariantCulture),
    };

    /// <summary>A loss with four decimals, or "-".</summary>
    public static string L(double x) => double.IsFinite(x) ? x.ToString("0.0000", CultureInfo.InvariantCulture) : "-";
}
