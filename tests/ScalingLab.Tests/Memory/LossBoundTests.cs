using MathNet.Numerics;
using ScalingLab.Common;
using ScalingLab.Memory;

namespace ScalingLab.Tests.Memory;

public class LossBoundTests
{
    [Fact]
    public void Gpt2MediumExample()
    {
        var r = LossBound.Compute(new LossBoundInputs { Dim = 1024, Params = 3.55e8, Tokens = 9e9 });
        double d = 9e9 / 1024;
        Assert.Equal(d, r.PatternCount, 1e-6);
        Assert.Equal(7.743, r.Radius, 1e-3);
        // upper end of Eq. 14: log d + log V_1024(r) = log d − 4.038 (spec table)
        Assert.Equal(Math.Log(d) - 4.038, r.LogZPaperUpper, 1e-3);
        Assert.Equal(Math.Log(d) - 63.869, r.LogZExact, 2e-3);
        Assert.Equal(r.LogZPaperUpper + Math.Exp(-r.LogZPaperUpper), r.LossPaperUpper, 1e-12);
        Assert.True(r.LossPaperUpper >= 1 && r.LossPaperLower >= 1 && r.LossExact >= 1);
        Assert.Equal(10.0 * 24 * 1024 / 1024, r.EqTwoConstant);
    }

    [Fact]
    public void OptimalModelSizeMakesTheUpperPartitionFunctionOne()
    {
        // (n = d²/π grows fast; the naive log-volume below loses digits beyond n ≈ 1e10)
        foreach (double tokens in new[] { 1e5, 1e6, 3e7 })
        {
            var inp = new LossBoundInputs { Tokens = tokens, SeqLen = 256 };
            var r = LossBound.Compute(inp);
            double n = r.OptimalDimForData;
            // independent of the closed form: log(d · V_n(√(n/2πe))) from the volume formula ≈ 0 (Stirling error O(1/n))
            double logZ = Math.Log(r.PatternCount) + 0.5 * n * Math.Log(Math.PI) + n * Math.Log(Math.Sqrt(n / (2 * Math.PI * Math.E)))
                          - SpecialFunctions.GammaLn(0.5 * n + 1);
            Assert.True(Math.Abs(logZ) < 1e-3, $"D={tokens}: log Z = {logZ}");
            // N* ∝ D²: quadrupled when D doubles
            var r2 = LossBound.Compute(inp with { Tokens = 2 * tokens });
            Assert.Equal(4.0, r2.OptimalParamsForData / r.OptimalParamsForData, 1e-9);
            // D*(N*) = D
            var back = LossBound.Compute(inp with { Params = r.OptimalParamsForData });
            Assert.Equal(tokens, back.OptimalTokensForParams, 1e-6 * tokens);
        }
    }

    [Fact]
    public void ExactUnitPartitionDimensionSolvesItsEquation()
    {
        foreach (double d in new[] { 10.0, 1e3, 8.8e6 })
        {
            double n = LossBound.DimForUnitZ(d);
            double r = Math.Sqrt(n / (2 * Math.PI * Math.E));
            double logMass = 0.5 * n * Math.Log(Math.PI) + Math.Log(SpecialFunctions.GammaLowerRegularized(0.5 * n, r * r));
            Assert.Equal(0, Math.Log(d) + logMass, 1e-6);
        }
    }

    [Fact]
    public void NonPositiveInputsAreUserErrors()
    {
        Assert.Throws<UserError>(() => LossBound.Compute(new LossBoundInputs { Dim = 0 }));
        Assert.Throws<UserError>(() => LossBound.Compute(new LossBoundInputs { Tokens = -1 }));
    }
}
