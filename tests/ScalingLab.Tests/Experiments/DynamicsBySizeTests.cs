using ScalingLab.Experiments;

namespace ScalingLab.Tests.Experiments;

public class DynamicsBySizeTests
{
    [Fact]
    public void EarlierConvergenceWithSizeReproduces()
    {
        var v = DynamicsBySize.Judge(new([(1e5, 0.6, 0.7), (4e5, 0.4, 0.5), (1.6e6, 0.3, 0.3), (6.4e6, 0.15, 0.2)]));
        Assert.Equal(VerdictKind.Reproduced, v.Kind);
    }

    [Fact]
    public void LaterConvergenceWithSizeContradicts()
    {
        var v = DynamicsBySize.Judge(new([(1e5, 0.1, 0.1), (4e5, 0.2, 0.3), (1.6e6, 0.5, null), (6.4e6, null, null)]));
        Assert.Equal(VerdictKind.Contradicted, v.Kind);
    }

    [Fact]
    public void NoTrendOrTooSmallADropIsNotReproduced()
    {
        Assert.Equal(VerdictKind.NotReproducedAtThisScale,
            DynamicsBySize.Judge(new([(1e5, 0.3, 0.3), (4e5, 0.1, 0.5), (1.6e6, 0.4, 0.2), (6.4e6, 0.2, 0.4)])).Kind);
        Assert.Equal(VerdictKind.NotReproducedAtThisScale, // monotone but only 0.03 earlier
            DynamicsBySize.Judge(new([(1e5, 0.23, 0.23), (4e5, 0.22, 0.22), (1.6e6, 0.21, 0.21), (6.4e6, 0.20, 0.20)])).Kind);
    }

    [Fact]
    public void SpearmanAgainstHandValues()
    {
        Assert.Equal(-1, DynamicsBySize.Spearman([1, 2, 3, 4], [9, 5, 2, 1]), 12);
        // Ties take average ranks: x ranks 1,2,3,4; y = (1, 2, 2, 3) ranks 1, 2.5, 2.5, 4 → ρ = 4.5 / √(5 · 4.5).
        Assert.Equal(4.5 / Math.Sqrt(5 * 4.5), DynamicsBySize.Spearman([1, 2, 3, 4], [1, 2, 2, 3]), 12);
        Assert.True(double.IsNaN(DynamicsBySize.Spearman([1, 2, 3], [1, 1, 1])));
    }
}
