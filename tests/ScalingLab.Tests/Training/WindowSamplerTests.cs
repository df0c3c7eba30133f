using ScalingLab.Common;
using ScalingLab.Data;
using ScalingLab.Training;

namespace ScalingLab.Tests.Training;

public class WindowSamplerTests
{
    // Token i has id i % 1000, so a window's start is readable from its first input.
    private static ArrayTokens Seq(int n) => new(Enumerable.Range(0, n).Select(i => i % 1000).ToArray(), 1000);

    [Fact]
    public void EachEpochVisitsEveryWindowOnce()
    {
        var data = Seq(801); // 100 windows of 8+1 tokens
        var s = new WindowSampler(data, 8, seed: 5);
        Assert.Equal(100, s.WindowCount);
        var inp = new int[8 * 10]; var tgt = new int[8 * 10];
        var epochs = new List<HashSet<int>> { new(), new() };
        var order = new List<int>();
        for (int k = 0; k < 20; k++)
        {
            s.Next(10, inp, tgt);
            for (int b = 0; b < 10; b++)
            {
                int start = inp[b * 8];
                Assert.Equal(0, start % 8);
                for (int t = 0; t < 8; t++)
                {
                    Assert.Equal(start + t, inp[b * 8 + t]);
                    Assert.Equal(start + t + 1, tgt[b * 8 + t]);
                }
                order.Add(start);
                Assert.True(epochs[k / 10].Add(start), "a window repeated within an epoch");
            }
            Assert.Equal(k / 10, (int)s.Epoch);
        }
        Assert.Equal(100, epochs[0].Count);
        Assert.Equal(100, epochs[1].Count);
        Assert.NotEqual(order.Take(100), order.Skip(100)); // each epoch its own permutation
        Assert.NotEqual(Enumerable.Range(0, 100).Select(i => i * 8), order.Take(100)); // shuffled
    }

    [Fact]
    public void SeekReproducesTheStream()
    {
        var data = Seq(1001);
        var a = new WindowSampler(data, 10, seed: 9);
        var inp = new int[30]; var tgt = new int[30];
        for (int k = 0; k < 37; k++) a.Next(3, inp, tgt);  // crosses an epoch boundary (100 windows)
        var b = new WindowSampler(data, 10, seed: 9);
        b.Seek(a.Epoch, a.Index);
        var inp2 = new int[30]; var tgt2 = new int[30];
        for (int k = 0; k < 50; k++)
        {
            a.Next(3, inp, tgt);
            b.Next(3, inp2, tgt2);
            Assert.Equal(inp, inp2);
            Assert.Equal(tgt, tgt2);
        }
    }

    [Fact]
    public void DifferentSeedsGiveDifferentOrders()
    {
        var data = Seq(1001);
        var inp1 = new int[100]; var inp2 = new int[100]; var t = new int[100];
        new WindowSampler(data, 10, 1).Next(10, inp1, t);
        new WindowSampler(data, 10, 2).Next(10, inp2, t);
        Assert.NotEqual(inp1, inp2);
    }

    [Fact]
    public void EvalWindowsAreSpreadEvenly()
    {
        var data = Seq(1001); // 100 windows of 10
        Assert.Equal([0L, 250, 500, 750], WindowSampler.EvalStarts(data, 10, 4));
        Assert.Equal(100, WindowSampler.EvalStarts(data, 10, 500).Length);
        Assert.Throws<UserError>(() => WindowSampler.EvalStarts(Seq(5), 10, 4));
        Assert.Throws<UserError>(() => new WindowSampler(Seq(5), 10, 1));
    }
}
