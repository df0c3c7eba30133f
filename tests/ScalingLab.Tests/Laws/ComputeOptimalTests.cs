using ScalingLab.Common;
using ScalingLab.Laws;

namespace ScalingLab.Tests.Laws;

public class ComputeOptimalTests
{
    /// <summary>IsoFLOP slices of a known Chinchilla law: 7 sizes per budget, budgets 1e18 … 1e21.</summary>
    private static List<FitPoint> IsoFlopRuns(ChinchillaLaw law)
    {
        var points = new List<FitPoint>();
        foreach (double c in new[] { 1e18, 1e19, 1e20, 1e21 })
        {
            double nOpt = law.OptimalN(c);
            for (int k = -3; k <= 3; k++)
            {
                double n = nOpt * Math.Pow(10, 0.25 * k), d = c / (6 * n);
                points.Add(new FitPoint(n, d, law.Loss(n, d), c));
            }
        }
        return points;
    }

    [Fact]
    public void IsoFlopParabolasRecoverTheAllocationExponent()
    {
        var law = ChinchillaLaw.Hoffmann;
        var a2 = ComputeOptimal.IsoFlop(IsoFlopRuns(law));
        Assert.NotNull(a2);
        Assert.Equal(4, a2!.Points);
        // a = β/(α+β) = 0.28/0.62; the parabola in ln N is an approximation of the true curve: allow ±0.02.
        Assert.Equal(0.28 / 0.62, a2.A, 0.02);
        Assert.Equal(1.0, a2.A + a2.B, 1e-9); // N·D = C/6 at every budget
        Assert.Equal(Math.Log(law.OptimalN(1e20)), Math.Log(a2.OptimalN(1e20)), 0.1);
    }

    [Fact]
    public void Approach3FrontierEqualsTheLawsAllocation()
    {
        var law = ChinchillaLaw.Besiroglu;
        var a3 = ComputeOptimal.FromChinchilla(law);
        foreach (double c in new[] { 1e19, 1e23 })
        {
            Assert.Equal(law.OptimalN(c), a3.OptimalN(c), law.OptimalN(c) * 1e-9);
            Assert.Equal(law.OptimalD(c), a3.OptimalD(c), law.OptimalD(c) * 1e-9);
        }
    }

    [Fact]
    public void LowerEnvelopeKeepsOnlyRunsThatBeatAllCheaperOnes()
    {
        var pts = new List<FitPoint>
        {
            new(1e6, 1e7, 5.0, 1e14), new(2e6, 1e7, 5.5, 2e14), new(2e6, 2e7, 4.5, 3e14),
            new(4e6, 2e7, 4.6, 5e14), new(4e6, 4e7, 4.0, 1e15), new(8e6, 4e7, 3.5, 2e15),
        };
        var env = ComputeOptimal.Envelope(pts);
        Assert.Equal([5.0, 4.5, 4.0, 3.5], env.Select(p => p.Loss));
        var a1 = ComputeOptimal.LowerEnvelope(pts);
        Assert.NotNull(a1);
        Assert.Equal(4, a1!.Points);
        // Independent OLS of ln N on ln C over the four envelope runs.
        double[] x = [Math.Log(1e14), Math.Log(3e14), Math.Log(1e15), Math.Log(2e15)];
        double[] y = [Math.Log(1e6), Math.Log(2e6), Math.Log(4e6), Math.Log(8e6)];
        double mx = x.Average(), my = y.Average();
        double slope = x.Zip(y).Sum(t => (t.First - mx) * (t.Second - my)) / x.Sum(v => (v - mx) * (v - mx));
        Assert.Equal(slope, a1.A, 1e-12);
    }

    [Fact]
    public void ParabolaFitIsExactOnAParabola()
    {
        double[] x = [20, 21, 22, 23, 24];
        double[] y = x.Select(v => 3 - 0.5 * v + 0.0125 * v * v).ToArray();
        var (c0, c1, c2) = ComputeOptimal.Parabola(x, y);
        Assert.Equal(3, c0, 1e-6);
        Assert.Equal(-0.5, c1, 1e-7);
        Assert.Equal(0.0125, c2, 1e-9);
    }
}

public class BootstrapTests
{
    [Fact]
    public void SameSeedGivesTheSameSamplesForAnyThreadCount()
    {
        var points = HuberFitTests.Synthetic(ChinchillaLaw.Hoffmann, 0.01, 4);
        var grid = new[] { new[] { 5.0, 6.0 }, [5.0, 6.0], [0.0, 0.5], [0.3, 0.5], [0.3, 0.5] };
        var full = HuberFit.Fit(new ChinchillaFit(), points, new FitOptions { Threads = 2, Grid = grid });
        var one = Bootstrap.Run(new ChinchillaFit(), points, full, 12, seed: 9, new FitOptions { Threads = 1, Grid = grid });
        var two = Bootstrap.Run(new ChinchillaFit(), points, full, 12, seed: 9, new FitOptions { Threads = 2, Grid = grid });
        foreach (var k in one.Samples.Keys) Assert.Equal(one.Samples[k], two.Samples[k]);
        var other = Bootstrap.Run(new ChinchillaFit(), points, full, 12, seed: 10, new FitOptions { Threads = 2, Grid = grid });
        Assert.NotEqual(one.Samples["alpha"], other.Samples["alpha"]);
        // Resamples vary the fit, and the 95% interval brackets the full-data estimate here.
        var iv = one.IntervalOf("alpha", ((ChinchillaLaw)full.Law).Alpha);
        Assert.True(iv.Lo < iv.Hi);
        Assert.InRange(iv.Estimate, iv.Lo, iv.Hi);
    }

    [Fact]
    public void PercentileInterpolatesLikeNumpy()
    {
        // numpy.percentile([1, 2, 3, 4], 25) = 1.75; 97.5 → 3.925.
        Assert.Equal(1.75, Percentiles.AtFraction([1, 2, 3, 4], 0.25), 12);
        Assert.Equal(3.925, Percentiles.AtFraction([1, 2, 3, 4], 0.975), 12);
    }
}
