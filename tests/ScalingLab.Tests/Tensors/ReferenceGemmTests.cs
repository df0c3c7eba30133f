using ScalingLab.Tensors;

namespace ScalingLab.Tests.Tensors;

public class ReferenceGemmTests
{
    [Fact]
    public void HandComputedTwoByTwoInEveryOpCombination()
    {
        // A = [1 2; 3 4], B = [5 6; 7 8]: AB = [19 22; 43 50], AᵀB = [26 30; 38 44], ABᵀ = [17 23; 39 53], AᵀBᵀ = [23 31; 34 46].
        float[] a = [1, 2, 3, 4], b = [5, 6, 7, 8];
        var g = new ReferenceGemm();
        var expect = new Dictionary<(bool, bool), float[]>
        {
            [(false, false)] = [19, 22, 43, 50], [(true, false)] = [26, 30, 38, 44],
            [(false, true)] = [17, 23, 39, 53], [(true, true)] = [23, 31, 34, 46],
        };
        foreach (var ((ta, tb), want) in expect)
        {
            var c = new float[] { 1, 1, 1, 1 };
            g.Sgemm(ta, tb, 2, 2, 2, 2f, a, 2, b, 2, 1f, c, 2);
            Assert.Equal(want.Select(v => 2 * v + 1), c);
        }
    }

    [Fact]
    public void BetaZeroIgnoresNaNInC()
    {
        var c = new float[] { float.NaN };
        new ReferenceGemm().Sgemm(false, false, 1, 1, 1, 1f, [3f], 1, [4f], 1, 0f, c, 1);
        Assert.Equal(12f, c[0]);
    }

    [Fact]
    public void ShortSpansAreRejected()
    {
        Assert.Throws<ArgumentException>(() =>
            new ReferenceGemm().Sgemm(false, false, 2, 2, 2, 1f, new float[3], 2, new float[4], 2, 0f, new float[4], 2));
    }
}
