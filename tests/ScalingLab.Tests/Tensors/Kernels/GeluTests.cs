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

    [Fact]
    public void TanhFormFarTailsAreXOrZeroWithoutDenormalsOrNaN()
    {
        // Past x ≈ −10.05 the exponential's argument −2u passes 88 (e^88 is near float's largest): the value and the
        // derivative are exactly 0 there (the true value is under 1e-37), never a denormal; far right they are x and 1.
        float[] x = [-1e30f, -1e4f, -100f, -20f, -10.5f, -10.06f, -10f, -9f, 9f, 10f, 20f, 100f, 1e4f, 1e30f, -10.03f, -10.04f];
        var y = new float[x.Length];
        var dx = new float[x.Length];
        Gelu.Forward(Gelu.Kind.Tanh, x, y);
        Gelu.Backward(Gelu.Kind.Tanh, Enumerable.Repeat(1f, x.Length).ToArray(), x, dx);
        for (int i = 0; i < x.Length; i++)
        {
            Assert.True(float.IsFinite(y[i]) && float.IsFinite(dx[i]), $"x {x[i]}: gelu {y[i]}, gelu′ {dx[i]}");
            Assert.True(y[i] == 0 || float.IsNormal(y[i]), $"x {x[i]}: gelu {y[i]} is denormal");
            Assert.True(dx[i] == 0 || float.IsNormal(dx[i]), $"x {x[i]}: gelu′ {dx[i]} is denormal");
            // x·σ(2u) in float64: no cancellation in the left tail (the 1 + tanh form loses it all there).
            double v = x[i], want = v / (1 + Math.Exp(-2 * Math.Sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v)));
            // Relative 2e-5: e^t at t ≈ 66 magnifies the float rounding of t itself (t·2⁻²⁴ ≈ 4e-6). Past the cap
            // (−2u ≥ 88) values under ~1e-37 in magnitude are returned as 0.
            Assert.True(Math.Abs(y[i] - want) <= 2e-5 * Math.Abs(want) + 1e-36, $"x {x[i]}: gelu {y[i]} vs {want}");
            if (x[i] >= 9) Assert.Equal(1f, dx[i], 5);
            if (x[i] <= -20) Assert.Equal(0f, dx[i]);
        }
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
