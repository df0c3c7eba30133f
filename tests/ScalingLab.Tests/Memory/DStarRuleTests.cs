using ScalingLab.Memory;

namespace ScalingLab.Tests.Memory;

public class DStarRuleTests
{
    [Fact]
    public void TableThreeRecomputesFromTheRoundedMses()
    {
        // Niu et al. Table 3 (MSE rounded to 2 decimals), model 2 (N = 60.26M): with "<" D* = 261.78M; with "≤" 237.98M.
        var rows = new[] { (214.18, 0.05), (237.98, 0.04), (261.78, 0.02), (285.57, 0.02) }
            .Select(x => new DStarRow(Math.Round(x.Item1 * 1e6), 3.0, 6000, x.Item2, 1000)).ToList();
        Assert.Equal(261.78e6, DStarRule.Select(rows).DStar);
        Assert.Equal(237.98e6, DStarRule.Select(rows, strict: false).DStar);
        // Model 1 with "<": 0.07, 0.05, 0.04, 0.04 — no D* (the paper's marked 214.18M needs "≤").
        var m1 = new[] { (167.06, 0.07), (190.38, 0.05), (214.18, 0.04), (237.98, 0.04) }
            .Select(x => new DStarRow(Math.Round(x.Item1 * 1e6), 3.0, 6000, x.Item2, 1000)).ToList();
        var strict = DStarRule.Select(m1);
        Assert.Null(strict.DStar);
        Assert.Contains("<", strict.Rule);
        Assert.Equal(214.18e6, DStarRule.Select(m1, strict: false).DStar);
        // The ratios of the paper recompute from N and D*.
        Assert.Equal(8.709, 1e10 * DStarRule.Ratio(39.95e6, 214.18e6), 3);
        Assert.Equal(8.793, 1e10 * DStarRule.Ratio(60.26e6, 261.78e6), 3);
        Assert.Equal(8.379, 1e10 * DStarRule.Ratio(80.20e6, 309.37e6), 3);
    }

    [Fact]
    public void MseIsOverTheWindowAfterTheValidationMinimum()
    {
        // Validation minimum 2.0 at step 10; training losses after it: 2.1 at 11..20 (in a window of 10), 5.0 later.
        var val = new List<(long, double)> { (0, 4.0), (5, 2.5), (10, 2.0), (15, 2.2), (30, 2.3) };
        var train = Enumerable.Range(0, 40).Select(s => ((long)s, s <= 20 ? 2.1 : 5.0)).ToList();
        var row = DStarRule.Measure(1000, train, val, window: 10);
        Assert.Equal(2.0, row.MinValLoss);
        Assert.Equal(10, row.MinValStep);
        Assert.Equal(10, row.Iterations);
        Assert.Equal(0.01, row.Mse, 12);
        // A window reaching the 5.0 losses makes the MSE large: the rule can fail.
        Assert.True(DStarRule.Measure(1000, train, val, window: 20).Mse > DStarRule.Sigma2);
        // Minimum at the last step: nothing follows, MSE undefined, never selected.
        var end = DStarRule.Measure(2000, train, [(0, 4.0), (39, 1.0)], window: 10);
        Assert.True(double.IsNaN(end.Mse));
        Assert.Null(DStarRule.Select([end]).DStar);
        // With the fallback, the window before the minimum: steps 30..39 at 5.0 against 1.0 → MSE 16, marked.
        var before = DStarRule.Measure(2000, train, [(0, 4.0), (39, 1.0)], window: 10, fallbackBefore: true);
        Assert.True(before.Before);
        Assert.Equal(10, before.Iterations);
        Assert.Equal(16, before.Mse, 12);
    }
}
