using ScalingLab.Common;
using ScalingLab.Tensors;

namespace ScalingLab.Tests.Tensors;

/// <summary>
/// The fast GEMMs against a float64 naive product. Error bound (Higham, "Accuracy and Stability of Numerical
/// Algorithms", §3.5): a float32 dot product of length K summed in any order has |ĉ − c| ≤ γ_K·Σ|a||b|,
/// γ_K = K·u/(1 − K·u), u = 2⁻²⁴ (FMA only tightens it). Scaling by α, adding β·C and the final rounding add
/// at most three more roundings, so we check |ĉ − c| ≤ (K + 4)·u/(1 − (K + 4)·u)·(|α|·Σ|a||b| + |β|·|c₀|) + tiny.
/// It is a worst-case bound, so it holds for every element; a missed or doubled term breaks it by orders of magnitude.
/// </summary>
public class GemmTests
{
    private const double U = 1.0 / (1 << 24);

    public static IEnumerable<object[]> Implementations()
    {
        yield return ["managed-1"];
        yield return ["managed-2"];
        yield return ["managed-packed-1"];
        yield return ["managed256-1"];
        yield return ["managed256-2"];
        // OpenBLAS is installed here and in CI (scripts/setup.sh); where it is absent its cases are left out.
        if (OpenBlasGemm.Available())
        {
            yield return ["openblas-1"];
            yield return ["openblas-2"];
        }
    }

    private static IGemm Make(string name) => name switch
    {
        "managed-1" => new ManagedGemm(1),
        "managed-2" => new ManagedGemm(2),
        "managed-packed-1" => new ManagedGemm(1) { AllowDirect = false },
        "managed256-1" => new ManagedGemm(1, useVector512: false),
        "managed256-2" => new ManagedGemm(2, useVector512: false),
        "openblas-1" => new OpenBlasGemm(1),
        "openblas-2" => new OpenBlasGemm(2),
        _ => throw new ArgumentException(name),
    };

    // m, n, k: 1×1×1, primes, just below/above the vector widths (8, 16, 64) and the blocks
    // (MR = 6, MC = 192, KC = 512, NC = 3072), skinny shapes like the LM head and per-head attention.
    private static readonly (int M, int N, int K)[] Shapes =
    [
        (1, 1, 1), (2, 3, 5), (7, 13, 11), (6, 64, 4), (5, 63, 3), (13, 65, 17), (15, 16, 17), (17, 15, 9),
        (31, 97, 37), (12, 129, 64), (64, 64, 64), (191, 7, 255), (193, 9, 257), (37, 71, 513), (13, 70, 511),
        (3, 3071, 5), (2, 3073, 3), (61, 200, 129), (200, 96, 64), (64, 32, 64), (11, 31, 40), (9, 97, 33),
    ];

    [Theory]
    [MemberData(nameof(Implementations))]
    public void MatchesFloat64ReferenceOnEveryShapeAndOpCombination(string impl)
    {
        var gemm = Make(impl);
        var rng = new Rng(7);
        int caseNo = 0;
        foreach (var (m, n, k) in Shapes)
        {
            foreach (bool ta in new[] { false, true })
            foreach (bool tb in new[] { false, true })
            {
                // Cycle α, β and padding over the cases so every combination of ops meets each of them.
                float alpha = (caseNo % 3) switch { 0 => 1f, 1 => -0.75f, _ => 2.5f };
                float beta = (caseNo % 4) switch { 0 => 0f, 1 => 1f, 2 => 0.5f, _ => 0f };
                int pad = caseNo % 2 == 0 ? 0 : 3;
                caseNo++;
                CheckOne(gemm, rng.Fork((ulong)caseNo), ta, tb, m, n, k, alpha, beta, pad);
            }
        }
    }

    [Theory]
    [MemberData(nameof(Implementations))]
    public void LargeShapeAcrossEveryBlockBoundary(string impl)
    {
        // Above the parallel threshold, two KC slices, two MC blocks per thread, a partial last NR panel.
        var gemm = Make(impl);
        CheckOne(gemm, new Rng(11), false, false, 389, 150, 600, 1f, 1f, 1);
        CheckOne(gemm, new Rng(12), true, true, 389, 150, 600, -1.5f, 0f, 0);
        CheckOne(gemm, new Rng(13), false, true, 250, 131, 520, 1f, 0f, 2);
        CheckOne(gemm, new Rng(14), true, false, 250, 131, 520, 1f, 0.25f, 0);
    }

    private static void CheckOne(IGemm gemm, Rng rng, bool ta, bool tb, int m, int n, int k,
                                 float alpha, float beta, int pad)
    {
        int aRows = ta ? k : m, aCols = ta ? m : k, bRows = tb ? n : k, bCols = tb ? k : n;
        int lda = aCols + pad, ldb = bCols + pad, ldc = n + pad;
        var a = new float[aRows * lda];
        var b = new float[bRows * ldb];
        var c = new float[m * ldc];
        rng.FillUniform(a, -1f, 1f);
        rng.Fork(1).FillUniform(b, -1f, 1f);
        rng.Fork(2).FillUniform(c, -1f, 1f);
        var c0 = (float[])c.Clone();
        gemm.Sgemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);

        double gamma = (k + 4) * U / (1 - (k + 4) * U);
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double sum = 0, abs = 0;
                for (int p = 0; p < k; p++)
                {
                    double av = ta ? a[p * lda + i] : a[i * lda + p];
                    double bv = tb ? b[j * ldb + p] : b[p * ldb + j];
                    sum += av * bv;
                    abs += Math.Abs(av * bv);
                }
                double old = beta == 0f ? 0 : c0[i * ldc + j];
                double want = alpha * sum + beta * old;
                double bound = gamma * (Math.Abs(alpha) * abs + Math.Abs(beta * old)) + 1e-30;
                double got = c[i * ldc + j];
                if (!(Math.Abs(got - want) <= bound))
                    Assert.Fail($"{gemm.Name} {(ta ? 'T' : 'N')}{(tb ? 'T' : 'N')} m={m} n={n} k={k} α={alpha} β={beta} pad={pad}: " +
                                $"C[{i},{j}] = {got}, want {want} ± {bound}");
            }
            // Padding between rows of C is not part of C: it must be untouched.
            for (int j = n; j < ldc && i < m - 1; j++) Assert.Equal(c0[i * ldc + j], c[i * ldc + j]);
        }
    }

    [Theory]
    [MemberData(nameof(Implementations))]
    public void BetaZeroIgnoresNaNInCAndAlphaZeroOrKZeroScalesC(string impl)
    {
        var gemm = Make(impl);
        var c = new float[] { float.NaN, float.NaN, float.NaN, float.NaN };
        gemm.Sgemm(false, false, 2, 2, 3, 1f, [1, 2, 3, 4, 5, 6], 3, [1, 0, 0, 1, 1, 1], 2, 0f, c, 2);
        Assert.Equal([4f, 5f, 10f, 11f], c);
        var d = new float[] { 1, 2, 3, 4 };
        gemm.Sgemm(false, false, 2, 2, 0, 1f, [], 1, [], 2, 0.5f, d, 2);
        Assert.Equal([0.5f, 1f, 1.5f, 2f], d);
        gemm.Sgemm(false, false, 2, 2, 1, 0f, [1, 1], 1, [1, 1], 2, 0f, d, 2);
        Assert.Equal([0f, 0f, 0f, 0f], d);
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    public void FewRowsSplitByColumnsGiveTheBitsOfTheRowSplitAndTheReferenceValues(bool ta, bool tb)
    {
        // 250 rows (at most ManagedGemm.ColumnSplitMaxRows, 256), 1100 columns (a partial last panel and chunk), two k slices.
        const int m = 250, n = 1100, k = 600;
        var rng = new Rng(21);
        var a = new float[m * k]; var b = new float[k * n];
        rng.FillUniform(a, -1f, 1f); rng.Fork(1).FillUniform(b, -1f, 1f);
        var byColumns = new ManagedGemm(2);
        var byRows = new ManagedGemm(2) { ColumnSplitMaxRows = 0 };
        var c1 = new float[m * n]; var c2 = new float[m * n]; var want = new float[m * n];
        byColumns.Sgemm(ta, tb, m, n, k, 1f, a, ta ? m : k, b, tb ? k : n, 0f, c1, n);
        byRows.Sgemm(ta, tb, m, n, k, 1f, a, ta ? m : k, b, tb ? k : n, 0f, c2, n);
        new ReferenceGemm().Sgemm(ta, tb, m, n, k, 1f, a, ta ? m : k, b, tb ? k : n, 0f, want, n);
        Assert.True(c1.AsSpan().SequenceEqual(c2), "the column split changed the bits");
        for (int i = 0; i < want.Length; i++) Assert.True(Math.Abs(c1[i] - want[i]) <= 1e-4f * (1 + Math.Abs(want[i])), $"element {i}: {c1[i]} vs {want[i]}");
    }

    [Theory]
    [InlineData(false, 1000, 100, 600, 1)]
    [InlineData(true, 1000, 100, 600, 2)]
    [InlineData(false, 997, 128, 513, 2)]
    [InlineData(true, 600, 32, 1100, 1)]
    [InlineData(false, 4097, 64, 100, 2)]
    public void ManyRowsFewColumnsReadInPlaceGiveTheBitsOfThePackedPath(bool tb, int m, int n, int k, int threads)
    {
        // Past 256 rows with at most 128 columns and an untransposed A, threads divide row chunks of 96 and read A in
        // place: chunks and tiles that cross the last row, a partial or narrow panel, one and several k slices.
        var rng = new Rng(31);
        var a = new float[m * k]; var b = new float[k * n]; var c0 = new float[m * n];
        rng.FillUniform(a, -1f, 1f); rng.Fork(1).FillUniform(b, -1f, 1f); rng.Fork(2).FillUniform(c0, -1f, 1f);
        float[] Run(IGemm g, float beta)
        {
            var c = (float[])c0.Clone();
            g.Sgemm(false, tb, m, n, k, 0.5f, a, k, b, tb ? k : n, beta, c, n);
            return c;
        }
        foreach (float beta in new[] { 0f, 1f, 0.25f })
        {
            var inPlace = Run(new ManagedGemm(threads), beta);
            Assert.True(inPlace.AsSpan().SequenceEqual(Run(new ManagedGemm(threads) { DirectRowsMaxCols = 0 }, beta)), $"β {beta}: bits changed");
            var want = Run(new ReferenceGemm(), beta);
            for (int i = 0; i < want.Length; i++)
                Assert.True(Math.Abs(inPlace[i] - want[i]) <= 1e-4f * (1 + Math.Abs(want[i])), $"β {beta}, element {i}: {inPlace[i]} vs {want[i]}");
        }
    }

    [Fact]
    public void SameThreadsGiveSameBitsAndThreadCountDoesNotChangeThem()
    {
        const int m = 300, n = 200, k = 520; // above the parallel threshold, two KC slices
        var rng = new Rng(3);
        var a = new float[m * k]; var b = new float[n * k];
        rng.FillNormal(a); rng.Fork(1).FillNormal(b);
        float[] Run(IGemm g)
        {
            var c = new float[m * n];
            g.Sgemm(false, true, m, n, k, 1f, a, k, b, k, 0f, c, n);
            return c;
        }
        var two = new ManagedGemm(2);
        var first = Run(two);
        Assert.Equal(first, Run(two));
        Assert.Equal(first, Run(new ManagedGemm(1)));
    }

    [Theory]
    [InlineData(false, false, 40, 300, 700)]
    [InlineData(true, true, 40, 300, 700)]
    [InlineData(false, true, 100, 130, 90)]
    [InlineData(true, false, 7, 65, 3)]
    [InlineData(false, false, 64, 32, 200)]
    [InlineData(false, true, 64, 96, 32)]
    [InlineData(true, false, 61, 113, 64)]
    public void SmallProblemPathGivesTheSameBitsAsThePackedPath(bool ta, bool tb, int m, int n, int k)
    {
        // Few rows or few multiply-adds read A (and an untransposed B) in place; the sums must not change.
        var rng = new Rng(9);
        var a = new float[m * k]; var b = new float[k * n];
        rng.FillNormal(a); rng.Fork(1).FillNormal(b);
        float[] Run(ManagedGemm g)
        {
            var c = new float[m * n];
            rng.Fork(2).FillNormal(c);
            g.Sgemm(ta, tb, m, n, k, 0.5f, a, ta ? m : k, b, tb ? k : n, 1f, c, n);
            return c;
        }
        Assert.Equal(Run(new ManagedGemm(1) { AllowDirect = false }), Run(new ManagedGemm(1)));
        Assert.Equal(Run(new ManagedGemm(1)), Run(new ManagedGemm(2)));
    }

    [Fact]
    public void ConcurrentCallsOnOneInstanceAreCorrect()
    {
        // The team serves one call; the others run on their own threads with their own buffers.
        var gemm = new ManagedGemm(2);
        const int m = 150, n = 130, k = 140;
        var rng = new Rng(5);
        var a = new float[m * k]; var b = new float[k * n];
        rng.FillUniform(a, -1, 1); rng.Fork(1).FillUniform(b, -1, 1);
        var want = new float[m * n];
        new ManagedGemm(1).Sgemm(false, false, m, n, k, 1f, a, k, b, n, 0f, want, n);
        var results = new float[8][];
        Parallel.For(0, 8, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i =>
        {
            var c = new float[m * n];
            for (int r = 0; r < 5; r++) gemm.Sgemm(false, false, m, n, k, 1f, a, k, b, n, 0f, c, n);
            results[i] = c;
        });
        foreach (var r in results) Assert.Equal(want, r);
    }

    [Fact]
    public void ShortSpansAreRejected()
    {
        Assert.Throws<ArgumentException>(() =>
            new ManagedGemm(1).Sgemm(false, false, 2, 2, 2, 1f, new float[3], 2, new float[4], 2, 0f, new float[4], 2));
    }

    [Fact]
    public void CreateResolvesNamesAndTheEnvironmentOverride()
    {
        Assert.Equal("managed", Gemm.Create("managed", 1).Name);
        Assert.Equal("reference", Gemm.Create("reference").Name);
        Assert.Same(Gemm.Create("managed", 2), Gemm.Create("Managed", 2));
        Assert.Contains(Gemm.Create("auto", 1).Name, new[] { "managed", "openblas" });
        if (OpenBlasGemm.Available()) Assert.Equal("openblas", Gemm.Create("openblas", 1).Name);
        Assert.Equal("managed", Gemm.Resolve("auto", "managed"));
        Assert.Equal("reference", Gemm.Resolve("auto", " Reference "));
        Assert.Equal("openblas", Gemm.Resolve("openblas", "managed")); // the variable overrides only "auto"
        Assert.Equal("auto", Gemm.Resolve("auto", null));
        Assert.Contains("unknown GEMM backend 'fast'", Assert.Throws<UserError>(() => Gemm.Create("fast")).Message);
        Assert.Throws<UserError>(() => Gemm.Resolve("auto", "gpu"));
        Assert.Throws<UserError>(() => Gemm.Create("managed", -1));
    }
}
