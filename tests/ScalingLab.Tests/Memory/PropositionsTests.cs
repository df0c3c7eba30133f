using ScalingLab.Memory;
using ScalingLab.Tensors;

namespace ScalingLab.Tests.Memory;

public class PropositionsTests
{
    [Fact]
    public void Propositions1To3HoldOnThousandsOfRandomCases()
    {
        var rng = new Rng(21);
        for (int trial = 0; trial < 3000; trial++)
        {
            // mostly small, sometimes n up to 1024 and d up to 512
            bool big = trial % 100 == 0;
            int n = big ? 1 + rng.NextInt(1024) : 1 + rng.NextInt(48);
            int d = big ? 1 + rng.NextInt(512) : 1 + rng.NextInt(48);
            double scale = Math.Pow(10, -1 + 2 * rng.NextDouble());
            var p = MemoryTestData.RandomPatterns(ref rng, n, d, scale);
            var x = MemoryTestData.RandomPoint(ref rng, p, scale);
            double beta = MemoryTestData.RandomBeta(ref rng);
            foreach (var check in new[]
                     {
                         Propositions.Proposition1(p, x), Propositions.Proposition1(p, x, beta),
                         Propositions.Proposition2(p, x), Propositions.Proposition2Sharp(p, x),
                         Propositions.Proposition3(p, x), Propositions.Proposition3Tight(p, x),
                     })
                Assert.True(check.Holds(), $"n={n} d={d} β={beta}: {check}");
        }
    }

    [Fact]
    public void Proposition3AsPrintedFailsOnTheSpecsCounterexample()
    {
        var p = PatternSet.Parse("10,0;-10,0");
        double[] x = [10, 0];
        var printed = Propositions.Proposition3AsPrinted(p, x);
        Assert.Equal(-Math.Log(2), printed.Value, 1e-12);
        Assert.False(printed.Holds());
        Assert.True(Propositions.Proposition3(p, x).Holds());
        Assert.True(Propositions.Proposition3Tight(p, x).Holds());
    }

    [Fact]
    public void LemmasHoldOnRandomVectors()
    {
        var rng = new Rng(22);
        for (int trial = 0; trial < 3000; trial++)
        {
            int n = 1 + rng.NextInt(64);
            double scale = Math.Pow(10, -2 + 5 * rng.NextDouble());
            var x = new double[n];
            var y = new double[n];
            for (int i = 0; i < n; i++) { x[i] = scale * rng.NextNormal(); y[i] = scale * rng.NextNormal(); }
            double t = rng.NextDouble();
            foreach (var check in new[]
                     {
                         Propositions.Lemma1(x, y, t), Propositions.Lemma2(x), Propositions.Lemma3(x),
                         Propositions.Lemma4(x, y),
                     })
                Assert.True(check.Holds(), $"n={n} scale={scale}: {check}");
        }
    }

    [Fact]
    public void Lemma5HoldsAndMatchesNumericalIntegration()
    {
        var rng = new Rng(23);
        for (int trial = 0; trial < 2000; trial++)
        {
            double n = 1 + rng.NextInt(2000);
            double r = Math.Pow(10, -2 + 3.5 * rng.NextDouble());
            var check = Propositions.Lemma5(n, r);
            Assert.True(check.Holds(1e-12), $"n={n} r={r}: {check}");
        }
        // γ(3, 2) = 2 − 10 e^(−2) exactly (integrate by parts)
        Assert.Equal(Math.Log(2 - 10 * Math.Exp(-2)), BallMass.LogLowerIncompleteGamma(3, 2), 1e-13);
    }
}
