using ScalingLab.Dynamics;
using ScalingLab.Tensors;

namespace ScalingLab.Tests.Dynamics;

public class LinearCkaTests
{
    private static readonly IGemm Gemm = new ReferenceGemm();

    [Theory]
    [InlineData(40, 7, 5, 1UL)]
    [InlineData(64, 3, 12, 2UL)]
    [InlineData(25, 30, 2, 3UL)] // d > n: still through the d×d Grams
    public void MatchesNaiveFloat64KernelFormula(int n, int dx, int dy, ulong seed)
    {
        float[] x = TestMatrices.Normal(seed, n, dx);
        // Y partly depends on X so the value is neither ~0 nor ~1.
        float[] noise = TestMatrices.Normal(seed + 100, n, dy);
        float[] y = new float[n * dy];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < dy; j++)
                y[i * dy + j] = x[i * dx + j % dx] * (j + 1) + 2f * (j + 1) * noise[i * dy + j];
        double got = LinearCka.Compute(Gemm, x, dx, y, dy, n);
        double want = TestMatrices.NaiveCka(x, dx, y, dy, n);
        Assert.InRange(want, 0.05, 0.95);
        Assert.Equal(want, got, 1e-5);
    }

    [Fact]
    public void ManyBlocksAndLargeColumnMeansMatchNaive()
    {
        // n spans three GEMM row blocks; columns carry means of 1000, removed in float64.
        int n = LinearCka.BlockRows * 2 + 300, dx = 3, dy = 2;
        float[] x = TestMatrices.Normal(7, n, dx, mean: 1000f);
        float[] y = TestMatrices.Normal(8, n, dy, mean: -500f);
        for (int i = 0; i < n; i++) y[i * dy] += x[i * dx] - 1000f;
        double got = LinearCka.Compute(Gemm, x, dx, y, dy, n);
        double want = TestMatrices.NaiveCka(x, dx, y, dy, n);
        Assert.InRange(want, 0.05, 0.95);
        Assert.Equal(want, got, 1e-5);
    }

    [Fact]
    public void IsOneUnderOrthogonalTransform()
    {
        int n = 60, d = 8;
        float[] x = TestMatrices.Normal(11, n, d);
        float[] y = TestMatrices.Times(x, n, d, TestMatrices.Orthonormal(12, d, d));
        Assert.Equal(1.0, LinearCka.Compute(Gemm, x, d, y, d, n), 1e-6);
    }

    [Fact]
    public void IsOneUnderOrthogonalEmbeddingIntoMoreDimensions()
    {
        // Y = X E with E (d×e, e > d) made of d rows of an orthogonal matrix: EEᵀ = I, so Y keeps
        // all of X's geometry in more dimensions and CKA = 1.
        int n = 50, d = 6, e = 10;
        float[] x = TestMatrices.Normal(13, n, d);
        var q = TestMatrices.Orthonormal(14, e, e);
        var embed = new double[d, e];
        for (int i = 0; i < d; i++)
            for (int j = 0; j < e; j++) embed[i, j] = q[i, j]; // rows of an orthogonal matrix: orthonormal
        float[] y = TestMatrices.Times(x, n, d, embed);
        Assert.Equal(1.0, LinearCka.Compute(Gemm, x, d, y, e, n), 1e-6);
    }

    [Theory]
    [InlineData(3.5f)]
    [InlineData(-0.02f)]
    public void IsOneUnderIsotropicScaling(float c)
    {
        int n = 45, d = 5;
        float[] x = TestMatrices.Normal(15, n, d);
        float[] y = x.Select(v => c * v).ToArray();
        Assert.Equal(1.0, LinearCka.Compute(Gemm, x, d, y, d, n), 1e-6);
    }

    [Fact]
    public void IsNotOneUnderAnisotropicScaling()
    {
        // The invariance tests above must be able to fail: a non-isotropic scaling changes CKA.
        int n = 45, d = 5;
        float[] x = TestMatrices.Normal(16, n, d);
        float[] y = x.Select((v, i) => i % d == 0 ? 10 * v : v).ToArray();
        double cka = LinearCka.Compute(Gemm, x, d, y, d, n);
        Assert.True(cka < 0.9, $"CKA = {cka}");
        Assert.Equal(TestMatrices.NaiveCka(x, d, y, d, n), cka, 1e-5);
    }

    [Fact]
    public void IsSymmetricAndInUnitInterval()
    {
        var rng = new Rng(17);
        for (int trial = 0; trial < 20; trial++)
        {
            int n = 10 + rng.NextInt(50), dx = 1 + rng.NextInt(9), dy = 1 + rng.NextInt(9);
            float[] x = TestMatrices.Normal(100 + (ulong)trial, n, dx);
            float[] y = TestMatrices.Normal(200 + (ulong)trial, n, dy);
            if (trial % 2 == 0) // half the pairs strongly related
                for (int i = 0; i < n; i++) y[i * dy] += 3 * x[i * dx];
            double xy = LinearCka.Compute(Gemm, x, dx, y, dy, n);
            double yx = LinearCka.Compute(Gemm, y, dy, x, dx, n);
            Assert.Equal(xy, yx, 1e-6);
            Assert.InRange(xy, 0.0, 1.0);
        }
    }

    [Fact]
    public void ReferenceIsReusedAcrossComparisons()
    {
        int n = 30, d = 4;
        float[] y = TestMatrices.Normal(18, n, d);
        var cka = new LinearCka(Gemm, n, 6);
        cka.SetReference(y, d);
        for (int t = 0; t < 3; t++)
        {
            int dx = 4 + t;
            float[] x = TestMatrices.Normal(19 + (ulong)t, n, dx);
            for (int i = 0; i < n; i++) x[i * dx] += y[i * d + 1];
            Assert.Equal(TestMatrices.NaiveCka(x, dx, y, d, n), cka.Compare(x, dx), 1e-5);
        }
    }

    [Fact]
    public void ZeroVarianceIsUndefined()
    {
        int n = 10, d = 3;
        float[] constant = Enumerable.Repeat(2.5f, n * d).ToArray();
        float[] x = TestMatrices.Normal(20, n, d);
        Assert.True(double.IsNaN(LinearCka.Compute(Gemm, constant, d, x, d, n)));
        Assert.True(double.IsNaN(LinearCka.Compute(Gemm, x, d, constant, d, n)));
    }
}
