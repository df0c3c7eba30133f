using MathNet.Numerics;
using ScalingLab.Memory;

namespace ScalingLab.Tests.Memory;

public class BallMassTests
{
    // The spec's test-vector table (associative-memory.md Sec. 6), float64 series + Simpson, 3 d.p.
    [Theory]
    [InlineData(2, 0.3422, -1.000, -0.919, -1.058, -1.117, -1.225, -1.342)]
    [InlineData(16, 0.9679, -1.969, -1.959, -2.797, -2.906, -2.879, -2.937)]
    [InlineData(64, 1.9358, -2.654, -2.652, -6.282, -6.402, -4.560, -4.590)]
    [InlineData(256, 3.8715, -3.346, -3.345, -18.211, -18.334, -7.202, -7.217)]
    [InlineData(768, 6.7057, -3.894, -3.894, -48.737, -48.861, -10.591, -10.600)]
    [InlineData(1024, 7.7431, -4.038, -4.038, -63.869, -63.993, -11.774, -11.781)]
    public void ReproducesTheSpecTable(int n, double r, double logV, double halfLogPiN, double logMass,
                                       double logLowerCorrect, double paperIntegral, double paperLower)
    {
        double rr = BallMass.PredictedRadius(n);
        Assert.Equal(r, rr, 4e-4);
        Assert.Equal(logV, BallMass.LogVolume(n, rr), 1e-3);
        Assert.Equal(halfLogPiN, -0.5 * Math.Log(Math.PI * n), 1e-3);
        Assert.Equal(logMass, BallMass.LogGaussianBallMass(n, rr), 2e-3);
        Assert.Equal(logLowerCorrect, BallMass.LogVolume(n, rr) - rr * rr, 1e-3);
        Assert.Equal(paperIntegral, BallMass.PaperLogBallIntegral(n, rr), 2e-3);
        Assert.Equal(paperLower, BallMass.LogVolume(n, rr) - rr, 1e-3);
    }

    [Fact]
    public void RadiusScaleMatchesThePaper()
    {
        Assert.Equal(6.706, BallMass.PredictedRadius(768), 1e-3);
        Assert.Equal(7.743, BallMass.PredictedRadius(1024), 1e-3);
        Assert.Equal(15.486, 2 * BallMass.PredictedRadius(1024), 1e-3);
        // V_n(√(n/2πe))·√(πn) → 1 (Stirling)
        double prev = double.PositiveInfinity;
        foreach (int n in new[] { 64, 1024, 16384, 1 << 20 })
        {
            double dev = Math.Abs(BallMass.LogVolume(n, BallMass.PredictedRadius(n)) + 0.5 * Math.Log(Math.PI * n));
            Assert.True(dev < prev);
            prev = dev;
        }
        Assert.True(prev < 1e-6);
    }

    [Fact]
    public void GaussianBallMassMatchesRadialSimpsonIntegration()
    {
        foreach (int n in new[] { 1, 2, 3, 7, 16, 64, 300, 1024 })
            foreach (double r in new[] { 0.1, 0.7, 2.0, 5.0, 9.0, 25.0 })
            {
                double reference = LogRadialIntegral(n, r);
                double m = BallMass.LogGaussianBallMass(n, r);
                Assert.True(Math.Abs(reference - m) < 1e-7 * (1 + Math.Abs(reference)), $"n={n} r={r}: {m} vs {reference}");
                // e^{−r²}V_n ≤ m_n ≤ V_n
                double logV = BallMass.LogVolume(n, r);
                Assert.True(m <= logV + 1e-12 && m >= logV - r * r - 1e-12);
            }
    }

    // log(A_{n−1} ∫₀ʳ t^{n−1} e^{−t²} dt) by composite Simpson with the integrand's peak factored out.
    private static double LogRadialIntegral(int n, double r)
    {
        double LogF(double t) => t == 0 ? (n == 1 ? 0 : double.NegativeInfinity) : (n - 1) * Math.Log(t) - t * t;
        double peak = Math.Min(r, Math.Sqrt((n - 1) / 2.0));
        double fmax = LogF(peak);
        const int steps = 200_000;
        double h = r / steps, s = 0;
        for (int i = 0; i <= steps; i++)
        {
            double w = i == 0 || i == steps ? 1 : (i % 2 == 1 ? 4 : 2);
            s += w * Math.Exp(LogF(i * h) - fmax);
        }
        double logArea = Math.Log(2) + 0.5 * n * Math.Log(Math.PI) - SpecialFunctions.GammaLn(0.5 * n);
        return logArea + fmax + Math.Log(s * h / 3);
    }

    [Fact]
    public void RegularizedGammaAgreesWithMathNet()
    {
        foreach (double a in new[] { 0.5, 1, 3.5, 10, 100, 512 })
            foreach (double x in new[] { 0.01, 0.5, 2, 9, 50, 120, 700 })
            {
                double p = SpecialFunctions.GammaLowerRegularized(a, x);
                if (p < 1e-300) continue;
                Assert.Equal(Math.Log(p), BallMass.LogRegularizedLowerGamma(a, x), 1e-9 * (1 + Math.Abs(Math.Log(p))));
            }
    }

    [Fact]
    public void LossFloorIsOneAtZOneAndAboveElsewhere()
    {
        Assert.Equal(1.0, BallMass.LossFloor(1.0), 1e-15);
        Assert.Equal(1.306853, BallMass.LossFloor(0.5), 1e-6);
        Assert.Equal(1.193147, BallMass.LossFloor(2.0), 1e-6);
        for (double logZ = -30; logZ <= 30; logZ += 0.37)
            Assert.True(BallMass.LossFloorFromLogZ(logZ) >= 1.0);
    }
}
