using System.CommandLine;
using ScalingLab.Cli;
using ScalingLab.Common;

namespace ScalingLab.Tests.Cli;

public class SharedOptionsTests
{
    private static int Workers(string value, int threadsPerRun = 1)
    {
        var workers = SharedOptions.Workers("w");
        var cmd = new Command("x");
        cmd.Options.Add(workers);
        return SharedOptions.WorkerCount(cmd.Parse(["--workers", value]), workers, "x", threadsPerRun);
    }

    [Fact]
    public void WorkersAsGivenOrCoresPerRun()
    {
        Assert.Equal(3, Workers("3"));
        Assert.Equal(Math.Max(1, Environment.ProcessorCount), Workers("0"));
        Assert.Equal(Math.Max(1, Environment.ProcessorCount / 4), Workers("0", threadsPerRun: 4));
        Assert.Equal(1, Workers("0", threadsPerRun: 10_000));
        var e = Assert.Throws<UserError>(() => Workers("-2"));
        Assert.Equal("x: --workers must be ≥ 1 (got -2)", e.Message);
    }

    [Fact]
    public void ReproduceRefusesNegativeWorkersBeforeDoingAnything()
    {
        string dir = Path.Combine(Path.GetTempPath(), $"scalinglab-workers-{Guid.NewGuid():N}");
        var (code, _, err) = CliRunner.Run("reproduce", "d-star", "--quick", "--workers", "-1", "--out", dir);
        Assert.NotEqual(0, code);
        Assert.Equal("scalinglab: reproduce: --workers must be ≥ 1 (got -1)", err.Trim());
        Assert.False(Directory.Exists(dir));
    }
}
