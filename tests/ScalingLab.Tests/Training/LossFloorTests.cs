using ScalingLab.Data;
using ScalingLab.Tensors;
using ScalingLab.Training;

namespace ScalingLab.Tests.Training;

public class LossFloorTests
{
    /// <summary>Symbols of <paramref name="chain"/> as token ids (symbol + 1), from a stationary start.</summary>
    private static ArrayTokens Sample(MarkovChain chain, int count, ulong seed)
    {
        var rng = new Rng(seed);
        int ctx = chain.StationaryContext(ref rng, chain.Stationary());
        var x = new int[count];
        chain.Sample(ref rng, x, ref ctx);
        return new ArrayTokens(x.Select(v => v + 1).ToArray(), chain.Vocab + 1);
    }

    [Fact]
    public void AnOrderTwoChainThatIgnoresItsOlderSymbolScoresLikeItsOrderOneChain()
    {
        // An order-2 chain whose rows depend only on the latest symbol is the order-1 chain. The order-1 chain has full
        // context for every target of a window; the order-2 one must recover P(x1 | x0) for the first target from the
        // stationary marginals — the two windowed cross-entropies must agree.
        var one = MarkovChain.RandomDirichlet(1, 5, 0.7, 11);
        int v = one.Vocab;
        var rows = new double[v * v * v];
        for (int older = 0; older < v; older++)
            for (int latest = 0; latest < v; latest++)
                for (int x = 0; x < v; x++) rows[(older * v + latest) * v + x] = one.Probability(latest, x);
        var two = new MarkovChain(2, v, rows);
        var tokens = Sample(one, 5000, 3);
        var starts = WindowSampler.EvalStarts(tokens, 16, 40);
        double a = LossFloor.WindowedCrossEntropy(one, tokens, starts, 16);
        double b = LossFloor.WindowedCrossEntropy(two, tokens, starts, 16);
        Assert.Equal(a, b, 12);
    }

    [Fact]
    public void TheFirstTargetOfAnOrderTwoWindowUsesThePairMarginal()
    {
        // Hand count for one window of T = 1: the only target x1 has one symbol of context, so its probability is
        // P(x0 x1) / P(x0) from the stationary distribution over pairs (contexts of the order-2 chain).
        var chain = MarkovChain.RandomDirichlet(2, 3, 1.0, 5);
        var pi = chain.Stationary();
        var tokens = new ArrayTokens([2, 3], 4); // symbols 1, 2
        double pPair = pi[1 * 3 + 2];
        double pFirst = Enumerable.Range(0, 3).Sum(y => pi[1 * 3 + y]); // P(x0 = 1) as the older symbol of a pair
        double expected = -Math.Log(pPair / pFirst);
        Assert.Equal(expected, LossFloor.WindowedCrossEntropy(chain, tokens, [0], 1), 12);
    }

    [Fact]
    public void MarkovDataFolderGivesAFloorNearTheEntropyRate()
    {
        var dir = Directory.CreateTempSubdirectory("floor-");
        try
        {
            SyntheticCorpora.WriteMarkov(dir.FullName, 1, 8, 0.5, 20_000, 20_000, 9);
            var f = LossFloor.For(dir.FullName, 64, 64)!;
            Assert.NotNull(f.BestEvalLoss);
            // 64 windows × 64 targets: the sample cross-entropy of the true model is within a few standard errors of H.
            Assert.Equal(f.EntropyRate!.Value, f.BestEvalLoss!.Value, 0.1);
            Assert.Equal(64, f.EvalWindows);
        }
        finally { dir.Delete(true); }
    }
}
