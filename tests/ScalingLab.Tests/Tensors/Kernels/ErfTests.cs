using ScalingLab.Tensors.Kernels;

namespace ScalingLab.Tests.Tensors.Kernels;

public class ErfTests
{
    /// <summary>
    /// float64 reference: the Maclaurin series Σ (−1)ⁿ x^(2n+1)/(n!(2n+1)) summed until terms vanish.
    /// For |x| ≤ 4.5 the largest term is below 1e7, so cancellation leaves ≥ 8 correct digits beyond float32.
    /// Beyond, the asymptotic series erfc(x) = e^(−x²)/(x√π)·Σ (−1)ⁿ(2n−1)!!/(2x²)ⁿ, summed while terms shrink.
    /// </summary>
    internal static double SeriesErf(double x)
    {
        if (Math.Abs(x) > 4.5)
        {
            double ax = Math.Abs(x), t = 1, s = 1;
            for (int n = 1; n < 30; n++)
            {
                double next = -t * (2 * n - 1) / (2 * ax * ax);
                if (Math.Abs(next) >= Math.Abs(t)) break;
                t = next; s += t;
            }
            return Math.Sign(x) * (1 - Math.Exp(-ax * ax) / (ax * Math.Sqrt(Math.PI)) * s);
        }
        double term = x, sum = x, x2 = x * x;
        for (int n = 1; n < 200; n++)
        {
            term *= -x2 / n;
            double add = term / (2 * n + 1);
            sum += add;
            if (Math.Abs(add) < 1e-17 * Math.Abs(sum)) break;
        }
        return 2 / Math.Sqrt(Math.PI) * sum;
    }

    [Fact]
    public void SeriesReferenceMatchesKnownValues()
    {
        // Abramowitz & Stegun Table 7.1.
        Assert.Equal(0.5204998778, SeriesErf(0.5), 9);
        Assert.Equal(0.8427007929, SeriesErf(1.0), 9);
        Assert.Equal(0.9953222650, SeriesErf(2.0), 9);
        Assert.Equal(0.9999779095, SeriesErf(3.0), 9);
    }

    [Fact]
    public void MatchesFloat64SeriesToFloat32Accuracy()
    {
        double maxRel = 0, maxAbs = 0;
        for (int i = -40000; i <= 40000; i++)
        {
            double x = i * 1e-4; // [−4, 4], both branches and the switch at 0.5
            double e = SeriesErf(x);
            double a = Erf.Scalar((float)x);
            double exact = SeriesErf((float)x); // compare at the float input actually used
            maxAbs = Math.Max(maxAbs, Math.Abs(a - exact));
            if (exact != 0) maxRel = Math.Max(maxRel, Math.Abs(a - exact) / Math.Abs(exact));
            _ = e;
        }
        // Numerical Recipes' erfc is good to 1.2e-7 relative; with float32 rounding of the steps, 4e-7.
        Assert.True(maxRel < 4e-7, $"max relative error {maxRel:E2}");
        Assert.True(maxAbs < 2.5e-7, $"max absolute error {maxAbs:E2}");
        Assert.Equal(0f, Erf.Scalar(0f));
        Assert.Equal(1f, Erf.Scalar(10f));
        Assert.Equal(-1f, Erf.Scalar(-10f));
        Assert.Equal(1e-20 * 2 / Math.Sqrt(Math.PI), Erf.Scalar(1e-20f), 1e-26);
    }

    [Fact]
    public void SpanFormGivesTheSameBitsAsTheScalarForm()
    {
        var x = new float[1000 + 37]; // tiles of 64 and a ragged tail
        for (int i = 0; i < x.Length; i++) x[i] = -5f + 10f * i / x.Length;
        var y = new float[x.Length];
        Erf.Span(x, 0.5f, y);
        for (int i = 0; i < x.Length; i++) Assert.Equal(Erf.Scalar(x[i] * 0.5f), y[i]);
    }
}
