using ScalingLab.Common;
using ScalingLab.Memory;

namespace ScalingLab.Tests.Memory;

public class LogSumExpTests
{
    [Fact]
    public void MatchesNaiveSumWhereTheNaiveSumIsSafe()
    {
        double[] y = [0.3, -1.2, 2.5, 0.0, -7.0];
        double naive = Math.Log(y.Sum(Math.Exp));
        Assert.Equal(naive, LogSumExp.Of(y), 1e-14);
        double beta = 3.7;
        double naiveBeta = Math.Log(y.Sum(v => Math.Exp(beta * v))) / beta;
        Assert.Equal(naiveBeta, LogSumExp.Of(beta, y), 1e-14);
    }

    [Fact]
    public void StableAtExtremeBetaAndDistances()
    {
        // lse(β, [a, a]) = a + log(2)/β exactly; naive exp(β a) overflows at β a = 1e10.
        Assert.Equal(1e6 + Math.Log(2) / 1e4, LogSumExp.Of(1e4, [1e6, 1e6]), 1e-9);
        Assert.Equal(-1e6 + Math.Log(2) / 1e4, LogSumExp.Of(1e4, [-1e6, -1e6]), 1e-9);
        // A term 1 below the max at β = 1e4 contributes e^(−1e4) ≈ 0: the result is the max.
        Assert.Equal(1e6, LogSumExp.Of(1e4, [1e6, 1e6 - 1, -1e6]));
        // Distance energies at n = 1024 with huge distances stay finite.
        double v = LogSumExp.Of(1.0, [-1e6, -1e6 - 0.5, -2e6]);
        Assert.Equal(-1e6 + Math.Log(1 + Math.Exp(-0.5)), v, 1e-9);
        Assert.True(double.IsFinite(LogSumExp.Of(1e4, [1e6, -1e6])));
    }

    [Fact]
    public void SoftmaxSumsToOneAndIsTheGradient()
    {
        double[] y = [1e6, 1e6 - 0.001, -5];
        var w = new double[3];
        LogSumExp.Softmax(1e4, y, w);
        Assert.Equal(1.0, w.Sum(), 1e-15);
        Assert.True(w.All(double.IsFinite));
        // ∂lse/∂y_i by central differences at a moderate point
        double[] z = [0.4, -0.7, 1.1, 0.2];
        var g = new double[4];
        LogSumExp.Softmax(2.0, z, g);
        for (int i = 0; i < z.Length; i++)
        {
            double h = 1e-6;
            var zp = (double[])z.Clone(); zp[i] += h;
            var zm = (double[])z.Clone(); zm[i] -= h;
            Assert.Equal((LogSumExp.Of(2.0, zp) - LogSumExp.Of(2.0, zm)) / (2 * h), g[i], 1e-8);
        }
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(-1.0)]
    [InlineData(double.NaN)]
    public void NonPositiveBetaIsAUserError(double beta)
    {
        var e = Assert.Throws<UserError>(() => LogSumExp.Of(beta, [1.0, 2.0]));
        Assert.Contains("beta", e.Message);
    }
}
