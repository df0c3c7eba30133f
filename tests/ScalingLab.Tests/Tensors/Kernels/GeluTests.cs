using ScalingLab.Tensors.Kernels;

namespace ScalingLab.Tests.Tensors.Kernels;

public class GeluTests
{
    private static double RefTanh(double x) => 0.5 * x * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
    private static double RefExact(double x) => 0.5 * x * (1 + ErfTests.SeriesErf(x / Math.Sqrt(2)));

    [Theory]
    [InlineData(Gelu.Kind.Tanh)]
    [InlineData(Gelu.Kind.Exact)]
    public void ForwardMatchesFloat64(Gelu.Kind kind)
    {
        // A grid over the range activations visit, plus a length that leaves a tail of 5.
        var x = new float[1005];
        for (int i = 0; i < x.Length; i++) x[i] = -8f + 16f * i / (x.Length - 1);
        var y = new float[x.Length];
        Gelu.Forward(kind, x, y);
        var expected = x.Select(v => kind == Gelu.Kind.Tanh ? RefTanh(v) : RefExact(v)).ToArray();
        Fd.Close(expected, y, 2e-6, 2e-7, kind.ToString());
        // Same value at any position (the tail goes through the vector code).
        for (int i = 0; i < x.Length; i++) Assert.Equal(y[i], Gelu.Scalar(kind, x[i]));
    }

    [Theory]
    [InlineData(Gelu.Kind.Tanh)]
    [InlineData(Gelu.Kind.Exact)]
    public void BackwardMatchesFiniteDifferences(Gelu.Kind kind)
    {
        var x = Fd.Random(203, 11, 2.5f);
        var dy = Fd.Random(203, 12);
        var dx = new float[x.Length];
        Gelu.Backward(kind, dy, x, dx);
        Func<double, double> f = kind == Gelu.Kind.Tanh ? RefTanh : RefExact;
        var expected = new double[x.Length];
        for (int i = 0; i < x.Length; i++)
        {
            double v = x[i];
            if (kind == Gelu.Kind.Tanh)
            {
                const double h = 1e-5; // tanh is exact in float64: rounding error of the difference ≈ 1e-11
                expected[i] = dy[i] * (f(v + h) - f(v - h)) / (2 * h);
            }
            else
            {
                // The series erf loses ~1e-11 to cancellation near |x| = 4, too much for a difference quotient;
                // the analytic derivative Φ(x) + x·φ(x) is the independent oracle here.
                double cdf = 0.5 * (1 + ErfTests.SeriesErf(v / Math.Sqrt(2)));
                double pdf = Math.Exp(-0.5 * v * v) / Math.Sqrt(2 * Math.PI);
                expected[i] = dy[i] * (cdf + v * pdf);
            }
        }
        Fd.Close(expected, dx, 1e-5, 1e-6, kind.ToString());
    }
}
