using ScalingLab.Common;
using ScalingLab.Sweeps;

namespace ScalingLab.Reports;

/// <summary>How to build a sweep report.</summary>
public sealed record ReportOptions
{
    /// <summary>Where report.html and report.md go (null = the sweep folder).</summary>
    public string? OutDir { get; init; }
    /// <summary>False: only the sweep table, loss curves and provenance.</summary>
    public bool Analyses { get; init; } = true;
    /// <summary>Bootstrap resamples of the law fit.</summary>
    public int Bootstrap { get; init; } = 200;
    /// <summary>Threads for the analyses (0 = all cores).</summary>
    public int Threads { get; init; }
}

/// <summary>What the report found, typed, beside the files it wrote.</summary>
public sealed record ReportOutcome
{
    /// <summary>report.html.</summary>
    public required string HtmlPath { get; init; }
    /// <summary>report.md.</summary>
    public required string MarkdownPath { get; init; }
    /// <summary>The law fit (null when not enough runs, or --no-analyses).</summary>
    public LawsFindings? Laws { get; init; }
    /// <summary>The noise scale and the learning-curve fit (null when not computed).</summary>
    public CurvesFindings? Curves { get; init; }
    /// <summary>Lines worth printing at the end of a demo.</summary>
    public required IReadOnlyList<string> Findings { get; init; }
}

/// <summary>
/// The sweep report: collects the sweep's finished runs and composes sections from typed results of the library's
/// analyses — the law fit (<see cref="Laws.LawFitAnalysis"/>), the memory analysis and the dynamics analysis — then
/// writes report.html and report.md. No analysis runs a CLI verb; each section records the command that reproduces it.
/// A failed analysis becomes a section that says what failed, not a failed report.
/// </summary>
public static class SweepReportBuilder
{
    /// <summary>The section headings every report has (the rendering check looks for each).</summary>
    public static readonly IReadOnlyList<string> SectionTitles =
        ["Sweep", "Loss curves", "Scaling laws", CurvesSection.Title, "Associative memory", "Training dynamics", "Commands and versions"];

    /// <summary>Builds the report of <paramref name="folder"/>; progress lines go to <paramref name="log"/>.</summary>
    public static ReportOutcome Build(SweepFolder folder, ReportOptions options, TextWriter log)
    {
        if (options.Bootstrap < 0) throw new UserError($"report: --bootstrap must be ≥ 0 (got {options.Bootstrap})");
        var done = SweepReport.Collect(folder, out var all);
        if (all.Count == 0) throw new UserError($"report: sweep '{folder.Name}' has no runs; submit and run it first");
        string outDir = Path.GetFullPath(options.OutDir ?? folder.Dir);
        var sections = new List<ReportSection> { SweepReport.RunsTable(folder, all, done), SweepReport.LossCurves(done) };
        var ctx = new ReportContext(folder, done, Path.Combine(folder.Dir, "analysis"), options, log);
        Directory.CreateDirectory(ctx.AnalysisDir);
        LawsFindings? laws = null;
        CurvesFindings? curves = null;
        if (options.Analyses)
        {
            sections.Add(Guard(ctx, "laws", "Scaling laws", () => LawsSection.Build(ctx, out laws)));
            sections.Add(Guard(ctx, "curves", CurvesSection.Title, () => CurvesSection.Build(ctx, out curves)));
            sections.Add(Guard(ctx, "memory", "Associative memory", () => MemorySection.Build(ctx)));
            sections.Add(Guard(ctx, "dynamics", "Training dynamics", () => DynamicsSection.Build(ctx)));
        }
        else
        {
            foreach (var (id, title) in new[] { ("laws", "Scaling laws"), ("curves", CurvesSection.Title), ("memory", "Associative memory"), ("dynamics", "Training dynamics") })
                sections.Add(new ReportSection(id, title).Text("Not computed (the report was made with --no-analyses)."));
        }
        // A sweep of `scalinglab reproduce` carries its experiment's result: its section (verdict, table, figures).
        string reproduced = Path.Combine(folder.Dir, Experiments.ExperimentResult.SweepFileName);
        if (File.Exists(reproduced)) sections.Add(Experiments.ExperimentResult.Load(reproduced).Section());
        sections.Add(SweepReport.Provenance(folder, ctx.Commands));
        string html = ReportDocument.Write(outDir, $"ScalingLab report — sweep '{folder.Name}'", sections);
        return new ReportOutcome
        {
            HtmlPath = html, MarkdownPath = Path.Combine(outDir, "report.md"), Laws = laws, Curves = curves, Findings = ctx.Findings,
        };
    }

    /// <summary>An analysis that fails on bad input becomes a section saying so.</summary>
    private static ReportSection Guard(ReportContext ctx, string id, string title, Func<ReportSection> build)
    {
        try
        {
            return build();
        }
        catch (Exception e) when (e is UserError or IOException)
        {
            ctx.Log.WriteLine($"report: {title}: {e.Message}");
            return new ReportSection(id, title).Text($"The analysis failed: {e.Message}");
        }
    }
}

/// <summary>What every section builder gets: the sweep, its finished runs, where to write, and where to record.</summary>
public sealed class ReportContext(SweepFolder folder, IReadOnlyList<ReportRun> done, string analysisDir, ReportOptions options, TextWriter log)
{
    /// <summary>The sweep.</summary>
    public SweepFolder Folder { get; } = folder;
    /// <summary>Its finished runs.</summary>
    public IReadOnlyList<ReportRun> Done { get; } = done;
    /// <summary>SWEEP/analysis: files the analyses write.</summary>
    public string AnalysisDir { get; } = analysisDir;
    /// <summary>The report's options.</summary>
    public ReportOptions Options { get; } = options;
    /// <summary>Progress lines.</summary>
    public TextWriter Log { get; } = log;
    /// <summary>Commands that reproduce each analysis from the CLI (for the provenance section).</summary>
    public List<string> Commands { get; } = [];
    /// <summary>Lines worth printing at the end of a demo.</summary>
    public List<string> Findings { get; } = [];

    /// <summary>The grid the law analyses use: the one with the most distinct (N, D) points; null when no run finished.</summary>
    public IGrouping<string, ReportRun>? LawGrid() =>
        Done.GroupBy(r => r.Config.Grid).OrderByDescending(g => g.Select(r => (r.N, r.Config.DataTokens)).Distinct().Count()).FirstOrDefault();

    /// <summary>Threads for an analysis.</summary>
    public int Threads => Options.Threads > 0 ? Options.Threads : Environment.ProcessorCount;

    /// <summary>Records the CLI command equivalent to an analysis the report ran through the library.</summary>
    public void Record(params string[] args)
    {
        string line = "scalinglab " + string.Join(' ', args.Select(a => a.Any(char.IsWhiteSpace) ? SlurmScript.Quote(a) : a));
        Commands.Add(line);
        Log.WriteLine($"report: {line}");
    }
}
