using ScalingLab.Experiments;

namespace ScalingLab.Tests.Experiments;

public class EnglishExperimentsTests
{
    [Fact]
    public void OverfitSubsetsRule()
    {
        OverfitSubsets.SubsetEnd E(double f, double train, double val, double min) => new(f, train, val, min);
        Assert.Equal(VerdictKind.Reproduced, OverfitSubsets.Judge([E(0.01, 1.2, 4.0, 3.5), E(0.1, 3.0, 3.4, 3.3), E(1, 3.1, 3.12, 3.11)]).Kind);
        // The full set over-fits too: not reproduced.
        Assert.Equal(VerdictKind.NotReproducedAtThisScale, OverfitSubsets.Judge([E(0.01, 1.2, 4.0, 3.5), E(1, 2.5, 3.3, 3.1)]).Kind);
        // The 1% run does not memorise at all: contradicted.
        Assert.Equal(VerdictKind.Contradicted, OverfitSubsets.Judge([E(0.01, 3.6, 3.65, 3.6), E(1, 3.1, 3.12, 3.11)]).Kind);
    }

    [Fact]
    public void RadiusByWidthRule()
    {
        RadiusByWidth.Width W(int n, double ratio, double exponent = 0.5) =>
            new(n, ratio * 2 * Math.Sqrt(64 / (2 * Math.PI * Math.E)) * Math.Pow(n / 64.0, exponent), 2 * Math.Sqrt(n / (2 * Math.PI * Math.E)), 0.9);
        var ok = new[] { W(64, 1.3), W(128, 1.3), W(256, 1.3), W(512, 1.3) };
        Assert.Equal(0.5, RadiusByWidth.Slope(ok), 10);
        Assert.Equal(VerdictKind.Reproduced, RadiusByWidth.Judge(ok).Kind);
        Assert.Equal(VerdictKind.NotReproducedAtThisScale, RadiusByWidth.Judge([W(64, 3), W(128, 3), W(256, 3), W(512, 3)]).Kind); // 3× 2r
        Assert.Equal(VerdictKind.Contradicted, RadiusByWidth.Judge([W(64, 1, 0.1), W(128, 1, 0.1), W(256, 1, 0.1), W(512, 1, 0.1)]).Kind);
    }

    [Fact]
    public void EnglishLawRule()
    {
        Assert.Equal(VerdictKind.Reproduced, EnglishLaw.Judge(new(0.99, 0.09, true, 0.12, true)).Kind);
        Assert.Equal(VerdictKind.NotReproducedAtThisScale, EnglishLaw.Judge(new(0.99, 0.09, false, 0.12, true)).Kind);
        Assert.Equal(VerdictKind.NotReproducedAtThisScale, EnglishLaw.Judge(new(0.99, 0.2, true, 0.12, true)).Kind); // ×2.6
        Assert.Equal(VerdictKind.Contradicted, EnglishLaw.Judge(new(0.99, 0.5, true, 0.12, true)).Kind);            // ×6.6
        Assert.Equal(VerdictKind.NotReproducedAtThisScale, EnglishLaw.Judge(new(0.9, 0.09, true, 0.12, true)).Kind);
    }
}
