using ScalingLab.Experiments;

namespace ScalingLab.Tests.Experiments;

public class QfPlateauTests
{
    private static QfPlateau.Plateau P(int l, double train, double change) => new(l, train, train + 0.05, change);

    [Fact]
    public void FlatPlateausNearOneReproduce()
    {
        var v = QfPlateau.Judge(new([P(6, 0.99, -0.005), P(10, 1.04, 0.001)], 0.9869));
        Assert.Equal(VerdictKind.Reproduced, v.Kind);
    }

    [Fact]
    public void StillFallingOrFarAboveIsNotReproduced()
    {
        Assert.Equal(VerdictKind.NotReproducedAtThisScale, QfPlateau.Judge(new([P(6, 1.05, -0.08), P(10, 1.04, 0.0)], 0.9869)).Kind);
        Assert.Equal(VerdictKind.NotReproducedAtThisScale, QfPlateau.Judge(new([P(6, 1.6, 0.0), P(10, 1.5, 0.0)], null)).Kind);
    }

    [Fact]
    public void AFlatPlateauUnderTheBoundContradicts()
    {
        Assert.Equal(VerdictKind.Contradicted, QfPlateau.Judge(new([P(6, 0.7, 0.0), P(10, 1.0, 0.0)], 0.6)).Kind);
    }

    [Fact]
    public void LastQuarterOfASeries()
    {
        var (mean, change) = QfPlateau.LastQuarter([4, 3, 2, 2, 1.5, 1.5, 1, 1]);
        Assert.Equal(1, mean);
        Assert.Equal(-0.5, change);
        Assert.True(double.IsNaN(QfPlateau.LastQuarter([1.0]).Change));
    }
}
