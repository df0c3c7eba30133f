namespace ScalingLab.Tensors;

/// <summary>
/// Packing for <see cref="ManagedGemm"/>: copies a block of op(A) or op(B) into the k-major micro-panels the
/// micro-kernels read with unit stride, zero-padding the last panel to a full width. Transposes are absorbed
/// here, so one kernel serves NN, NT, TN and TT. A full 6-row panel of a row-major A is the hot case
/// (it is packed once per MC×KC block for every NC columns): it reads six row pointers, unrolled.
/// </summary>
internal static unsafe class ManagedGemmPacking
{
    private const int MR = ManagedGemmKernels.MR;

    /// <summary>
    /// Packs op(A)[i0 .. i0+mc, p0 .. p0+kc) into ⌈mc/6⌉ panels, each kc × 6 (k-major), at <paramref name="dst"/>.
    /// op(A)[i, p] is a[i·lda + p], or a[p·lda + i] when <paramref name="trans"/>.
    /// </summary>
    public static void PackA(bool trans, float* a, nint lda, int i0, int mc, int p0, int kc, float* dst)
    {
        for (int ir = 0; ir < mc; ir += MR)
        {
            int rows = Math.Min(MR, mc - ir);
            float* d = dst + (nint)ir * kc;
            if (!trans)
            {
                float* r0 = a + (i0 + ir) * lda + p0;
                if (rows == MR)
                {
                    float* r1 = r0 + lda, r2 = r1 + lda, r3 = r2 + lda, r4 = r3 + lda, r5 = r4 + lda;
                    for (int p = 0; p < kc; p++, d += MR)
                    {
                        d[0] = r0[p]; d[1] = r1[p]; d[2] = r2[p]; d[3] = r3[p]; d[4] = r4[p]; d[5] = r5[p];
                    }
                }
                else
                {
                    for (int p = 0; p < kc; p++, d += MR)
                    {
                        for (int x = 0; x < MR; x++) d[x] = x < rows ? r0[x * lda + p] : 0f;
                    }
                }
            }
            else
            {
                float* s = a + (nint)p0 * lda + i0 + ir;
                if (rows == MR)
                {
                    for (int p = 0; p < kc; p++, d += MR, s += lda)
                    {
                        d[0] = s[0]; d[1] = s[1]; d[2] = s[2]; d[3] = s[3]; d[4] = s[4]; d[5] = s[5];
                    }
                }
                else
                {
                    for (int p = 0; p < kc; p++, d += MR, s += lda)
                    {
                        for (int x = 0; x < MR; x++) d[x] = x < rows ? s[x] : 0f;
                    }
                }
            }
        }
    }

    /// <summary>
    /// Packs panels [q0, q1) of op(B)[p0 .. p0+kc, j0 .. j0+nc): panel q holds columns j0 + q·nr .. + nr as
    /// kc × nr (k-major) at dst + q·nr·kc, zero-padded past nc. op(B)[p, j] is b[p·ldb + j], or b[j·ldb + p]
    /// when <paramref name="trans"/>.
    /// </summary>
    public static void PackB(bool trans, float* b, nint ldb, int p0, int kc, int j0, int nc, int nr,
                             int q0, int q1, float* dst)
    {
        for (int q = q0; q < q1; q++)
        {
            int jr = q * nr;
            int cols = Math.Min(nr, nc - jr);
            float* d = dst + (nint)q * nr * kc;
            if (!trans)
            {
                float* s = b + (nint)p0 * ldb + j0 + jr;
                for (int p = 0; p < kc; p++, d += nr, s += ldb)
                {
                    new ReadOnlySpan<float>(s, cols).CopyTo(new Span<float>(d, cols));
                    if (cols < nr) new Span<float>(d + cols, nr - cols).Clear();
                }
            }
            else
            {
                // Column jj of the panel is row j0+jr+jj of the stored B: contiguous in p.
                for (int jj = 0; jj < nr; jj++)
                {
                    float* dc = d + jj;
                    if (jj < cols)
                    {
                        float* s = b + (nint)(j0 + jr + jj) * ldb + p0;
                        for (int p = 0; p < kc; p++) dc[(nint)p * nr] = s[p];
                    }
                    else
                    {
                        for (int p = 0; p < kc; p++) dc[(nint)p * nr] = 0f;
                    }
                }
            }
        }
    }
}
