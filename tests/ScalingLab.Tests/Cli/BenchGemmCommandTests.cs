using System.Text.Json;

namespace ScalingLab.Tests.Cli;

public class BenchGemmCommandTests
{
    [Fact]
    public void HelpShowsAnExample()
    {
        var (code, output, _) = CliRunner.Run("bench", "gemm", "--help");
        Assert.Equal(0, code);
        Assert.Contains("Example", output);
        Assert.Contains("scalinglab bench gemm", output);
    }

    [Fact]
    public void JsonHasARowPerShapeOpAndThreadsWithBothFigures()
    {
        var (code, output, err) = CliRunner.Run("bench", "gemm", "--threads", "1,2", "--shapes", "64x64x64,30x20x10",
                                                "--ops", "NN,TN", "--repeat", "1", "--json");
        Assert.True(code == 0, err);
        using var doc = JsonDocument.Parse(output);
        var rows = doc.RootElement.GetProperty("rows").EnumerateArray().ToList();
        Assert.Equal(2 * 2 * 2, rows.Count);
        foreach (var row in rows)
        {
            Assert.True(row.GetProperty("gflops_managed").GetDouble() > 0);
            if (doc.RootElement.GetProperty("openblas_available").GetBoolean())
                Assert.True(row.GetProperty("gflops_openblas").GetDouble() > 0);
        }
        Assert.True(doc.RootElement.TryGetProperty("median_ratio_2threads", out _));
    }

    [Fact]
    public void ManagedAloneStillReports()
    {
        var (code, output, _) = CliRunner.Run("bench", "gemm", "--threads", "1", "--shapes", "16x16x16", "--ops", "NN",
                                              "--repeat", "1", "--libraries", "managed");
        Assert.Equal(0, code);
        Assert.Contains("16×16×16", output);
    }

    [Theory]
    [InlineData("--shapes", "4096x768")]
    [InlineData("--threads", "0")]
    [InlineData("--ops", "XY")]
    [InlineData("--repeat", "0")]
    [InlineData("--libraries", "mkl")]
    public void BadValuesAreOneLineErrors(string option, string value)
    {
        var (code, _, err) = CliRunner.Run("bench", "gemm", option, value);
        Assert.NotEqual(0, code);
        Assert.Single(err.Trim().Split('\n'));
        Assert.Contains(option, err);
    }
}
