using ScalingLab.Reports;
using ScalingLab.Sweeps;

namespace ScalingLab.Experiments;

/// <summary>What an experiment's analysis gets: the finished sweep, where to put figures, and how it was run.</summary>
public sealed record ExperimentContext(SweepFolder Folder, IReadOnlyList<ReportRun> Runs, string OutDir, bool Quick,
                                       double Scale, TextWriter Log);

/// <summary>A figure of a results section: an SVG file in the experiment's folder and its caption.</summary>
public sealed record FigureRef(string File, string Caption);

/// <summary>What an analysis returns: the verdict, the table and figures of its results section, and summary lines.</summary>
public sealed record ExperimentFindings
{
    /// <summary>The pre-registered rule applied to the measurement.</summary>
    public required Verdict Verdict { get; init; }
    /// <summary>Lines worth printing (the headline numbers beside the paper's).</summary>
    public required IReadOnlyList<string> Summary { get; init; }
    /// <summary>The results table (header, rows).</summary>
    public required string[] TableHead { get; init; }
    /// <summary>Rows of the results table.</summary>
    public required IReadOnlyList<string[]> TableRows { get; init; }
    /// <summary>Figures: file name (in the experiment's folder) and caption.</summary>
    public IReadOnlyList<FigureRef> Figures { get; init; } = [];
}

/// <summary>
/// One experiment of `scalinglab reproduce`: a built-in sweep, the analysis, the paper's reference values with their
/// source, and a verdict rule fixed in code before the run.
/// </summary>
public interface IExperiment
{
    /// <summary>Command-line name (e.g. "known-entropy-law").</summary>
    string Name { get; }
    /// <summary>Heading of its results section.</summary>
    string Title { get; }
    /// <summary>The paper's claim being tested, in one or two sentences, with the scale difference.</summary>
    string Claim { get; }
    /// <summary>The rule, as printed with the result (fixed before the run).</summary>
    string Rule { get; }
    /// <summary>The published figures the result is set beside.</summary>
    IReadOnlyList<PaperValue> Reference { get; }
    /// <summary>The sweep: the full size, or the CI size when <paramref name="quick"/>.</summary>
    ExperimentSweep Sweep(bool quick);
    /// <summary>Analyses the finished runs and applies the rule.</summary>
    ExperimentFindings Analyze(ExperimentContext context);
}
