using System.Text.Json;
using ScalingLab.Bench;
using ScalingLab.Tests.Cli;

namespace ScalingLab.Tests.Dynamics;

public class CkaBenchTests
{
    [Fact]
    public void Float64ReferenceMatchesNaiveKernelFormula()
    {
        int n = 40, d = 6;
        float[] x = TestMatrices.Normal(50, n, d);
        float[] y = TestMatrices.Normal(51, n, d);
        for (int i = 0; i < n * d; i++) y[i] += 0.8f * x[i];
        Assert.Equal(TestMatrices.NaiveCka(x, d, y, d, n), CkaBench.Float64Cka(x, y, n, d, threads: 2), 1e-10);
    }

    [Fact]
    public void BenchRunsSmallAndReportsJson()
    {
        var (code, output, err) = CliRunner.Run("bench", "cka", "--tokens", "256", "--dim", "16", "--scale", "0.02",
                                                "--gemm", "managed", "--threads", "1", "--json");
        Assert.True(code == 0, err);
        var root = JsonDocument.Parse(output).RootElement;
        Assert.Equal(32, root.GetProperty("comparisons").GetInt32());
        Assert.InRange(root.GetProperty("gemm_fraction").GetDouble(), 0.0, 1.0);
    }
}
