using ScalingLab.Tensors;

namespace ScalingLab.Tests.Tensors.Kernels;

/// <summary>Helpers for gradient checks: float64 central finite differences and tolerant comparison.</summary>
internal static class Fd
{
    /// <summary>∂f/∂x_i by central differences in float64 (h = 1e-6: truncation O(h²) ≈ 1e-12, rounding ≈ 1e-10).</summary>
    public static double[] Gradient(double[] x, Func<double[], double> f, double h = 1e-6)
    {
        var g = new double[x.Length];
        for (int i = 0; i < x.Length; i++)
        {
            double keep = x[i];
            x[i] = keep + h; double fp = f(x);
            x[i] = keep - h; double fm = f(x);
            x[i] = keep;
            g[i] = (fp - fm) / (2 * h);
        }
        return g;
    }

    public static float[] Random(int n, ulong seed, float std = 1f)
    {
        var a = new float[n];
        new Rng(seed).FillNormal(a, 0f, std);
        return a;
    }

    public static double[] ToDouble(ReadOnlySpan<float> a)
    {
        var d = new double[a.Length];
        for (int i = 0; i < a.Length; i++) d[i] = a[i];
        return d;
    }

    /// <summary>
    /// Asserts |actual − expected| ≤ atol + rtol·|expected| elementwise. Kernels compute in float32, so
    /// expected float64 values are matched to a few float32 ulps of the values involved.
    /// </summary>
    public static void Close(ReadOnlySpan<double> expected, ReadOnlySpan<float> actual, double rtol, double atol, string what = "")
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            double err = Math.Abs(actual[i] - expected[i]);
            if (!(err <= atol + rtol * Math.Abs(expected[i])))
                Assert.Fail($"{what}[{i}]: expected {expected[i]:R}, got {actual[i]:R} (err {err:E2})");
        }
    }

    public static double Dot(ReadOnlySpan<double> a, ReadOnlySpan<float> w)
    {
        double s = 0;
        for (int i = 0; i < a.Length; i++) s += a[i] * w[i];
        return s;
    }
}
