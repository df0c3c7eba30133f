namespace ScalingLab.Tests.Cli;

public class CliBasicsTests
{
    [Fact]
    public void HelpShowsExamples()
    {
        var (code, output, _) = CliRunner.Run("--help");
        Assert.Equal(0, code);
        Assert.Contains("Example", output);
        Assert.Contains("scalinglab", output);
    }

    [Theory]
    [InlineData("--no-such-option")]
    [InlineData("bench", "--no-such-option")]
    [InlineData("no-such-verb")]
    public void UnknownInputIsOneLineAndExitCode2(params string[] args)
    {
        var (code, _, err) = CliRunner.Run(args);
        Assert.Equal(2, code);
        Assert.Single(err.Trim().Split('\n'));
        Assert.Contains(args[^1], err);
    }
}
