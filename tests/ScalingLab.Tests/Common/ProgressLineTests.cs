using ScalingLab.Common;

namespace ScalingLab.Tests.Common;

public class ProgressLineTests
{
    [Fact]
    public void NotATerminalGivesOnePlainLinePerTenth()
    {
        var log = new StringWriter();
        var p = new ProgressLine(log, "work:");
        for (int i = 0; i <= 1000; i++) p.Report(i / 1000.0);
        p.Finish();
        string[] lines = log.ToString().TrimEnd('\n').Split('\n');
        Assert.Equal(Enumerable.Range(0, 11).Select(t => $"work: {t * 10}%"), lines);
        Assert.DoesNotContain('\r', log.ToString());
    }
}
