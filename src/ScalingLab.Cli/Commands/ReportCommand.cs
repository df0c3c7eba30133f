using System.CommandLine;
using System.Globalization;
using System.Text;
using ScalingLab.Common;
using ScalingLab.Reports;
using ScalingLab.Sweeps;

namespace ScalingLab.Cli.Commands;

/// <summary>`scalinglab report SWEEP_DIR`: report.html (self-contained) and report.md for a sweep.</summary>
public static class ReportCommand
{
    /// <summary>The `report` verb.</summary>
    public static Command Create()
    {
        var dir = new Argument<string>("SWEEP_DIR") { Description = "The sweep folder" };
        var output = new Option<string?>("--out") { Description = "Where to write report.html and report.md (default: SWEEP_DIR)" };
        var noAnalyses = new Option<bool>("--no-analyses") { Description = "Only the sweep table, loss curves and provenance (no fit, memory, dynamics)" };
        var bootstrap = new Option<int>("--bootstrap") { Description = "Bootstrap resamples for the law fit's intervals", DefaultValueFactory = _ => 200 };
        var cmd = new Command("report",
            "Write report.html (self-contained: inline SVG, no scripts) and report.md for a sweep: the table of runs, loss\n" +
            "curves, fitted scaling laws with intervals and the compute-optimal frontier, the memory analysis, the training\n" +
            "dynamics analysis, and the exact commands and versions.\n\n" +
            "Examples:\n  scalinglab report runs/tiny\n  scalinglab report runs/tiny --no-analyses --out /tmp/r");
        cmd.Arguments.Add(dir);
        cmd.Options.Add(output);
        cmd.Options.Add(noAnalyses);
        cmd.Options.Add(bootstrap);
        cmd.SetAction(pr =>
        {
            var folder = SweepFolder.Open(pr.GetValue(dir)!);
            int b = pr.GetValue(bootstrap);
            if (b < 0) throw new UserError($"report: --bootstrap must be ≥ 0 (got {b})");
            string outDir = Path.GetFullPath(pr.GetValue(output) ?? folder.Dir);
            string html = Build(folder, outDir, !pr.GetValue(noAnalyses), b, pr.InvocationConfiguration.Error, out _);
            pr.InvocationConfiguration.Output.WriteLine($"report: {html}");
            pr.InvocationConfiguration.Output.WriteLine($"report: {Path.Combine(outDir, "report.md")}");
            return 0;
        });
        return cmd;
    }

    /// <summary>The section headings every report has (the rendering check looks for each).</summary>
    public static readonly IReadOnlyList<string> SectionTitles =
        ["Sweep", "Loss curves", "Scaling laws", "Associative memory", "Training dynamics", "Commands and versions"];

    /// <summary>What the analyses found, for the demo's summary lines.</summary>
    public sealed class Findings
    {
        /// <summary>The fit's JSON (null when the fit did not run).</summary>
        public System.Text.Json.Nodes.JsonObject? Fit { get; set; }
        /// <summary>Lines worth printing at the end of a demo.</summary>
        public List<string> Lines { get; } = [];
    }

    /// <summary>Builds the report; returns the path of report.html.</summary>
    internal static string Build(SweepFolder folder, string outDir, bool analyses, int bootstrap, TextWriter log, out Findings findings)
    {
        findings = new Findings();
        var done = SweepReport.Collect(folder, out var all);
        if (all.Count == 0) throw new UserError($"report: sweep '{folder.Name}' has no runs; submit and run it first");
        var sections = new List<ReportSection> { SweepReport.RunsTable(folder, all, done), SweepReport.LossCurves(done) };
        var commands = new List<string>();
        string analysisDir = Path.Combine(folder.Dir, "analysis");
        Directory.CreateDirectory(analysisDir);
        if (analyses)
        {
            sections.Add(ReportAnalyses.Laws(folder, done, analysisDir, bootstrap, log, commands, findings));
            sections.Add(ReportAnalyses.Memory(folder, done, analysisDir, log, commands, findings));
            sections.Add(ReportAnalyses.Dynamics(folder, done, analysisDir, log, commands, findings));
        }
        else
        {
            foreach (var (id, title) in new[] { ("laws", "Scaling laws"), ("memory", "Associative memory"), ("dynamics", "Training dynamics") })
                sections.Add(new ReportSection(id, title).Text("Not computed (the report was made with --no-analyses)."));
        }
        sections.Add(SweepReport.Provenance(folder, commands));
        return ReportDocument.Write(outDir, $"ScalingLab report — sweep '{folder.Name}'", sections);
    }

    /// <summary>Runs another verb in-process, capturing what it prints; records the command line.</summary>
    internal static (int Code, string Out, string Err) RunVerb(List<string> commands, TextWriter log, params string[] args)
    {
        string line = "scalinglab " + string.Join(' ', args.Select(a => a.Any(char.IsWhiteSpace) ? SlurmScript.Quote(a) : a));
        commands.Add(line);
        log.WriteLine($"report: {line}");
        var o = new StringWriter(CultureInfo.InvariantCulture);
        var e = new StringWriter(CultureInfo.InvariantCulture);
        int code = CliApp.Run(args, o, e);
        return (code, o.ToString(), e.ToString());
    }

    /// <summary>True when this build has the verb <paramref name="path"/> (e.g. "fit", "memory radius").</summary>
    internal static bool HasVerb(string path)
    {
        Command c = CliApp.BuildRoot();
        foreach (string name in path.Split(' '))
        {
            var next = c.Subcommands.FirstOrDefault(s => s.Name == name);
            if (next is null) return false;
            c = next;
        }
        return true;
    }

    /// <summary>True when the verb at <paramref name="path"/> has option <paramref name="option"/>.</summary>
    internal static bool HasOption(string path, string option)
    {
        Command c = CliApp.BuildRoot();
        foreach (string name in path.Split(' '))
        {
            var next = c.Subcommands.FirstOrDefault(s => s.Name == name);
            if (next is null) return false;
            c = next;
        }
        return c.Options.Any(o => o.Name == option);
    }

    /// <summary>Adds every SVG in <paramref name="dir"/> as a figure of <paramref name="s"/>.</summary>
    internal static void AddSvgs(ReportSection s, string dir, string prefix, string captionPrefix)
    {
        if (!Directory.Exists(dir)) return;
        foreach (var f in Directory.GetFiles(dir, "*.svg").Order(StringComparer.Ordinal))
            s.Figure($"{prefix}-{Path.GetFileName(f)}", File.ReadAllText(f, Encoding.UTF8), $"{captionPrefix}: {Path.GetFileNameWithoutExtension(f)}");
    }
}
