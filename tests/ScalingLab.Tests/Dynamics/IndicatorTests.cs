using ScalingLab.Common;
using ScalingLab.Dynamics;

namespace ScalingLab.Tests.Dynamics;

public class IndicatorTests
{
    [Fact]
    public void PercentilesInterpolateLinearly()
    {
        double[] v = [4, 1, 3, 2, double.NaN]; // NaN (undefined CKA) is left out
        Assert.Equal(1.75, Percentiles.Of(v, 25), 12);  // h = 0.75
        Assert.Equal(2.5, Percentiles.Of(v, 50), 12);
        Assert.Equal(3.7, Percentiles.Of(v, 90), 12);   // h = 2.7
        Assert.Equal(1.0, Percentiles.Of(v, 0), 12);
        Assert.Equal(4.0, Percentiles.Of(v, 100), 12);
        Assert.Equal([1.3, 1.75, 2.5, 3.25, 3.7], Percentiles.Of(v, Percentiles.Standard).Select(x => Math.Round(x, 12)));
        Assert.True(double.IsNaN(Percentiles.Of([double.NaN], 50)));
    }

    [Fact]
    public void MatthewsHandComputed()
    {
        // TP = 2 (items 0, 4), FP = 1 (item 1), TN = 2 (items 2, 3), FN = 0:
        // MCC = (2·2 − 1·0) / √(3·2·3·2) = 4/6.
        bool[] a = [true, true, false, false, true];
        bool[] b = [true, false, false, false, true];
        Assert.Equal(4.0 / 6.0, Matthews.Correlation(a, b)!.Value, 12);
        Assert.Equal(4.0 / 6.0, Matthews.Correlation(b, a)!.Value, 12);
        Assert.Equal(1.0, Matthews.Correlation(a, a)!.Value, 12);
        Assert.Equal(-1.0, Matthews.Correlation(a, a.Select(x => !x).ToArray())!.Value, 12);
        // TP = 1, FP = 1, TN = 1, FN = 1: MCC = 0, which is defined (and printed as 0.00).
        Assert.Equal(0.0, Matthews.Correlation([true, true, false, false], [true, false, true, false])!.Value, 12);
        Assert.Equal("0.67", Matthews.Format(4.0 / 6.0));
    }

    [Fact]
    public void MatthewsIsUndefinedWhenAnIndicatorIsConstant()
    {
        bool[] varied = [true, false, true];
        Assert.Null(Matthews.Correlation(varied, [true, true, true]));
        Assert.Null(Matthews.Correlation([false, false, false], varied));
        Assert.Equal("undefined", Matthews.Format(null));
    }

    [Fact]
    public void EarlyConvergenceNeedsTheThresholdWithinTheFraction()
    {
        var t = new IndicatorThresholds();
        long[] steps = [0, 1, 2, 4, 8, 16, 50, 100];
        Assert.True(ConvergenceIndicators.EarlyConvergence(steps, [0.1, 0.2, 0.3, 0.46, 0.3, 0.5, 0.8, 1], 100, t));  // at step 4
        Assert.False(ConvergenceIndicators.EarlyConvergence(steps, [0.1, 0.2, 0.3, 0.4, 0.44, 0.5, 0.8, 1], 100, t)); // first at 16
        Assert.Equal(0.16, ConvergenceIndicators.FirstFractionReaching(steps, [0.1, 0.2, 0.3, 0.4, 0.44, 0.5, 0.8, 1], 100, 0.45)!.Value, 12);
        Assert.Null(ConvergenceIndicators.FirstFractionReaching(steps, [0, 0, 0, 0, 0, 0, 0, 0.2], 100, 0.45));
        Assert.False(ConvergenceIndicators.EarlyConvergence(steps, [0.1, 0.2, 0.3, 0.46, 0.3, 0.5, 0.8, 1], 100, t with { EarlyFraction = 0.03 }));
    }

    [Fact]
    public void RankIndicatorsUseTheirThresholds()
    {
        var t = new IndicatorThresholds(Rule: PerRule.Absolute, Early: EarlyRule.Fraction);
        Assert.Equal([false, true, true], ConvergenceIndicators.LargeParamPer([0.9, 0.95, 0.99], t));
        // Largest 0.9 → cut 0.81.
        Assert.Equal([false, true, true, false], ConvergenceIndicators.LargeGradPer([0.5, 0.9, 0.82, 0.80], t));
    }
}
