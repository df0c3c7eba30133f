using ScalingLab.Common;
using ScalingLab.Memory;
using ScalingLab.Tensors;

namespace ScalingLab.Tests.Memory;

public class EnergiesTests
{
    private static readonly PatternSet Fig1 = PatternSet.Parse("-2,-0.5; 0.2,-0.3; 1.5,1.5");

    [Fact]
    public void EnergiesMatchHandComputedValues()
    {
        double[] x = [0.5, 1.0];
        // independent naive evaluation of each formula
        double[][] r = [[-2, -0.5], [0.2, -0.3], [1.5, 1.5]];
        double[] d2 = r.Select(p => Math.Pow(x[0] - p[0], 2) + Math.Pow(x[1] - p[1], 2)).ToArray();
        double[] dot = r.Select(p => x[0] * p[0] + x[1] * p[1]).ToArray();
        Assert.Equal(d2.Min(), Energies.NearestNeighbour(Fig1, x), 1e-14);
        Assert.Equal(-Math.Log(d2.Sum(v => Math.Exp(-v))), Energies.Distance(Fig1, x), 1e-13);
        Assert.Equal(-Math.Log(d2.Sum(v => Math.Exp(-2 * v))) / 2, Energies.Distance(Fig1, x, 2), 1e-13);
        double beta = 2;
        double mchn = -Math.Log(dot.Sum(v => Math.Exp(beta * v))) / beta + 0.5 * (x[0] * x[0] + x[1] * x[1])
                      + Math.Log(3) / beta + 0.5 * 4.5;
        Assert.Equal(mchn, Energies.Mchn(Fig1, x, beta), 1e-13);
        // Figure 1(b) constant: log 3 + 2.25 at the origin
        Assert.Equal(3.3486, Energies.MchnRegulariser(Fig1, [0, 0], 1), 1e-4);
        Assert.Equal(4.37, Fig1.NormSpread, 1e-12);
    }

    [Fact]
    public void DistanceGradientMatchesFiniteDifferences()
    {
        var rng = new Rng(11);
        for (int trial = 0; trial < 50; trial++)
        {
            int n = 1 + rng.NextInt(8), d = 1 + rng.NextInt(10);
            var p = MemoryTestData.RandomPatterns(ref rng, n, d, 1.0);
            var x = MemoryTestData.RandomPoint(ref rng, p, 1.0);
            double beta = 0.1 + 3 * rng.NextDouble();
            var grad = new double[n];
            Energies.DistanceGradient(p, x, beta, grad, new double[d]);
            CheckFiniteDifferences(x, grad, v => Energies.Distance(p, v, beta));
        }
    }

    [Fact]
    public void MchnGradientMatchesFiniteDifferences()
    {
        var rng = new Rng(12);
        for (int trial = 0; trial < 50; trial++)
        {
            int n = 1 + rng.NextInt(8), d = 1 + rng.NextInt(10);
            var p = MemoryTestData.RandomPatterns(ref rng, n, d, 1.0);
            var x = MemoryTestData.RandomPoint(ref rng, p, 1.0);
            double beta = 0.1 + 3 * rng.NextDouble();
            var grad = new double[n];
            double e = Energies.MchnGradient(p, x, beta, grad, new double[d]);
            Assert.Equal(Energies.Mchn(p, x, beta), e, 1e-12);
            CheckFiniteDifferences(x, grad, v => Energies.Mchn(p, v, beta));
        }
    }

    private static void CheckFiniteDifferences(double[] x, double[] grad, Func<double[], double> f)
    {
        const double h = 1e-5;
        for (int k = 0; k < x.Length; k++)
        {
            var xp = (double[])x.Clone(); xp[k] += h;
            var xm = (double[])x.Clone(); xm[k] -= h;
            double fd = (f(xp) - f(xm)) / (2 * h);
            Assert.True(Math.Abs(fd - grad[k]) <= 1e-6 * (1 + Math.Abs(fd)), $"coordinate {k}: analytic {grad[k]} vs finite difference {fd}");
        }
    }

    [Fact]
    public void DistanceUpdateEqualsMchnUpdateWithDoubleBetaForEqualNormPatterns()
    {
        var rng = new Rng(13);
        for (int trial = 0; trial < 200; trial++)
        {
            int n = 2 + rng.NextInt(30), d = 1 + rng.NextInt(40);
            double radius = 0.5 + 3 * rng.NextDouble();
            var v = new double[n * d];
            for (int i = 0; i < d; i++)
            {
                double s = 0;
                for (int k = 0; k < n; k++) { v[i * n + k] = rng.NextNormal(); s += v[i * n + k] * v[i * n + k]; }
                for (int k = 0; k < n; k++) v[i * n + k] *= radius / Math.Sqrt(s);
            }
            var p = new PatternSet(v, n);
            var x = MemoryTestData.RandomPoint(ref rng, p, radius);
            double beta = 0.05 + 2 * rng.NextDouble();
            var a = new double[n];
            var b = new double[n];
            Energies.DistanceUpdate(p, x, beta, a, new double[d]);
            Energies.MchnUpdate(p, x, 2 * beta, b, new double[d]);
            for (int k = 0; k < n; k++) Assert.Equal(b[k], a[k], 1e-9);
        }
    }

    [Fact]
    public void MchnUpdateNeverIncreasesTheMchnEnergy()
    {
        var rng = new Rng(14);
        for (int trial = 0; trial < 300; trial++)
        {
            int n = 1 + rng.NextInt(20), d = 1 + rng.NextInt(30);
            var p = MemoryTestData.RandomPatterns(ref rng, n, d, 1.0);
            var x = MemoryTestData.RandomPoint(ref rng, p, 1.0);
            double beta = MemoryTestData.RandomBeta(ref rng);
            var next = new double[n];
            var w = new double[d];
            for (int step = 0; step < 5; step++)
            {
                double before = Energies.Mchn(p, x, beta);
                Energies.MchnUpdate(p, x, beta, next, w);
                double after = Energies.Mchn(p, next, beta);
                Assert.True(after <= before + 1e-10 * (1 + Math.Abs(before)), $"energy rose from {before} to {after}");
                next.CopyTo(x, 0);
            }
        }
    }

    [Fact]
    public void BadPatternsAreUserErrors()
    {
        Assert.Contains("same dimension", Assert.Throws<UserError>(() => PatternSet.Parse("1,2;3")).Message);
        Assert.Contains("empty", Assert.Throws<UserError>(() => PatternSet.Parse(" ; ")).Message);
        Assert.Contains("empty", Assert.Throws<UserError>(() => new PatternSet([], 3)).Message);
        Assert.Contains("dimension", Assert.Throws<UserError>(() => Energies.Distance(Fig1, [1.0, 2.0, 3.0])).Message);
        Assert.Contains("beta", Assert.Throws<UserError>(() => Energies.Mchn(Fig1, [1.0, 2.0], -1)).Message);
        Assert.Contains("beta", Assert.Throws<UserError>(() => Energies.Distance(Fig1, [1.0, 2.0], 0)).Message);
    }
}
