using System.Globalization;
using ScalingLab.Memory;

namespace ScalingLab.Reports;

/// <summary>
/// The report's "Associative memory" section (Niu et al.): the nearest-neighbour radius of the largest model's final
/// hidden states against 2r and a Gaussian null (<see cref="RadiusAnalysis"/>), Proposition 4's loss bound beside the
/// measured losses (<see cref="LossBoundAnalysis"/>), and the Question-Formation plateaus.
/// </summary>
public static class MemorySection
{
    /// <summary>Chunks the radius samples.</summary>
    public const int Chunks = 256;

    private static string G(double x) => x.ToString("G5", CultureInfo.InvariantCulture);

    /// <summary>Builds the section.</summary>
    public static ReportSection Build(ReportContext ctx)
    {
        var s = new ReportSection("memory", "Associative memory");
        if (ctx.Done.Count == 0) return s.Text("No finished run to analyse.");
        var run = ctx.Done.OrderByDescending(r => r.N).ThenByDescending(r => r.Config.DataTokens).First();
        var ckpts = run.Folder.Checkpoints();
        if (ckpts.Count == 0) return s.Text($"Run {run.Config.Name} has no checkpoint.");
        string memDir = Path.Combine(ctx.AnalysisDir, "memory");

        ctx.Record("memory", "radius", "--checkpoint", ckpts[^1].Path, "--shard", run.Config.DataDir, "--chunks",
                   Chunks.ToString(CultureInfo.InvariantCulture), "--out", memDir, "--json");
        var radius = RadiusAnalysis.Run(new RadiusOptions
        {
            Checkpoint = ckpts[^1].Path, Data = run.Config.DataDir, Chunks = Chunks, OutDir = memDir, Threads = ctx.Threads,
        });
        s.Text($"Nearest-neighbour distances between the final hidden states of {run.Config.Name} (the largest model), " +
               $"n = {radius.Dim}, {radius.Source}: mean {G(radius.Mean)}, median {G(radius.Median)} over {radius.Count} vectors. " +
               $"The paper compares them with 2r = {G(radius.PredictedSeparation)} (r = √(n/2πe)): mean / 2r = {radius.MeanOverTwoR:0.###}" +
               (radius.RatioToNull is double q ? $"; mean / the Gaussian null's (same mean and covariance) = {q:0.###}." : "."));
        s.Table(["subset", "vectors", "mean", "median", "mean / 2r", "mean / null"],
                radius.Subsets.Select(x => new[]
                {
                    $"{100 * x.Fraction:0}%", x.Count.ToString(CultureInfo.InvariantCulture), G(x.Sample.Mean), G(x.Sample.Median),
                    x.MeanOverTwoR.ToString("0.###", CultureInfo.InvariantCulture), x.MeanRatioToNull is double r ? r.ToString("0.###", CultureInfo.InvariantCulture) : "-",
                }).ToList());
        s.Text($"Verdict: {radius.Verdict} (rule: {radius.VerdictRule}).");
        s.Figure("memory-radius_histogram.svg", ChartGrid.ToSvg(RadiusFigure.Panels(radius), 2), "Memory: nearest-neighbour distances per subset.");

        ctx.Record("memory", "bound", "--run", run.Record.RunDir);
        var bound = LossBoundAnalysis.Run(new LossBoundOptions { Run = run.Record.RunDir });
        s.Text($"Proposition 4's lower bound for {run.Config.Name} beside its measured losses:").Code(bound.Table().Trim());
        foreach (var qf in ctx.Done.Where(r => r.Config.Grid.Contains("qf", StringComparison.OrdinalIgnoreCase)).OrderBy(r => r.Config.Model.NLayer))
        {
            string train = qf.Summary.FinalTrainLoss is double t ? $", final training loss {SweepReport.L(t)}" : "";
            string line = $"Question-Formation {qf.Config.Model.NLayer}-layer model: plateau (min validation loss) {SweepReport.L(qf.MinValLoss)}{train} nats/token " +
                          "vs Niu et al.'s ≈ 1 (§6.3, training loss).";
            s.Text(line);
            ctx.Findings.Add(line);
        }
        return s;
    }
}
