using ScalingLab.Tensors;

namespace ScalingLab.Tests.Tensors;

public class RngTests
{
    [Fact]
    public void SameSeedGivesSameStream()
    {
        var a = new Rng(42); var b = new Rng(42);
        for (int i = 0; i < 1000; i++) Assert.Equal(a.NextUInt64(), b.NextUInt64());
    }

    [Fact]
    public void DifferentSeedsAndStreamsDiffer()
    {
        var seen = new HashSet<ulong>();
        foreach (var rng in new[] { new Rng(1), new Rng(2), new Rng(1, 1), new Rng(1).Fork(1), new Rng(1).Fork(2) })
        {
            var r = rng;
            Assert.True(seen.Add(r.NextUInt64()), "two streams began with the same value");
        }
    }

    [Fact]
    public void StateRoundTripsAndAtMatchesSequence()
    {
        var a = new Rng(7, 3);
        for (int i = 0; i < 17; i++) a.NextUInt64();
        var b = Rng.FromState(a.Key, a.Counter);
        Assert.Equal(a.At(17), b.NextUInt64());
        Assert.Equal(a.NextUInt64(), b.At(17));
    }

    [Fact]
    public void NormalMomentsWithinTolerance()
    {
        // 200k samples: the standard error of the mean is 1/sqrt(n) ≈ 0.0022, of the variance ≈ sqrt(2/n) ≈ 0.0032,
        // of the third moment ≈ sqrt(15/n) ≈ 0.0087, of the fourth ≈ sqrt(96/n) ≈ 0.022. Bounds are ~5 standard errors.
        const int n = 200_000;
        var rng = new Rng(12345);
        var x = new float[n];
        rng.FillNormal(x);
        double m1 = 0, m2 = 0, m3 = 0, m4 = 0;
        foreach (float v in x) { m1 += v; m2 += v * (double)v; m3 += Math.Pow(v, 3); m4 += Math.Pow(v, 4); }
        m1 /= n; m2 /= n; m3 /= n; m4 /= n;
        Assert.InRange(m1, -0.011, 0.011);
        Assert.InRange(m2, 1 - 0.016, 1 + 0.016);
        Assert.InRange(m3, -0.045, 0.045);
        Assert.InRange(m4, 3 - 0.11, 3 + 0.11);
        var single = new Rng(99);
        double s1 = 0, s2 = 0;
        for (int i = 0; i < n; i++) { double v = single.NextNormal(); s1 += v; s2 += v * v; }
        Assert.InRange(s1 / n, -0.011, 0.011);
        Assert.InRange(s2 / n, 1 - 0.016, 1 + 0.016);
    }

    [Fact]
    public void UniformAndIntegersAreInRangeAndUnbiased()
    {
        var rng = new Rng(5);
        var counts = new int[7];
        const int n = 70_000;
        for (int i = 0; i < n; i++)
        {
            double d = rng.NextDouble(); Assert.InRange(d, 0.0, 1.0 - 1e-17);
            float f = rng.NextSingle(); Assert.True(f >= 0f && f < 1f);
            counts[rng.NextInt(7)]++;
        }
        // Chi-square with 6 degrees of freedom: the 99.9% quantile is 22.46.
        double chi2 = counts.Sum(c => (c - n / 7.0) * (c - n / 7.0) / (n / 7.0));
        Assert.True(chi2 < 22.46, $"chi2 = {chi2}");
    }

    [Fact]
    public void PermutationIsAPermutationAndSeedDependent()
    {
        var p1 = new int[1000]; var p2 = new int[1000];
        new Rng(1).Permutation(p1); new Rng(2).Permutation(p2);
        Assert.Equal(Enumerable.Range(0, 1000), p1.Order());
        Assert.NotEqual(p1, p2);
    }
}
