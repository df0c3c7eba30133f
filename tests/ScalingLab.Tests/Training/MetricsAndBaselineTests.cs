using ScalingLab.Data;
using ScalingLab.Training;

namespace ScalingLab.Tests.Training;

public class MetricsAndBaselineTests
{
    [Fact]
    public void TruncateKeepsRowsUpToStepAndDropsTornLine()
    {
        string path = Path.Combine(Directory.CreateTempSubdirectory("sl-metrics").FullName, "metrics.jsonl");
        using (var log = new MetricsLog(path))
            for (int s = 0; s <= 5; s++) log.Append(new MetricsRow { Step = s, Tokens = 10 * s, TrainLoss = s == 0 ? null : 1.0 / s });
        File.AppendAllText(path, "{\"step\":6,\"tok");  // a crash mid-line
        Assert.Equal(6, MetricsLog.Read(path).Count);
        MetricsLog.TruncateAfter(path, 3);
        var rows = MetricsLog.Read(path);
        Assert.Equal([0L, 1, 2, 3], rows.Select(r => r.Step));
        Assert.Null(rows[0].TrainLoss);
        Assert.Equal(0.5, rows[2].TrainLoss);
        Assert.EndsWith("\n", File.ReadAllText(path));
    }

    [Fact]
    public void UnigramEntropyAndCrossEntropyMatchHandComputation()
    {
        // Train: counts a=2, b=1, c=1 of 4 → H = −(½ln½ + 2·¼ln¼) = 1.5·ln 2.
        var train = new ArrayTokens([0, 0, 1, 2], 4);
        var counts = UnigramBaseline.Counts(train);
        Assert.Equal([2L, 1, 1, 0], counts);
        Assert.Equal(1.5 * Math.Log(2), UnigramBaseline.Entropy(counts), 12);
        // Val [0, 3]: add-one → p(0) = 3/8, p(3) = 1/8.
        var val = new ArrayTokens([0, 3], 4);
        Assert.Equal(-(Math.Log(3.0 / 8) + Math.Log(1.0 / 8)) / 2, UnigramBaseline.CrossEntropy(counts, val), 12);
    }
}
