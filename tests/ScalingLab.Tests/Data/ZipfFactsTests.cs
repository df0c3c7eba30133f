using ScalingLab.Common;
using ScalingLab.Data;
using ScalingLab.Tensors;

namespace ScalingLab.Tests.Data;

public class ZipfFactsTests
{
    [Fact]
    public void TwoKeysGiveTheHandComputedEntropyRate()
    {
        // a = 1, K = 2: p = (2/3, 1/3), H(p) = ln 3 − (2/3) ln 2; records of 1 + 1 + 1 tokens.
        var z = new ZipfFacts(keys: 2, exponent: 1, symbols: 4, keyLength: 1, valueLength: 1, seed: 1);
        Assert.Equal(2.0 / 3, z.P[0], 14);
        Assert.Equal(Math.Log(3) - 2.0 / 3 * Math.Log(2), z.RecordEntropy(), 14);
        Assert.Equal((Math.Log(3) - 2.0 / 3 * Math.Log(2)) / 3, z.EntropyRate(), 14);
    }

    [Fact]
    public void CodesAreDistinctAndRecordsEndWithANewline()
    {
        var z = new ZipfFacts(keys: 60, exponent: 1.2, symbols: 8, keyLength: 2, valueLength: 2, seed: 5); // 60 of 64 codes
        var codes = Enumerable.Range(0, 60).Select(i => string.Join(',', z.Code(i).ToArray())).ToHashSet();
        Assert.Equal(60, codes.Count);
        var rec = new int[z.RecordLength];
        z.WriteRecord(7, rec);
        Assert.Equal(5, rec.Length);
        Assert.Equal(0, rec[^1]);
        Assert.All(rec[..^1], id => Assert.InRange(id, 1, 8));
        // A record this source cannot emit (a wrong value) has infinite cross-entropy.
        rec[2] = rec[2] % 8 + 1;
        Assert.Equal(double.PositiveInfinity, z.CrossEntropy(rec));
    }

    [Theory]
    [InlineData(4096, 1.3, 64, 11UL)]
    [InlineData(300, 1.05, 20, 2UL)]
    public void EntropyRateMatchesAMonteCarloEstimateFromTheWrittenText(int keys, double a, int symbols, ulong seed)
    {
        // The exact rate from an independent sum (ranks i^−a normalised here, not by the source), against the true
        // model's cross-entropy of the text the writer put on disk: −ln p(key) per record, read back from the shards.
        double z = 0, hsum = 0;
        for (int i = 1; i <= keys; i++) z += Math.Pow(i, -a);
        for (int i = 1; i <= keys; i++) { double p = Math.Pow(i, -a) / z; hsum -= p * Math.Log(p); }
        var src = new ZipfFacts(keys, a, symbols, keyLength: 2, valueLength: 1, seed);
        Assert.Equal(hsum / 4, src.EntropyRate(), 12);

        string tmp = Directory.CreateTempSubdirectory().FullName;
        try
        {
            var m = SyntheticCorpora.WriteZipf(tmp, src, trainTokens: 400_000, valTokens: 4_000, seed: seed);
            Assert.Equal(src.EntropyRate(), m.EntropyRateNats!.Value, 15);
            using var ds = TokenDataset.Open(tmp);
            Assert.Equal(400_000, ds.Train.Count);
            var ids = new int[ds.Train.Count];
            ds.Train.Read(0, ids);
            // 100 batch means of per-token cross-entropy (records are independent, so batches are too).
            const int batches = 100;
            int per = ids.Length / batches;
            var means = new double[batches];
            for (int b = 0; b < batches; b++) means[b] = src.CrossEntropy(ids.AsSpan(b * per, per)) / per;
            double mean = means.Average();
            double se = Math.Sqrt(means.Sum(x => (x - mean) * (x - mean)) / (batches - 1) / batches);
            Assert.True(double.IsFinite(mean), "every record on disk is one the source can emit");
            Assert.InRange(src.EntropyRate(), mean - 4 * se, mean + 4 * se);
            Assert.True(se < 0.01 * mean, $"se {se}");
            // The test can fail: a source with another exponent is far outside the interval.
            double other = new ZipfFacts(keys, a + 0.2, symbols, 2, 1, seed).EntropyRate();
            Assert.False(other > mean - 4 * se && other < mean + 4 * se);
        }
        finally { Directory.Delete(tmp, true); }
    }

    [Fact]
    public void KeyFrequenciesFollowTheZipfLaw()
    {
        // The sampler against p: the most frequent key's count is within 4 binomial SE of n·p_1, and so is the
        // summed count of ranks 11..K.
        var src = new ZipfFacts(1000, 1.3, 64, 2, 1, 3);
        var rng = new Rng(3, 7);
        const int n = 200_000;
        int first = 0, tail = 0;
        for (int i = 0; i < n; i++) { int k = src.SampleKey(ref rng); if (k == 0) first++; else if (k >= 10) tail++; }
        double p1 = src.P[0], pt = src.P.Skip(10).Sum();
        Assert.InRange(first, n * p1 - 4 * Math.Sqrt(n * p1 * (1 - p1)), n * p1 + 4 * Math.Sqrt(n * p1 * (1 - p1)));
        Assert.InRange(tail, n * pt - 4 * Math.Sqrt(n * pt * (1 - pt)), n * pt + 4 * Math.Sqrt(n * pt * (1 - pt)));
    }

    [Fact]
    public void BadSettingsAreOneLineErrors()
    {
        var e = Assert.Throws<UserError>(() => new ZipfFacts(5000, 1.3, 64, 1, 1, 1));
        Assert.Contains("keys 5000", e.Message);
        Assert.Throws<UserError>(() => new ZipfFacts(10, 0, 64, 2, 1, 1));
        Assert.Throws<UserError>(() => new ZipfFacts(10, 1.2, 1, 2, 1, 1));
    }
}
