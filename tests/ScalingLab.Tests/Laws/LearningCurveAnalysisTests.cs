using ScalingLab.Common;
using ScalingLab.Laws;
using ScalingLab.Tensors;

namespace ScalingLab.Tests.Laws;

public class LearningCurveAnalysisTests
{
    private static readonly FitOptions TwoThreads = new() { Threads = 2 };

    [Fact]
    public void MinStepsMatchesAHandComputedCase()
    {
        // Kaplan eq. 5.4 with a measured B_crit of 1536 tokens and B = 512 tokens per step: S_min = S / (1 + 3).
        Assert.Equal(100, KaplanNS.MinStepsAt(400, 512, 1536), 12);
        var bins = new[] { new CriticalBatchPoint("r", 1e4, 1, 9, 9, 3.0, 1, 1536, 1536) };
        var run = new LearningCurveRun("r", 1e4, 512, 10, [(5, 3.5), (400, 2.5), (800, 2.0)], bins);
        var pts = LearningCurveAnalysis.MinSteps(run).ToList();
        Assert.Equal(2, pts.Count); // step 5 is inside the warmup
        Assert.Equal((400L, 2.5, 1536.0, 100.0), pts[0]);
        Assert.Equal(200, pts[1].SMin, 12);
        // Without a measured B_crit the steps are not corrected.
        var bare = LearningCurveAnalysis.MinSteps(run with { CriticalBatch = [] }).ToList();
        Assert.All(bare, p => Assert.Equal(p.Step, p.SMin));
        // The published law by hand: B_crit(3) = 2e8 / 3^(1/0.21) = 2e8 / e^(1.0986123 / 0.21) = 2e8 / 187.07 = 1.0691e6
        // tokens; at B = 2^19 tokens S_min = 1000 / (1 + 1.0691e6 / 524288) = 1000 / 3.0392 = 329.04.
        Assert.InRange(new KaplanNS().CriticalBatch(3), 1.0686e6, 1.0696e6);
        Assert.InRange(new KaplanNS().MinSteps(1000, 524288, 3), 328.95, 329.15);
    }

    [Fact]
    public void SummedMinStepsEqualsEq54ForAConstantCriticalBatchAndNeverFalls()
    {
        var constant = new[] { new CriticalBatchPoint("r", 1, 1, 9, 9, 3.0, 1, 1536, 1536) };
        var run = new LearningCurveRun("r", 1e4, 512, 0, [(100, 3.0), (200, 2.5), (400, 2.2)], constant);
        var k = LearningCurveAnalysis.MinSteps(run, MinStepsRule.Kaplan).Select(p => p.SMin).ToList();
        var sum = LearningCurveAnalysis.MinSteps(run, MinStepsRule.Integrated).Select(p => p.SMin).ToList();
        Assert.Equal([25.0, 50.0, 100.0], k);                 // S / (1 + 3)
        Assert.Equal(k, sum);
        // B_crit rising from 512 (L = 3) to 16 × 512 (L = 1.5): eq. 5.4 gives S_min = 100/2 = 50 at step 100 but 400/17 ≈ 23.5
        // at step 400; summed step by step: 100·½ = 50, then + 300·(½ + 1/17)/2 = 50 + 83.8 = 133.8.
        var rising = new[] { new CriticalBatchPoint("r", 1, 1, 9, 9, 3.0, 1, 512, 512), new CriticalBatchPoint("r", 1, 1, 9, 9, 1.5, 1, 8192, 8192) };
        var run2 = new LearningCurveRun("r", 1e4, 512, 0, [(100, 3.0), (400, 1.5)], rising);
        var k2 = LearningCurveAnalysis.MinSteps(run2, MinStepsRule.Kaplan).Select(p => p.SMin).ToList();
        var sum2 = LearningCurveAnalysis.MinSteps(run2, MinStepsRule.Integrated).Select(p => p.SMin).ToList();
        Assert.Equal(50, k2[0], 12);
        Assert.Equal(400.0 / 17, k2[1], 12);
        Assert.Equal(50, sum2[0], 12);
        Assert.Equal(50 + 300 * (0.5 + 1.0 / 17) / 2, sum2[1], 12);
    }

    /// <summary>
    /// Learning curves from a known L(N, S_min) and a known B_crit(L): at each S_min the loss is the law's, the step is
    /// S = S_min (1 + B_crit(L)/B) rounded, and the loss carries multiplicative noise of sd <paramref name="noise"/>.
    /// </summary>
    internal static List<LearningCurveRun> Curves(KaplanNS truth, double[] sizes, double noise, ulong seed, double batch = 512)
    {
        var rng = new Rng(seed);
        CriticalBatchPoint Bin(double loss) => new("r", 0, 0, 0, 1, loss, 1, 2e4 / Math.Pow(loss, 4), 2e4 / Math.Pow(loss, 4));
        var runs = new List<LearningCurveRun>();
        foreach (double n in sizes)
        {
            var bins = new[] { 1.5, 2.0, 3.0, 5.0, 8.0 }.Select(Bin).ToList();
            var curve = new List<(long, double)>();
            for (int k = 0; k < 20; k++)
            {
                double sMinTarget = 100 * Math.Pow(200, k / 19.0);
                double loss = truth.Loss(new LawInput(N: n, S: sMinTarget));
                long step = (long)Math.Round(sMinTarget * (1 + NoiseScaleAnalysis.CriticalBatchAt(bins, loss) / batch));
                // The loss of the step actually taken: S_min from the rounded step (the law is smooth, so one fixed-point pass is plenty).
                double sMin = KaplanNS.MinStepsAt(step, batch, NoiseScaleAnalysis.CriticalBatchAt(bins, loss));
                loss = truth.Loss(new LawInput(N: n, S: sMin));
                curve.Add((step, loss * Math.Exp(noise * rng.NextNormal())));
            }
            runs.Add(new LearningCurveRun($"n{n}", n, batch, 10, curve, bins));
        }
        return runs;
    }

    [Fact]
    public void RecoversKnownParametersFromSyntheticCurves()
    {
        var truth = new KaplanNS(Nc: 1e7, AlphaN: 0.3, Sc: 200, AlphaS: 0.76);
        var runs = Curves(truth, [1e4, 2.5e4, 6e4, 1.5e5, 4e5, 1e6], 0.003, 5);
        var r = LearningCurveAnalysis.Run(new LearningCurveOptions { Runs = runs, Bootstrap = 12, Seed = 2, Fit = TwoThreads });
        Assert.Equal(6, r.RunsCorrected);
        Assert.True(r.Parameters.All(p => p.Identified), string.Join("; ", r.Profiles.Select(p => $"{p.Parameter} flat [{p.FlatLo}, {p.FlatHi}]")));
        Assert.InRange(r.Quantity("alpha_N").Estimate, 0.3 * 0.95, 0.3 * 1.05);
        Assert.InRange(r.Quantity("alpha_S").Estimate, 0.76 * 0.95, 0.76 * 1.05);
        Assert.InRange(r.Quantity("N_c").Estimate, 1e7 / 1.3, 1e7 * 1.3);
        Assert.InRange(r.Quantity("S_c").Estimate, 200 / 1.3, 200 * 1.3);
        Assert.True(r.R2LogLoss > 0.99, $"R² {r.R2LogLoss}");
        Assert.Empty(r.NonMonotoneRuns);
        Assert.NotNull(r.Bootstrap);
        Assert.Equal(2.1e3, r.Published.Single(p => p.Name == "S_c").Published);
        // Fitting the same curves without the correction (S in place of S_min) gives a different, worse description.
        var bare = LearningCurveAnalysis.Run(new LearningCurveOptions
        {
            Runs = runs.Select(x => x with { CriticalBatch = [] }).ToList(), Bootstrap = 0, Fit = TwoThreads,
        });
        Assert.Equal(0, bare.RunsCorrected);
        Assert.Contains("not corrected", bare.Correction);
        Assert.True(bare.Objective > 2 * r.Objective, $"uncorrected objective {bare.Objective} vs corrected {r.Objective}");
    }

    [Fact]
    public void ModelSizesTooCloseToSeparateNcFromAlphaNAreFlagged()
    {
        // Model sizes within 5% of each other and 1% noise: (N_c/N)^α_N is a constant to the data, so N_c trades against α_N.
        var truth = new KaplanNS(Nc: 1e7, AlphaN: 0.3, Sc: 200, AlphaS: 0.76);
        var runs = Curves(truth, [1e5, 1.01e5, 1.02e5, 1.03e5, 1.04e5, 1.05e5], 0.01, 6);
        var r = LearningCurveAnalysis.Run(new LearningCurveOptions { Runs = runs, Bootstrap = 0, Fit = TwoThreads });
        var unidentified = r.Parameters.Where(p => !p.Identified).Select(p => p.Name).ToList();
        Assert.True(unidentified.Contains("N_c") || unidentified.Contains("alpha_N"),
                    string.Join("; ", r.Profiles.Select(p => $"{p.Parameter} flat [{p.FlatLo}, {p.FlatHi}] {p.Identified}")));
        Assert.All(r.Parameters.Where(p => !p.Identified), p => { Assert.Null(p.Interval); Assert.NotNull(p.NotIdentifiedRange); });
        Assert.Contains("not identified", r.Parameters.First(p => !p.Identified).IntervalText(x => x.ToString("G3")));
    }

    [Fact]
    public void OneModelSizeIsAUserError()
    {
        var truth = new KaplanNS(Nc: 1e7, AlphaN: 0.3, Sc: 200, AlphaS: 0.76);
        var runs = Curves(truth, [1e5, 1e5], 0.003, 7);
        var e = Assert.Throws<UserError>(() => LearningCurveAnalysis.Run(new LearningCurveOptions { Runs = runs, Fit = TwoThreads }));
        Assert.Contains("2 model sizes", e.Message);
    }
}
