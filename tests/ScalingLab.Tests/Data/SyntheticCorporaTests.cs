using ScalingLab.Common;
using ScalingLab.Data;
using ScalingLab.Tensors;

namespace ScalingLab.Tests.Data;

public class SyntheticCorporaTests
{
    [Fact]
    public void TwoStateChainHasTheTextbookEntropyRate()
    {
        // P = [[1−p, p], [q, 1−q]]: π = (q, p)/(p+q), H = π0·h(p) + π1·h(q) (Cover & Thomas, Example 4.2.1).
        double p = 0.1, q = 0.35;
        var chain = new MarkovChain(1, 2, [1 - p, p, q, 1 - q]);
        static double Hb(double x) => -x * Math.Log(x) - (1 - x) * Math.Log(1 - x);
        double[] pi = chain.Stationary();
        Assert.Equal(q / (p + q), pi[0], 12);
        Assert.Equal(q / (p + q) * Hb(p) + p / (p + q) * Hb(q), chain.EntropyRate(), 12);
        // Order 0 with uniform rows: ln V.
        Assert.Equal(Math.Log(5), new MarkovChain(0, 5, [.2, .2, .2, .2, .2]).EntropyRate(), 12);
    }

    [Theory]
    [InlineData(2, 16, 0.3, 3UL)]
    [InlineData(1, 8, 1.0, 4UL)]
    public void EntropyRateMatchesAMonteCarloEstimateWithinItsConfidenceInterval(int order, int vocab, double alpha, ulong seed)
    {
        // Monte Carlo in float64: the mean of −ln P(x_t | context_t) along a long sample is a consistent
        // estimate of the entropy rate; its standard error comes from 100 batch means (the terms are correlated
        // through the context, batches of 4,000 are far longer than the chain's mixing time).
        var chain = MarkovChain.RandomDirichlet(order, vocab, alpha, seed);
        double h = chain.EntropyRate();
        double[] pi = chain.Stationary();
        var rng = new Rng(seed, 99);
        int ctx = chain.StationaryContext(ref rng, pi);
        const int batches = 100, per = 4000;
        var means = new double[batches];
        var sym = new int[1];
        for (int b = 0; b < batches; b++)
        {
            double sum = 0;
            for (int i = 0; i < per; i++)
            {
                int before = ctx;
                chain.Sample(ref rng, sym, ref ctx);
                sum -= Math.Log(chain.Probability(before, sym[0]));
            }
            means[b] = sum / per;
        }
        double mean = means.Average();
        double se = Math.Sqrt(means.Sum(m => (m - mean) * (m - mean)) / (batches - 1) / batches);
        Assert.InRange(h, mean - 4 * se, mean + 4 * se);
        Assert.True(se < 0.01, $"se {se}");
        Assert.True(h < Math.Log(vocab) - 0.05); // the chain is not uniform: the test can tell them apart
    }

    [Fact]
    public void MarkovFolderRecordsTheEntropyAndIsDeterministic()
    {
        string tmp = Directory.CreateTempSubdirectory().FullName;
        var m1 = SyntheticCorpora.WriteMarkov(Path.Combine(tmp, "a"), 2, 8, 0.5, 20_000, 2_000, 5);
        var m2 = SyntheticCorpora.WriteMarkov(Path.Combine(tmp, "b"), 2, 8, 0.5, 20_000, 2_000, 5);
        Assert.Equal(MarkovChain.RandomDirichlet(2, 8, 0.5, 5).EntropyRate(), m1.EntropyRateNats);
        Assert.Equal(File.ReadAllBytes(Path.Combine(tmp, "a", "train-000000.bin")), File.ReadAllBytes(Path.Combine(tmp, "b", "train-000000.bin")));
        using var ds = TokenDataset.Open(Path.Combine(tmp, "a"));
        Assert.Equal(20_000, ds.Train.Count);
        Assert.Equal(2_000, ds.Val.Count);
        Assert.Equal(m2.EntropyRateNats, TokenDataset.Open(Path.Combine(tmp, "b")).Manifest.EntropyRateNats);
        var ids = new int[ds.Train.Count];
        ds.Train.Read(0, ids);
        Assert.All(ids, t => Assert.InRange(t, 1, 8)); // symbols are ids 1..V
    }

    [Fact]
    public void MemorizeCorpusHasSeparatedSequencesAndLogDOverLPlusOne()
    {
        string tmp = Directory.CreateTempSubdirectory().FullName;
        var m = SyntheticCorpora.WriteMemorize(tmp + "/m", 50, 15, 16, 6, 16_000, 1_600, 2);
        Assert.Equal(Math.Log(50) / 16, m.EntropyRateNats!.Value, 12);
        using var ds = TokenDataset.Open(tmp + "/m");
        var ids = new int[ds.Train.Count];
        ds.Train.Read(0, ids);
        Assert.Equal(0, ids.Length % 16);
        var seqs = ids.Chunk(16).Select(c => { Assert.Equal(0, c[15]); return string.Join(',', c[..15]); }).ToList();
        var distinct = seqs.Distinct().Select(s => s.Split(',')).ToList();
        Assert.Equal(50, distinct.Count); // 1,000 draws of 50 sequences: every one appears (miss chance ≈ 50·e^-20)
        for (int a = 0; a < distinct.Count; a++)
            for (int b = a + 1; b < distinct.Count; b++)
                Assert.True(distinct[a].Zip(distinct[b]).Count(z => z.First != z.Second) >= 6);
        Assert.Throws<UserError>(() => SyntheticCorpora.DistinctSequences(100, 4, 2, 4, 1)); // impossible separation
    }

    [Fact]
    public void SampledCorporaShareTheirSizeAndSeedDefaults()
    {
        // Each generator keeps its own token default; validation tokens default to a tenth, at least the minimum given.
        Assert.Equal(5_000_000, new MarkovOptions().Tokens);
        Assert.Equal(1_000_000, new MemorizeOptions().Tokens);
        Assert.Equal(5_000_000, new ZipfOptions().Tokens);
        Assert.Equal(1UL, new ZipfOptions().Seed);
        Assert.Equal(100, new MarkovOptions { Tokens = 1000 }.ValTokensOrTenth(1));
        Assert.Equal(4, new ZipfOptions { Tokens = 10 }.ValTokensOrTenth(4));
        Assert.Equal(7, new MemorizeOptions { Tokens = 1000, ValTokens = 7 }.ValTokensOrTenth(1));
    }
}
