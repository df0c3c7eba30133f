using ScalingLab.Dynamics;

namespace ScalingLab.Tests.Dynamics;

public class EffectiveRankTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(16)]
    [InlineData(64)]
    public void IdentityHasEffectiveRankN(int n)
    {
        var m = new float[n * n];
        for (int i = 0; i < n; i++) m[i * n + i] = 1f;
        var (er, per, count) = EffectiveRank.Of(m, n, n);
        Assert.Equal(n, er, 1e-9);
        Assert.Equal(1.0, per, 1e-9);
        Assert.Equal(n, count);
    }

    [Theory]
    [InlineData(40, 24, 5)]  // tall: Gram MᵀM
    [InlineData(20, 50, 3)]  // wide: Gram MMᵀ
    [InlineData(32, 32, 1)]
    public void RankRWithEqualSingularValuesHasEffectiveRankR(int rows, int cols, int r)
    {
        // M = 2.5 · U Vᵀ with U, V orthonormal columns: r singular values of 2.5, the rest 0.
        var u = TestMatrices.Orthonormal(30, rows, r);
        var v = TestMatrices.Orthonormal(31, cols, r);
        var m = new float[rows * cols];
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++)
            {
                double s = 0;
                for (int k = 0; k < r; k++) s += u[i, k] * v[j, k];
                m[i * cols + j] = (float)(2.5 * s);
            }
        double[] sigma = EffectiveRank.SingularValues(m, rows, cols);
        Assert.Equal(Math.Min(rows, cols), sigma.Length);
        for (int k = 0; k < r; k++) Assert.Equal(2.5, sigma[k], 1e-5);
        for (int k = r; k < sigma.Length; k++) Assert.True(sigma[k] < 1e-5, $"σ_{k} = {sigma[k]}");
        var (er, per, count) = EffectiveRank.Of(m, rows, cols);
        Assert.Equal(r, er, 1e-3);
        Assert.Equal(r / (double)count, per, 1e-4);
    }

    [Fact]
    public void HandComputedTwoSingularValues()
    {
        // σ = (3, 1): p = (0.75, 0.25), H = −(0.75 ln 0.75 + 0.25 ln 0.25) = 0.5623351446,
        // ER = e^H = 1.7547654 (by hand / calculator), PER = ER / 2.
        Assert.Equal(1.7547654, EffectiveRank.FromSingularValues([3.0, 1.0]), 1e-6);
        // The same values from a matrix: rows (1,1,0) and (0,0,2) are orthogonal, σ = (2, √2).
        float[] m = [1, 1, 0, 0, 0, 2];
        double[] sigma = EffectiveRank.SingularValues(m, 2, 3);
        Assert.Equal(2.0, sigma[0], 1e-12);
        Assert.Equal(Math.Sqrt(2), sigma[1], 1e-12);
        // p = (2, 1.41421)/3.41421 = (0.585786, 0.414214); H = 0.6783555; ER = 1.9706343 (computed separately in float64).
        var (er, per, _) = EffectiveRank.Of(m, 2, 3);
        Assert.Equal(1.9706343, er, 1e-5);
        Assert.Equal(1.9706343 / 2, per, 1e-5);
    }

    [Fact]
    public void ZeroSingularValuesContributeNothing()
    {
        Assert.Equal(2.0, EffectiveRank.FromSingularValues([4.0, 4.0, 0.0, 0.0]), 1e-12);
        Assert.True(double.IsNaN(EffectiveRank.FromSingularValues([0.0, 0.0])));
    }

    [Fact]
    public void SameForAnyThreadCount()
    {
        float[] m = TestMatrices.Normal(32, 37, 23);
        Assert.Equal(EffectiveRank.SingularValues(m, 37, 23, threads: 1), EffectiveRank.SingularValues(m, 37, 23, threads: 3));
    }
}
