using ScalingLab.Experiments;

namespace ScalingLab.Tests.Experiments;

public class KnownEntropyLawTests
{
    private static readonly KnownEntropyLaw.Measurement Good = new(R2LogLoss: 0.995, E: 1.03, ELo: 1.00, EHi: 1.05, H: 1.021, HeldOutRelativeError: 0.004);

    [Fact]
    public void AFitThatLandsOnTheEntropyIsReproduced()
    {
        var v = KnownEntropyLaw.Judge(Good);
        Assert.Equal(VerdictKind.Reproduced, v.Kind);
        Assert.All(v.Checks, c => Assert.True(c.Pass));
        Assert.Contains("R² of log loss = 0.995", v.Line);
    }

    [Theory]
    [InlineData(0.95, 1.03, 1.00, 1.05, 0.004)]   // poor fit
    [InlineData(0.995, 1.03, 1.025, 1.05, 0.004)] // H below the interval... and |E−H|/H ≤ 2%: not contradicted
    [InlineData(0.995, 0.99, 0.50, 1.05, 0.004)]  // E 3% off
    [InlineData(0.995, 1.03, 1.00, 1.05, 0.02)]   // held-out run missed by 2%
    [InlineData(0.995, 1.03, 1.00, 1.05, -0.02)]
    public void AnyFailedCriterionIsNotReproduced(double r2, double e, double lo, double hi, double heldOut)
    {
        var v = KnownEntropyLaw.Judge(new(r2, e, lo, hi, 1.021, heldOut));
        Assert.Equal(VerdictKind.NotReproducedAtThisScale, v.Kind);
        Assert.Contains(v.Checks, c => !c.Pass);
    }

    [Fact]
    public void AnUnidentifiedEIsNeverReproducedNorContradicted()
    {
        // E on H but its profile flat: the data do not pin it down, so H "inside" says nothing.
        var v = KnownEntropyLaw.Judge(Good with { EIdentified = false, ELo = double.NaN, EHi = double.NaN });
        Assert.Equal(VerdictKind.NotReproducedAtThisScale, v.Kind);
        Assert.Contains("not: its profile is flat", v.Line);
        Assert.Equal(VerdictKind.NotReproducedAtThisScale, KnownEntropyLaw.Judge(Good with { E = 0.5, EIdentified = false }).Kind);
    }

    [Fact]
    public void AGoodFitWhoseEExcludesTheEntropyContradicts()
    {
        var v = KnownEntropyLaw.Judge(Good with { E = 0.90, ELo = 0.88, EHi = 0.92 });
        Assert.Equal(VerdictKind.Contradicted, v.Kind);
        // A poor fit with the same E is only "not reproduced": the fit does not describe the runs.
        Assert.Equal(VerdictKind.NotReproducedAtThisScale, KnownEntropyLaw.Judge(Good with { R2LogLoss = 0.9, E = 0.90, ELo = 0.88, EHi = 0.92 }).Kind);
    }
}
