using System.Globalization;
using ScalingLab.Reports;

namespace ScalingLab.Experiments;

/// <summary>
/// `overfit-subsets`: Niu et al. v1 §6.2 (Fig. 3): one GPT-2-style model trained for the same number of steps on 1%,
/// 10% and 100% of a corpus; the small subsets are memorised (training loss far below validation, validation rising),
/// the full set is not.
/// </summary>
public sealed class OverfitSubsets : IExperiment
{
    /// <summary>Rule thresholds, fixed before the run.</summary>
    public const double MemoriseGap = 0.5, Rise = 0.1, NoGap = 0.1, NoRise = 0.05;

    /// <inheritdoc/>
    public string Name => "overfit-subsets";
    /// <inheritdoc/>
    public string Title => "Memorising small subsets (Niu et al. v1 §6.2)";
    /// <inheritdoc/>
    public string Claim =>
        "Niu et al. (v1 §6.2, Fig. 3) train GPT-2 small on 100%, 1% and 0.1% of OpenWebText (≈ 9B, 90M, 9M tokens) and " +
        "show the small subsets' curves separating: the model memorises them. Here: one 4-layer, width-96 GPT-2-style " +
        "model (4.4·10⁵ non-embedding parameters) trained for 2,000 steps of 16 × 128 tokens on 1%, 10% and 100% of the " +
        "offline English corpus (about 68k, 680k and 6.8M tokens; the paper's batch and steps were not recovered).";
    /// <inheritdoc/>
    public string Rule => Verdict.RuleText(
        definitions: "final = the last evaluation",
        reproducedWhen: $"the 1% run's final training loss (on its own subset) is ≥ {MemoriseGap} nats below its final validation " +
                        $"loss and its validation loss rose ≥ {Rise} from its minimum, while the 100% run's gap is ≤ {NoGap} and its " +
                        $"validation loss ends within {NoRise} of its minimum",
        contradictedWhen: $"the 1% run's gap is ≤ {NoGap} (no memorisation at all)");
    /// <inheritdoc/>
    public IReadOnlyList<PaperValue> Reference { get; } =
    [
        new("subsets of OpenWebText, GPT-2 small (124M)", "100%, 1%, 0.1% ≈ 9B, 90M, 9M tokens", "Niu et al. v1 §6.2, Fig. 3 caption"),
        new("losses, batch, steps", "not recovered (the v1 paragraph was lost)", "spec associative-memory.md §7.2"),
    ];

    private static readonly double[] Subsets = [0.01, 0.1, 1.0];

    /// <inheritdoc/>
    public ExperimentSweep Sweep(bool quick) => ExperimentSweep.Of(Name, quick, Subsets.Select(f => new ExperimentGrid
    {
        Name = "subset" + (f * 100).ToString("0.##", CultureInfo.InvariantCulture) + "pct",
        Data = _ => ExperimentData.English(quick),
        HeadSize = 32,
        Train = (quick ? "batch: 8, seq: 64, lr: 2e-3, eval_every: 15, eval_windows: 16" : "batch: 16, seq: 128, lr: 1e-3, eval_every: 100, eval_windows: 64") +
                $", ckpt_every: 0, ckpt_log_until: 0, repeat: true, subset: {f.ToString(CultureInfo.InvariantCulture)}",
        Models = quick ? [new(2, 32)] : [new(4, 96)],
        DataSizes = [quick ? 300 * 8 * 64 : 2000 * 16 * 128],
    }).ToList());

    /// <summary>One subset's end state: final training loss (on the subset), final and minimum validation loss.</summary>
    public sealed record SubsetEnd(double Fraction, double Train, double Val, double MinVal);

    /// <summary>The verdict rule (fixed before the run).</summary>
    public static Verdict Judge(IReadOnlyList<SubsetEnd> ends)
    {
        var small = ends.MinBy(e => e.Fraction)!;
        var full = ends.MaxBy(e => e.Fraction)!;
        double gapSmall = small.Val - small.Train, riseSmall = small.Val - small.MinVal;
        double gapFull = full.Val - full.Train, riseFull = full.Val - full.MinVal;
        var checks = new List<VerdictCheck>
        {
            new($"{small.Fraction:P0}: validation − training loss", gapSmall, $"≥ {MemoriseGap}", gapSmall >= MemoriseGap),
            new($"{small.Fraction:P0}: validation rise from its minimum", riseSmall, $"≥ {Rise}", riseSmall >= Rise),
            new($"{full.Fraction:P0}: |validation − training loss|", Math.Abs(gapFull), $"≤ {NoGap}", Math.Abs(gapFull) <= NoGap),
            new($"{full.Fraction:P0}: validation rise from its minimum", riseFull, $"≤ {NoRise}", riseFull <= NoRise),
        };
        return Verdict.AllOf(new OverfitSubsets().Rule, checks, contradicted: gapSmall <= NoGap);
    }

    /// <inheritdoc/>
    public ExperimentFindings Analyze(ExperimentContext ctx)
    {
        var ends = new List<SubsetEnd>();
        var chart = new Chart("Training (solid, on the subset) and validation (dashed) loss per subset", "step", "loss (nats/token)");
        int ci = 0;
        foreach (var r in ctx.Runs.OrderBy(r => r.Config.Train.Subset ?? 1))
        {
            double f = r.Config.Train.Subset ?? 1;
            var evals = r.Curve.Where(x => x.ValLoss is not null && x.Step > 0).ToList();
            var last = evals[^1];
            double train = last.TrainEvalLoss ?? r.Curve.Last(x => x.TrainLoss is not null).TrainLoss!.Value;
            ends.Add(new SubsetEnd(f, train, last.ValLoss!.Value, evals.Min(x => x.ValLoss!.Value)));
            string color = Palette.Category(ci++);
            var tr = evals.Where(x => x.TrainEvalLoss is not null).ToList();
            if (tr.Count > 0) chart.Line($"{f:P0} training", tr.Select(x => (double)x.Step).ToArray(), tr.Select(x => x.TrainEvalLoss!.Value).ToArray(), color);
            chart.Series.Add(new Series($"{f:P0} validation", evals.Select(x => (double)x.Step).ToArray(), evals.Select(x => x.ValLoss!.Value).ToArray()) { Color = color, Dashed = true });
        }
        chart.Save(Path.Combine(ctx.OutDir, "subsets.svg"));
        string F4(double x) => x.ToString("0.0000", CultureInfo.InvariantCulture);
        return new ExperimentFindings
        {
            Verdict = Judge(ends),
            Summary =
            [
                string.Join("; ", ends.Select(e => $"{e.Fraction:P0}: training {F4(e.Train)}, validation {F4(e.Val)} (minimum {F4(e.MinVal)})")) + " nats/token at the end.",
            ],
            TableHead = ["subset", "final training loss", "final validation loss", "minimum validation loss", "gap", "rise"],
            TableRows = ends.Select(e => new[] { e.Fraction.ToString("P0", CultureInfo.InvariantCulture), F4(e.Train), F4(e.Val), F4(e.MinVal), F4(e.Val - e.Train), F4(e.Val - e.MinVal) }).ToList(),
            Figures = [new FigureRef("subsets.svg", "Training loss on each subset's own windows (solid) and validation loss (dashed) against step, for 1%, 10% and 100% of the corpus")],
        };
    }
}
