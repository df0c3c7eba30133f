namespace ScalingLab.Cli.Commands;

/// <summary>`scalinglab report SWEEP_DIR`: report.html (self-contained) and report.md for a sweep.</summary>
public static class ReportCommand
{
    /// <summary>The `report` verb.</summary>
    public static Command Create()
    {
        var dir = new Argument<string>("SWEEP_DIR") { Description = "The sweep folder" };
        var output = SharedOptions.Out("Where to write report.html and report.md (default: SWEEP_DIR)");
        var noAnalyses = new Option<bool>("--no-analyses") { Description = "Only the sweep table, loss curves and provenance (no fit, memory, dynamics)" };
        var bootstrap = new Option<int>("--bootstrap") { Description = "Bootstrap resamples for the law fit's intervals", DefaultValueFactory = _ => 200 };
        return Verb.Create("report",
            Verb.Help("Write report.html (self-contained: inline SVG, no scripts) and report.md for a sweep: the table of runs, loss\n" +
            "curves, fitted scaling laws with intervals (or 'not identified') and the compute-optimal frontier, the memory\n" +
            "analysis, the training dynamics analysis, and the exact commands and versions.",
            "scalinglab report runs/tiny",
            "scalinglab report runs/tiny --no-analyses --out /tmp/r"),
            [dir, output, noAnalyses, bootstrap], pr =>
        {
            var folder = SweepFolder.Open(pr.GetValue(dir)!);
            var outcome = SweepReportBuilder.Build(folder,
                new ReportOptions { OutDir = pr.GetValue(output), Analyses = !pr.GetValue(noAnalyses), Bootstrap = pr.GetValue(bootstrap) },
                pr.InvocationConfiguration.Error);
            pr.InvocationConfiguration.Output.WriteLine($"report: {outcome.HtmlPath}");
            pr.InvocationConfiguration.Output.WriteLine($"report: {outcome.MarkdownPath}");
            return 0;
        });
    }
}
