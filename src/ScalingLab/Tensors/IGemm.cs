namespace ScalingLab.Tensors;

/// <summary>
/// Single-precision matrix multiply, row-major: C = α·op(A)·op(B) + β·C, where op(A) is m×k,
/// op(B) is k×n and C is m×n. With <c>transA</c>, A is stored k×m (so op(A) = Aᵀ); likewise B.
/// Leading dimensions are row strides in elements: lda ≥ (transA ? m : k), ldb ≥ (transB ? k : n),
/// ldc ≥ n. β = 0 overwrites C (old contents, even NaN, are ignored); β = 1 accumulates
/// (gradient accumulation). Training uses NN (forward), NT and TN (backward).
/// </summary>
public interface IGemm
{
    /// <summary>Short name for logs and benches ("managed", "openblas", "reference").</summary>
    string Name { get; }

    /// <summary>Computes C = α·op(A)·op(B) + β·C (see the interface summary for shapes).</summary>
    void Sgemm(bool transA, bool transB, int m, int n, int k,
               float alpha, ReadOnlySpan<float> a, int lda,
               ReadOnlySpan<float> b, int ldb,
               float beta, Span<float> c, int ldc);
}

/// <summary>Shape checks shared by every <see cref="IGemm"/> implementation.</summary>
public static class GemmArgs
{
    /// <summary>Throws <see cref="ArgumentException"/> when a span is too short for the stated shape and strides.</summary>
    public static void Validate(bool transA, bool transB, int m, int n, int k,
                                int aLength, int lda, int bLength, int ldb, int cLength, int ldc)
    {
        if (m < 0 || n < 0 || k < 0) throw new ArgumentException($"gemm: negative dimension m={m} n={n} k={k}");
        int aRows = transA ? k : m, aCols = transA ? m : k;
        int bRows = transB ? n : k, bCols = transB ? k : n;
        if (lda < Math.Max(1, aCols)) throw new ArgumentException($"gemm: lda={lda} < {aCols}");
        if (ldb < Math.Max(1, bCols)) throw new ArgumentException($"gemm: ldb={ldb} < {bCols}");
        if (ldc < Math.Max(1, n)) throw new ArgumentException($"gemm: ldc={ldc} < {n}");
        if (m == 0 || n == 0) return;
        if (k > 0 && aRows > 0 && (long)(aRows - 1) * lda + aCols > aLength) throw new ArgumentException("gemm: A is shorter than its shape");
        if (k > 0 && bRows > 0 && (long)(bRows - 1) * ldb + bCols > bLength) throw new ArgumentException("gemm: B is shorter than its shape");
        if ((long)(m - 1) * ldc + n > cLength) throw new ArgumentException("gemm: C is shorter than its shape");
    }
}
