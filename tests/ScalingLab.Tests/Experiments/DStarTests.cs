using ScalingLab.Experiments;

namespace ScalingLab.Tests.Experiments;

public class DStarTests
{
    [Fact]
    public void TableThreeWouldReproduce()
    {
        // The paper's own three points (with "≤" for its first row): slope ≈ 0.525.
        var m = new DStar.Measurement([(39.95e6, 214.18e6), (60.26e6, 261.78e6), (80.20e6, 309.37e6)]);
        Assert.Equal(0.5249, DStar.Slope(m), 4);
        Assert.Equal(VerdictKind.Reproduced, DStar.Judge(m).Kind);
    }

    [Fact]
    public void LinearCapacityContradicts()
    {
        // D* ∝ N (slope 1): the usual "parameters store a fixed number of bits" picture, not N = O(D²).
        var m = new DStar.Measurement([(25e3, 16e3), (1e5, 64e3), (4e5, 256e3)]);
        Assert.Equal(1.0, DStar.Slope(m), 10);
        var v = DStar.Judge(m);
        Assert.Equal(VerdictKind.Contradicted, v.Kind);
        Assert.Contains("slope of log D* on log N = 1", v.Line);
    }

    [Fact]
    public void TooFewSizesOrAnInBetweenSlopeIsNotReproduced()
    {
        Assert.Equal(VerdictKind.NotReproducedAtThisScale,
            DStar.Judge(new([(25e3, 16e3), (1e5, null), (4e5, 64e3)])).Kind);           // one size without D*
        Assert.Equal(VerdictKind.NotReproducedAtThisScale,
            DStar.Judge(new([(1e4, 1e4), (1e6, Math.Pow(100, 0.7) * 1e4), (1e8, Math.Pow(1e4, 0.7) * 1e4)])).Kind); // slope 0.7
        Assert.True(double.IsNaN(DStar.Slope(new([(1e4, null), (1e5, null), (1e6, 3.0)]))));
    }
}
