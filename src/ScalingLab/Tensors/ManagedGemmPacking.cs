using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

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
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
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
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
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
                if (cols == 64 && nr == 64 && Vector512.IsHardwareAccelerated)
                {
                    // The hot case: a full 64-wide row is four zmm copies (a Memmove call per 256 bytes cost more).
                    for (int p = 0; p < kc; p++, d += nr, s += ldb)
                    {
                        Vector512.Store(Vector512.Load(s), d); Vector512.Store(Vector512.Load(s + 16), d + 16);
                        Vector512.Store(Vector512.Load(s + 32), d + 32); Vector512.Store(Vector512.Load(s + 48), d + 48);
                    }
                    continue;
                }
                for (int p = 0; p < kc; p++, d += nr, s += ldb)
                {
                    new ReadOnlySpan<float>(s, cols).CopyTo(new Span<float>(d, cols));
                    if (cols < nr) new Span<float>(d + cols, nr - cols).Clear();
                }
            }
            else
            {
                // Column jj of the panel is row j0+jr+jj of the stored B, contiguous in p: transpose 8×8
                // blocks in registers, p blocked by 64 so the panel rows being written stay in L1.
                int j8 = Avx.IsSupported ? cols & ~7 : 0, p8 = Avx.IsSupported ? kc & ~7 : 0;
                float* s = b + (nint)(j0 + jr) * ldb + p0;
                for (int pb = 0; pb < p8; pb += 64)
                {
                    int pe = Math.Min(p8, pb + 64);
                    for (int jj = 0; jj < j8; jj += 8)
                    {
                        for (int p = pb; p < pe; p += 8) Transpose8x8(s + jj * ldb + p, ldb, d + (nint)p * nr + jj, nr);
                    }
                }
                for (int jj = 0; jj < nr; jj++)
                {
                    float* dc = d + jj;
                    float* sc = s + jj * ldb;
                    int from = jj < j8 ? p8 : 0; // the part the 8×8 blocks did not cover
                    if (jj < cols) for (int p = from; p < kc; p++) dc[(nint)p * nr] = sc[p];
                    else for (int p = 0; p < kc; p++) dc[(nint)p * nr] = 0f;
                }
            }
        }
    }

    /// <summary>Writes the transpose of the 8×8 block at src (row stride ls) to dst (row stride ld).</summary>
    private static void Transpose8x8(float* src, nint ls, float* dst, nint ld)
    {
        Vector256<float> r0 = Avx.LoadVector256(src), r1 = Avx.LoadVector256(src + ls),
            r2 = Avx.LoadVector256(src + 2 * ls), r3 = Avx.LoadVector256(src + 3 * ls),
            r4 = Avx.LoadVector256(src + 4 * ls), r5 = Avx.LoadVector256(src + 5 * ls),
            r6 = Avx.LoadVector256(src + 6 * ls), r7 = Avx.LoadVector256(src + 7 * ls);
        Vector256<float> t0 = Avx.UnpackLow(r0, r1), t1 = Avx.UnpackHigh(r0, r1), t2 = Avx.UnpackLow(r2, r3), t3 = Avx.UnpackHigh(r2, r3),
            t4 = Avx.UnpackLow(r4, r5), t5 = Avx.UnpackHigh(r4, r5), t6 = Avx.UnpackLow(r6, r7), t7 = Avx.UnpackHigh(r6, r7);
        Vector256<float> u0 = Avx.Shuffle(t0, t2, 0x44), u1 = Avx.Shuffle(t0, t2, 0xEE), u2 = Avx.Shuffle(t1, t3, 0x44), u3 = Avx.Shuffle(t1, t3, 0xEE),
            u4 = Avx.Shuffle(t4, t6, 0x44), u5 = Avx.Shuffle(t4, t6, 0xEE), u6 = Avx.Shuffle(t5, t7, 0x44), u7 = Avx.Shuffle(t5, t7, 0xEE);
        Avx.Store(dst, Avx.Permute2x128(u0, u4, 0x20));
        Avx.Store(dst + ld, Avx.Permute2x128(u1, u5, 0x20));
        Avx.Store(dst + 2 * ld, Avx.Permute2x128(u2, u6, 0x20));
        Avx.Store(dst + 3 * ld, Avx.Permute2x128(u3, u7, 0x20));
        Avx.Store(dst + 4 * ld, Avx.Permute2x128(u0, u4, 0x31));
        Avx.Store(dst + 5 * ld, Avx.Permute2x128(u1, u5, 0x31));
        Avx.Store(dst + 6 * ld, Avx.Permute2x128(u2, u6, 0x31));
        Avx.Store(dst + 7 * ld, Avx.Permute2x128(u3, u7, 0x31));
    }
}
