using ScalingLab.Bench;

namespace ScalingLab.Tests.Data;

public class DataBenchTests
{
    [Fact]
    public void BenchRunsOnASmallCorpusAndAgreesWithTheReferenceEncoder()
    {
        // The bench throws when our ids differ from the encoder.py-style reference on any document;
        // speed is printed by the bench, never asserted here.
        var r = DataBench.Run(new DataBench.Options(CorpusMb: 0.3, Merges: 300, Threads: 2, TrainMb: 0.3, ReferenceMb: 0.3), TextWriter.Null);
        Assert.Equal(256 + 300 + 1, r.VocabSize);
        Assert.True(r.Tokens > 0);
        var table = new StringWriter();
        DataBench.WriteTable(r, table);
        Assert.Contains("ratio", table.ToString());
        Assert.Contains("\"encode_mb_per_s\"", DataBench.ToJson(r));
    }
}
