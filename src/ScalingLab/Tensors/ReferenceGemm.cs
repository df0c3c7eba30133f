namespace ScalingLab.Tensors;

/// <summary>
/// The plain triple loop with float64 accumulation: slow, obviously right, and kept as the
/// test oracle for the fast implementations (as Llm.cs keeps its reference kernels).
/// </summary>
public sealed class ReferenceGemm : IGemm
{
    /// <inheritdoc />
    public string Name => "reference";

    /// <inheritdoc />
    public void Sgemm(bool transA, bool transB, int m, int n, int k,
                      float alpha, ReadOnlySpan<float> a, int lda,
                      ReadOnlySpan<float> b, int ldb,
                      float beta, Span<float> c, int ldc)
    {
        GemmArgs.Validate(transA, transB, m, n, k, a.Length, lda, b.Length, ldb, c.Length, ldc);
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double sum = 0;
                for (int p = 0; p < k; p++)
                {
                    float av = transA ? a[p * lda + i] : a[i * lda + p];
                    float bv = transB ? b[j * ldb + p] : b[p * ldb + j];
                    sum += (double)av * bv;
                }
                double prev = beta == 0f ? 0.0 : beta * (double)c[i * ldc + j];
                c[i * ldc + j] = (float)(alpha * sum + prev);
            }
        }
    }
}
