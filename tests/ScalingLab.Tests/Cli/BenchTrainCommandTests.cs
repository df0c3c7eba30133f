using System.Text.Json;

namespace ScalingLab.Tests.Cli;

public class BenchTrainCommandTests
{
    [Fact]
    public void JsonRowsCarryTheStepItsBoundAndTheRatio()
    {
        var (code, output, err) = CliRunner.Run("bench", "train", "--shapes", "1x32", "--steps", "1", "--threads", "1",
                                                "--precision", "fp32,bf16", "--probe-openblas", "false", "--json");
        Assert.True(code == 0, err);
        using var doc = JsonDocument.Parse(output);
        var rows = doc.RootElement.GetProperty("rows").EnumerateArray().ToList();
        Assert.Equal(["fp32", "bf16"], rows.Select(r => r.GetProperty("precision").GetString()));
        foreach (var r in rows)
        {
            double ms = r.GetProperty("ms_per_step").GetDouble(), bound = r.GetProperty("bound_ms").GetDouble();
            Assert.True(ms > 0 && bound > 0);
            // One repetition: the paired ratio is that step ÷ the bound library's replay after it, the row's two medians.
            Assert.Equal(ms / bound, r.GetProperty("ratio").GetDouble(), 9);
            Assert.Equal([r.GetProperty("ratio").GetDouble()], r.GetProperty("rep_ratios").EnumerateArray().Select(x => x.GetDouble()));
            Assert.Equal(r.GetProperty("ratio").GetDouble(), r.GetProperty("ratio_low").GetDouble(), 12);
            Assert.Equal(r.GetProperty("ratio").GetDouble(), r.GetProperty("ratio_high").GetDouble(), 12);
            Assert.True(r.GetProperty("step_gemm_gflop").GetDouble() > 0);
            Assert.False(r.TryGetProperty("reference_tokens_per_s", out _)); // no stale figures from another machine
        }
        Assert.Contains("managed", rows[0].GetProperty("bounds_ms").EnumerateObject().Select(p => p.Name));
        Assert.Contains("AMX", doc.RootElement.GetProperty("cpu").GetString());
    }

    [Theory]
    [InlineData("--precision", "fp16")]
    [InlineData("--shapes", "9x999")]
    public void BadValuesAreOneLineErrors(string option, string value)
    {
        var (code, _, err) = CliRunner.Run("bench", "train", option, value, "--probe-openblas", "false");
        Assert.NotEqual(0, code);
        Assert.Single(err.Trim().Split('\n'));
        Assert.Contains(option, err);
    }
}
