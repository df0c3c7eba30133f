using ScalingLab.Laws;
using ScalingLab.Tensors;
using ScalingLab.Training;

namespace ScalingLab.Tests.Laws;

public class NoiseScaleAnalysisTests
{
    /// <summary>
    /// Training records whose gradients are drawn from a known model: at step s the loss is c·s^(−0.2), the true gradient
    /// has |G|² = 1/s and the per-token gradient covariance is isotropic in <paramref name="dim"/> dimensions with
    /// tr(Σ) = B_crit(L)·|G|², B_crit(L) = bStar / L^(1/alphaB). The small batch is the first part of the big one, as in
    /// the trainer. Norms are written as the trainer writes them (grad_norm_micro, grad_norm).
    /// </summary>
    internal static List<MetricsRow> Simulate(double c, double bStar, double alphaB, int steps, int bSmall, int bBig, ulong seed, int dim = 400)
    {
        var rng = new Rng(seed);
        var rows = new List<MetricsRow>();
        var small = new double[dim];
        var big = new double[dim];
        for (int s = 1; s <= steps; s++)
        {
            double loss = c * Math.Pow(s, -0.2), g2 = 1.0 / s, tr = bStar / Math.Pow(loss, 1 / alphaB) * g2;
            double gi = Math.Sqrt(g2 / dim), sd = Math.Sqrt(tr / dim); // per coordinate: mean, per-token noise sd
            for (int i = 0; i < dim; i++)
            {
                small[i] = gi + sd / Math.Sqrt(bSmall) * rng.NextNormal();
                double rest = gi + sd / Math.Sqrt(bBig - bSmall) * rng.NextNormal();
                big[i] = (bSmall * small[i] + (bBig - bSmall) * rest) / bBig;
            }
            rows.Add(new MetricsRow
            {
                Step = s, TrainLoss = loss, GradNorm = Math.Sqrt(big.Sum(x => x * x)), GradNormMicro = Math.Sqrt(small.Sum(x => x * x)),
            });
        }
        return rows;
    }

    [Fact]
    public void RecoversKaplansCriticalBatchLawFromSimulatedTrainingRecords()
    {
        const double bStar = 2e4, alphaB = 0.2;
        var runs = new[] { 5.0, 6.0, 7.0 }.Select((c, i) =>
            new NoiseScaleRun($"r{i}", 1e4 * (i + 1), 256, 1024, 10, Simulate(c, bStar, alphaB, 3000, 256, 1024, (ulong)(11 + i)))).ToList();
        var r = NoiseScaleAnalysis.Run(new NoiseScaleOptions { Runs = runs, Seed = 1, Resamples = 300 });
        Assert.Equal(3, r.Runs.Count);
        Assert.Empty(r.NotLogged);
        // Every bin's B_simple against the truth at the bin's loss (the bin averages over a stretch where B changes).
        foreach (var b in r.Runs.SelectMany(x => x.Bins))
        {
            double truth = bStar / Math.Pow(b.Loss, 1 / alphaB);
            Assert.InRange(b.BSimpleTokens / truth, 0.8, 1.25);
        }
        var fit = r.Fit!;
        Assert.True(fit.Identified, string.Join("; ", fit.Checks.Select(c => $"{c.Rule}: {c.Measured}")));
        Assert.InRange(fit.AlphaB, alphaB * 0.93, alphaB * 1.07);
        Assert.InRange(fit.BStar, bStar / 1.5, bStar * 1.5);
        Assert.InRange(alphaB, fit.AlphaBInterval!.Lo, fit.AlphaBInterval.Hi);
        Assert.True(fit.Decades >= 2, $"{fit.Decades} decades");
    }

    [Fact]
    public void AFlatStretchOfTrainingIsNotIdentifiedAndSaysWhy()
    {
        // Late training only (loss barely moves): B_crit spans far less than two decades.
        var runs = new[] { 5.0, 5.2, 5.4 }.Select((c, i) =>
        {
            var rows = Simulate(c, 2e4, 0.2, 3000, 256, 1024, (ulong)(21 + i));
            return new NoiseScaleRun($"r{i}", 1e4, 256, 1024, 2500, rows);
        }).ToList();
        var fit = NoiseScaleAnalysis.Run(new NoiseScaleOptions { Runs = runs, Seed = 1, Resamples = 200 }).Fit!;
        Assert.False(fit.Identified);
        var decades = fit.Checks.Single(c => c.Rule.Contains("decades"));
        Assert.False(decades.Passed);
        Assert.Contains("decades", decades.Measured);
    }

    [Fact]
    public void RunsWithoutAccumulationAreListedAsNotLogged()
    {
        Assert.Null(NoiseScaleRun.From("a", 1e4, new TrainConfig { Batch = 8, Seq = 32, Accum = 1 }, 100, []));
        var run = NoiseScaleRun.From("b", 1e4, new TrainConfig { Batch = 8, Seq = 32, Accum = 4 }, 200, [new MetricsRow { Step = 1, TrainLoss = 3 }])!;
        Assert.Equal(256, run.SmallBatchTokens);
        Assert.Equal(1024, run.BigBatchTokens);
        Assert.Equal(10, run.WarmupSteps); // warmup −1 = 5% of 200 steps
        var r = NoiseScaleAnalysis.Run(new NoiseScaleOptions { Runs = [run] });
        Assert.Equal(["b"], r.NotLogged);
        Assert.Null(r.Fit);
    }

    [Fact]
    public void CriticalBatchIsInterpolatedInLogLogBetweenBinsAndHeldBeyondThem()
    {
        CriticalBatchPoint P(double loss, double b) => new("r", 1, 0, 0, 1, loss, 1, b, b);
        var bins = new[] { P(4, 25), P(2, 100) };
        Assert.Equal(50, NoiseScaleAnalysis.CriticalBatchAt(bins, Math.Sqrt(8)), 9); // halfway in ln L: √(25·100)
        Assert.Equal(25, NoiseScaleAnalysis.CriticalBatchAt(bins, 5));
        Assert.Equal(100, NoiseScaleAnalysis.CriticalBatchAt(bins, 1));
        Assert.True(double.IsNaN(NoiseScaleAnalysis.CriticalBatchAt([P(3, double.NaN)], 3)));
    }
}
