using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ScalingLab.Tensors;

/// <summary>
/// The register-blocked micro-kernels of <see cref="ManagedGemm"/>: C[0..6, 0..NR) (+)= α · Apanel · Bpanel
/// for one packed A micro-panel (kc × 6, k-major) and one packed B micro-panel (kc × NR, k-major).
/// The 6×64 zmm kernel keeps 24 accumulators, 4 B vectors and one broadcast of A in the 32 registers
/// (no spills: check with DOTNET_JitDisasm="Kernel6x64"); k is unrolled 4×. The 6×16 ymm kernel is the
/// same shape for CPUs without AVX-512 (16 registers: 12 accumulators, 2 B vectors, one broadcast).
/// The unrolled bodies are written out by hand (generated once): the JIT keeps locals in registers,
/// not arrays.
/// </summary>
internal static unsafe class ManagedGemmKernels
{
    /// <summary>Rows of the micro-tile (shared by both kernels).</summary>
    public const int MR = 6;

    /// <summary>How a tile is written back: C = α·acc, C = C + α·acc, or C = α·acc + β·C.</summary>
    public const int Overwrite = 0, Accumulate = 1, General = 2;

    /// <summary>6×64 tile on Vector512 with FMA. <paramref name="c"/> has row stride <paramref name="ldc"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Kernel6x64(int kc, float* a, float* b, float* c, nint ldc, float alpha, float beta, int mode)
    {
        if (Sse.IsSupported)
        {
            // Touch the C tile now so its lines arrive while the k loop runs.
            for (int r = 0; r < MR; r++)
            {
                float* row = c + r * ldc;
                Sse.Prefetch0(row); Sse.Prefetch0(row + 16); Sse.Prefetch0(row + 32); Sse.Prefetch0(row + 63);
            }
        }
        Vector512<float> c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23, c30, c31, c32, c33, c40, c41, c42, c43, c50, c51, c52, c53;
        c00 = Vector512<float>.Zero; c01 = Vector512<float>.Zero; c02 = Vector512<float>.Zero; c03 = Vector512<float>.Zero;
        c10 = Vector512<float>.Zero; c11 = Vector512<float>.Zero; c12 = Vector512<float>.Zero; c13 = Vector512<float>.Zero;
        c20 = Vector512<float>.Zero; c21 = Vector512<float>.Zero; c22 = Vector512<float>.Zero; c23 = Vector512<float>.Zero;
        c30 = Vector512<float>.Zero; c31 = Vector512<float>.Zero; c32 = Vector512<float>.Zero; c33 = Vector512<float>.Zero;
        c40 = Vector512<float>.Zero; c41 = Vector512<float>.Zero; c42 = Vector512<float>.Zero; c43 = Vector512<float>.Zero;
        c50 = Vector512<float>.Zero; c51 = Vector512<float>.Zero; c52 = Vector512<float>.Zero; c53 = Vector512<float>.Zero;
        Vector512<float> b0, b1, b2, b3, av;
        int p = 0;
        for (; p + 4 <= kc; p += 4)
        {
            b0 = Vector512.Load(b + 0); b1 = Vector512.Load(b + 16); b2 = Vector512.Load(b + 32); b3 = Vector512.Load(b + 48);
            av = Vector512.Create(a[0]); c00 = Vector512.FusedMultiplyAdd(av, b0, c00); c01 = Vector512.FusedMultiplyAdd(av, b1, c01); c02 = Vector512.FusedMultiplyAdd(av, b2, c02); c03 = Vector512.FusedMultiplyAdd(av, b3, c03);
            av = Vector512.Create(a[1]); c10 = Vector512.FusedMultiplyAdd(av, b0, c10); c11 = Vector512.FusedMultiplyAdd(av, b1, c11); c12 = Vector512.FusedMultiplyAdd(av, b2, c12); c13 = Vector512.FusedMultiplyAdd(av, b3, c13);
            av = Vector512.Create(a[2]); c20 = Vector512.FusedMultiplyAdd(av, b0, c20); c21 = Vector512.FusedMultiplyAdd(av, b1, c21); c22 = Vector512.FusedMultiplyAdd(av, b2, c22); c23 = Vector512.FusedMultiplyAdd(av, b3, c23);
            av = Vector512.Create(a[3]); c30 = Vector512.FusedMultiplyAdd(av, b0, c30); c31 = Vector512.FusedMultiplyAdd(av, b1, c31); c32 = Vector512.FusedMultiplyAdd(av, b2, c32); c33 = Vector512.FusedMultiplyAdd(av, b3, c33);
            av = Vector512.Create(a[4]); c40 = Vector512.FusedMultiplyAdd(av, b0, c40); c41 = Vector512.FusedMultiplyAdd(av, b1, c41); c42 = Vector512.FusedMultiplyAdd(av, b2, c42); c43 = Vector512.FusedMultiplyAdd(av, b3, c43);
            av = Vector512.Create(a[5]); c50 = Vector512.FusedMultiplyAdd(av, b0, c50); c51 = Vector512.FusedMultiplyAdd(av, b1, c51); c52 = Vector512.FusedMultiplyAdd(av, b2, c52); c53 = Vector512.FusedMultiplyAdd(av, b3, c53);
            b0 = Vector512.Load(b + 64); b1 = Vector512.Load(b + 80); b2 = Vector512.Load(b + 96); b3 = Vector512.Load(b + 112);
            av = Vector512.Create(a[6]); c00 = Vector512.FusedMultiplyAdd(av, b0, c00); c01 = Vector512.FusedMultiplyAdd(av, b1, c01); c02 = Vector512.FusedMultiplyAdd(av, b2, c02); c03 = Vector512.FusedMultiplyAdd(av, b3, c03);
            av = Vector512.Create(a[7]); c10 = Vector512.FusedMultiplyAdd(av, b0, c10); c11 = Vector512.FusedMultiplyAdd(av, b1, c11); c12 = Vector512.FusedMultiplyAdd(av, b2, c12); c13 = Vector512.FusedMultiplyAdd(av, b3, c13);
            av = Vector512.Create(a[8]); c20 = Vector512.FusedMultiplyAdd(av, b0, c20); c21 = Vector512.FusedMultiplyAdd(av, b1, c21); c22 = Vector512.FusedMultiplyAdd(av, b2, c22); c23 = Vector512.FusedMultiplyAdd(av, b3, c23);
            av = Vector512.Create(a[9]); c30 = Vector512.FusedMultiplyAdd(av, b0, c30); c31 = Vector512.FusedMultiplyAdd(av, b1, c31); c32 = Vector512.FusedMultiplyAdd(av, b2, c32); c33 = Vector512.FusedMultiplyAdd(av, b3, c33);
            av = Vector512.Create(a[10]); c40 = Vector512.FusedMultiplyAdd(av, b0, c40); c41 = Vector512.FusedMultiplyAdd(av, b1, c41); c42 = Vector512.FusedMultiplyAdd(av, b2, c42); c43 = Vector512.FusedMultiplyAdd(av, b3, c43);
            av = Vector512.Create(a[11]); c50 = Vector512.FusedMultiplyAdd(av, b0, c50); c51 = Vector512.FusedMultiplyAdd(av, b1, c51); c52 = Vector512.FusedMultiplyAdd(av, b2, c52); c53 = Vector512.FusedMultiplyAdd(av, b3, c53);
            b0 = Vector512.Load(b + 128); b1 = Vector512.Load(b + 144); b2 = Vector512.Load(b + 160); b3 = Vector512.Load(b + 176);
            av = Vector512.Create(a[12]); c00 = Vector512.FusedMultiplyAdd(av, b0, c00); c01 = Vector512.FusedMultiplyAdd(av, b1, c01); c02 = Vector512.FusedMultiplyAdd(av, b2, c02); c03 = Vector512.FusedMultiplyAdd(av, b3, c03);
            av = Vector512.Create(a[13]); c10 = Vector512.FusedMultiplyAdd(av, b0, c10); c11 = Vector512.FusedMultiplyAdd(av, b1, c11); c12 = Vector512.FusedMultiplyAdd(av, b2, c12); c13 = Vector512.FusedMultiplyAdd(av, b3, c13);
            av = Vector512.Create(a[14]); c20 = Vector512.FusedMultiplyAdd(av, b0, c20); c21 = Vector512.FusedMultiplyAdd(av, b1, c21); c22 = Vector512.FusedMultiplyAdd(av, b2, c22); c23 = Vector512.FusedMultiplyAdd(av, b3, c23);
            av = Vector512.Create(a[15]); c30 = Vector512.FusedMultiplyAdd(av, b0, c30); c31 = Vector512.FusedMultiplyAdd(av, b1, c31); c32 = Vector512.FusedMultiplyAdd(av, b2, c32); c33 = Vector512.FusedMultiplyAdd(av, b3, c33);
            av = Vector512.Create(a[16]); c40 = Vector512.FusedMultiplyAdd(av, b0, c40); c41 = Vector512.FusedMultiplyAdd(av, b1, c41); c42 = Vector512.FusedMultiplyAdd(av, b2, c42); c43 = Vector512.FusedMultiplyAdd(av, b3, c43);
            av = Vector512.Create(a[17]); c50 = Vector512.FusedMultiplyAdd(av, b0, c50); c51 = Vector512.FusedMultiplyAdd(av, b1, c51); c52 = Vector512.FusedMultiplyAdd(av, b2, c52); c53 = Vector512.FusedMultiplyAdd(av, b3, c53);
            b0 = Vector512.Load(b + 192); b1 = Vector512.Load(b + 208); b2 = Vector512.Load(b + 224); b3 = Vector512.Load(b + 240);
            av = Vector512.Create(a[18]); c00 = Vector512.FusedMultiplyAdd(av, b0, c00); c01 = Vector512.FusedMultiplyAdd(av, b1, c01); c02 = Vector512.FusedMultiplyAdd(av, b2, c02); c03 = Vector512.FusedMultiplyAdd(av, b3, c03);
            av = Vector512.Create(a[19]); c10 = Vector512.FusedMultiplyAdd(av, b0, c10); c11 = Vector512.FusedMultiplyAdd(av, b1, c11); c12 = Vector512.FusedMultiplyAdd(av, b2, c12); c13 = Vector512.FusedMultiplyAdd(av, b3, c13);
            av = Vector512.Create(a[20]); c20 = Vector512.FusedMultiplyAdd(av, b0, c20); c21 = Vector512.FusedMultiplyAdd(av, b1, c21); c22 = Vector512.FusedMultiplyAdd(av, b2, c22); c23 = Vector512.FusedMultiplyAdd(av, b3, c23);
            av = Vector512.Create(a[21]); c30 = Vector512.FusedMultiplyAdd(av, b0, c30); c31 = Vector512.FusedMultiplyAdd(av, b1, c31); c32 = Vector512.FusedMultiplyAdd(av, b2, c32); c33 = Vector512.FusedMultiplyAdd(av, b3, c33);
            av = Vector512.Create(a[22]); c40 = Vector512.FusedMultiplyAdd(av, b0, c40); c41 = Vector512.FusedMultiplyAdd(av, b1, c41); c42 = Vector512.FusedMultiplyAdd(av, b2, c42); c43 = Vector512.FusedMultiplyAdd(av, b3, c43);
            av = Vector512.Create(a[23]); c50 = Vector512.FusedMultiplyAdd(av, b0, c50); c51 = Vector512.FusedMultiplyAdd(av, b1, c51); c52 = Vector512.FusedMultiplyAdd(av, b2, c52); c53 = Vector512.FusedMultiplyAdd(av, b3, c53);
            a += 4 * MR; b += 4 * 64;
        }
        for (; p < kc; p++)
        {
            b0 = Vector512.Load(b + 0); b1 = Vector512.Load(b + 16); b2 = Vector512.Load(b + 32); b3 = Vector512.Load(b + 48);
            av = Vector512.Create(a[0]); c00 = Vector512.FusedMultiplyAdd(av, b0, c00); c01 = Vector512.FusedMultiplyAdd(av, b1, c01); c02 = Vector512.FusedMultiplyAdd(av, b2, c02); c03 = Vector512.FusedMultiplyAdd(av, b3, c03);
            av = Vector512.Create(a[1]); c10 = Vector512.FusedMultiplyAdd(av, b0, c10); c11 = Vector512.FusedMultiplyAdd(av, b1, c11); c12 = Vector512.FusedMultiplyAdd(av, b2, c12); c13 = Vector512.FusedMultiplyAdd(av, b3, c13);
            av = Vector512.Create(a[2]); c20 = Vector512.FusedMultiplyAdd(av, b0, c20); c21 = Vector512.FusedMultiplyAdd(av, b1, c21); c22 = Vector512.FusedMultiplyAdd(av, b2, c22); c23 = Vector512.FusedMultiplyAdd(av, b3, c23);
            av = Vector512.Create(a[3]); c30 = Vector512.FusedMultiplyAdd(av, b0, c30); c31 = Vector512.FusedMultiplyAdd(av, b1, c31); c32 = Vector512.FusedMultiplyAdd(av, b2, c32); c33 = Vector512.FusedMultiplyAdd(av, b3, c33);
            av = Vector512.Create(a[4]); c40 = Vector512.FusedMultiplyAdd(av, b0, c40); c41 = Vector512.FusedMultiplyAdd(av, b1, c41); c42 = Vector512.FusedMultiplyAdd(av, b2, c42); c43 = Vector512.FusedMultiplyAdd(av, b3, c43);
            av = Vector512.Create(a[5]); c50 = Vector512.FusedMultiplyAdd(av, b0, c50); c51 = Vector512.FusedMultiplyAdd(av, b1, c51); c52 = Vector512.FusedMultiplyAdd(av, b2, c52); c53 = Vector512.FusedMultiplyAdd(av, b3, c53);
            a += MR; b += 64;
        }
        Store(c + 0 * ldc, c00, c01, c02, c03, alpha, beta, mode);
        Store(c + 1 * ldc, c10, c11, c12, c13, alpha, beta, mode);
        Store(c + 2 * ldc, c20, c21, c22, c23, alpha, beta, mode);
        Store(c + 3 * ldc, c30, c31, c32, c33, alpha, beta, mode);
        Store(c + 4 * ldc, c40, c41, c42, c43, alpha, beta, mode);
        Store(c + 5 * ldc, c50, c51, c52, c53, alpha, beta, mode);
    }

    /// <summary>
    /// The 6×64 kernel reading A and B where they lie, unpacked (the small-problem path): row r of the tile
    /// reads A at ar[r][p·ks] (six row pointers, so rows past the border can repeat a valid row), and B row p
    /// at b + p·ldb. Same arithmetic, in the same order, as <see cref="Kernel6x64"/>, so the bits agree.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Kernel6x64Strided(int kc, float* a0, float* a1, float* a2, float* a3, float* a4, float* a5, nint ks,
                                         float* b, nint ldb, float* c, nint ldc, float alpha, float beta, int mode)
    {
        Vector512<float> c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23, c30, c31, c32, c33, c40, c41, c42, c43, c50, c51, c52, c53;
        c00 = Vector512<float>.Zero; c01 = Vector512<float>.Zero; c02 = Vector512<float>.Zero; c03 = Vector512<float>.Zero;
        c10 = Vector512<float>.Zero; c11 = Vector512<float>.Zero; c12 = Vector512<float>.Zero; c13 = Vector512<float>.Zero;
        c20 = Vector512<float>.Zero; c21 = Vector512<float>.Zero; c22 = Vector512<float>.Zero; c23 = Vector512<float>.Zero;
        c30 = Vector512<float>.Zero; c31 = Vector512<float>.Zero; c32 = Vector512<float>.Zero; c33 = Vector512<float>.Zero;
        c40 = Vector512<float>.Zero; c41 = Vector512<float>.Zero; c42 = Vector512<float>.Zero; c43 = Vector512<float>.Zero;
        c50 = Vector512<float>.Zero; c51 = Vector512<float>.Zero; c52 = Vector512<float>.Zero; c53 = Vector512<float>.Zero;
        Vector512<float> b0, b1, b2, b3, av;
        nint off = 0;
        for (int p = 0; p < kc; p++, off += ks, b += ldb)
        {
            b0 = Vector512.Load(b); b1 = Vector512.Load(b + 16); b2 = Vector512.Load(b + 32); b3 = Vector512.Load(b + 48);
            av = Vector512.Create(a0[off]); c00 = Vector512.FusedMultiplyAdd(av, b0, c00); c01 = Vector512.FusedMultiplyAdd(av, b1, c01); c02 = Vector512.FusedMultiplyAdd(av, b2, c02); c03 = Vector512.FusedMultiplyAdd(av, b3, c03);
            av = Vector512.Create(a1[off]); c10 = Vector512.FusedMultiplyAdd(av, b0, c10); c11 = Vector512.FusedMultiplyAdd(av, b1, c11); c12 = Vector512.FusedMultiplyAdd(av, b2, c12); c13 = Vector512.FusedMultiplyAdd(av, b3, c13);
            av = Vector512.Create(a2[off]); c20 = Vector512.FusedMultiplyAdd(av, b0, c20); c21 = Vector512.FusedMultiplyAdd(av, b1, c21); c22 = Vector512.FusedMultiplyAdd(av, b2, c22); c23 = Vector512.FusedMultiplyAdd(av, b3, c23);
            av = Vector512.Create(a3[off]); c30 = Vector512.FusedMultiplyAdd(av, b0, c30); c31 = Vector512.FusedMultiplyAdd(av, b1, c31); c32 = Vector512.FusedMultiplyAdd(av, b2, c32); c33 = Vector512.FusedMultiplyAdd(av, b3, c33);
            av = Vector512.Create(a4[off]); c40 = Vector512.FusedMultiplyAdd(av, b0, c40); c41 = Vector512.FusedMultiplyAdd(av, b1, c41); c42 = Vector512.FusedMultiplyAdd(av, b2, c42); c43 = Vector512.FusedMultiplyAdd(av, b3, c43);
            av = Vector512.Create(a5[off]); c50 = Vector512.FusedMultiplyAdd(av, b0, c50); c51 = Vector512.FusedMultiplyAdd(av, b1, c51); c52 = Vector512.FusedMultiplyAdd(av, b2, c52); c53 = Vector512.FusedMultiplyAdd(av, b3, c53);
        }
        Store(c + 0 * ldc, c00, c01, c02, c03, alpha, beta, mode);
        Store(c + 1 * ldc, c10, c11, c12, c13, alpha, beta, mode);
        Store(c + 2 * ldc, c20, c21, c22, c23, alpha, beta, mode);
        Store(c + 3 * ldc, c30, c31, c32, c33, alpha, beta, mode);
        Store(c + 4 * ldc, c40, c41, c42, c43, alpha, beta, mode);
        Store(c + 5 * ldc, c50, c51, c52, c53, alpha, beta, mode);
    }

    /// <summary>
    /// The half-width twin of <see cref="Kernel6x64Strided"/> (6×32, 12 accumulators) for panels at most 32
    /// columns wide: a head size of 32, or the last columns of C, without computing 32 columns of zeros.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Kernel6x32Strided(int kc, float* a0, float* a1, float* a2, float* a3, float* a4, float* a5, nint ks,
                                         float* b, nint ldb, float* c, nint ldc, float alpha, float beta, int mode)
    {
        Vector512<float> c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51;
        c00 = Vector512<float>.Zero; c01 = Vector512<float>.Zero;
        c10 = Vector512<float>.Zero; c11 = Vector512<float>.Zero;
        c20 = Vector512<float>.Zero; c21 = Vector512<float>.Zero;
        c30 = Vector512<float>.Zero; c31 = Vector512<float>.Zero;
        c40 = Vector512<float>.Zero; c41 = Vector512<float>.Zero;
        c50 = Vector512<float>.Zero; c51 = Vector512<float>.Zero;
        Vector512<float> b0, b1, av;
        nint off = 0;
        for (int p = 0; p < kc; p++, off += ks, b += ldb)
        {
            b0 = Vector512.Load(b); b1 = Vector512.Load(b + 16);
            av = Vector512.Create(a0[off]); c00 = Vector512.FusedMultiplyAdd(av, b0, c00); c01 = Vector512.FusedMultiplyAdd(av, b1, c01);
            av = Vector512.Create(a1[off]); c10 = Vector512.FusedMultiplyAdd(av, b0, c10); c11 = Vector512.FusedMultiplyAdd(av, b1, c11);
            av = Vector512.Create(a2[off]); c20 = Vector512.FusedMultiplyAdd(av, b0, c20); c21 = Vector512.FusedMultiplyAdd(av, b1, c21);
            av = Vector512.Create(a3[off]); c30 = Vector512.FusedMultiplyAdd(av, b0, c30); c31 = Vector512.FusedMultiplyAdd(av, b1, c31);
            av = Vector512.Create(a4[off]); c40 = Vector512.FusedMultiplyAdd(av, b0, c40); c41 = Vector512.FusedMultiplyAdd(av, b1, c41);
            av = Vector512.Create(a5[off]); c50 = Vector512.FusedMultiplyAdd(av, b0, c50); c51 = Vector512.FusedMultiplyAdd(av, b1, c51);
        }
        Store(c + 0 * ldc, c00, alpha, beta, mode); Store(c + 0 * ldc + 16, c01, alpha, beta, mode);
        Store(c + 1 * ldc, c10, alpha, beta, mode); Store(c + 1 * ldc + 16, c11, alpha, beta, mode);
        Store(c + 2 * ldc, c20, alpha, beta, mode); Store(c + 2 * ldc + 16, c21, alpha, beta, mode);
        Store(c + 3 * ldc, c30, alpha, beta, mode); Store(c + 3 * ldc + 16, c31, alpha, beta, mode);
        Store(c + 4 * ldc, c40, alpha, beta, mode); Store(c + 4 * ldc + 16, c41, alpha, beta, mode);
        Store(c + 5 * ldc, c50, alpha, beta, mode); Store(c + 5 * ldc + 16, c51, alpha, beta, mode);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* c, Vector512<float> v0, Vector512<float> v1, Vector512<float> v2, Vector512<float> v3,
                              float alpha, float beta, int mode)
    {
        Store(c, v0, alpha, beta, mode); Store(c + 16, v1, alpha, beta, mode);
        Store(c + 32, v2, alpha, beta, mode); Store(c + 48, v3, alpha, beta, mode);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* c, Vector512<float> acc, float alpha, float beta, int mode)
    {
        // Same operations, in the same order, as the scalar edge path (StoreTile): bits agree.
        Vector512<float> r = acc * Vector512.Create(alpha);
        if (mode == Accumulate) r = Vector512.Load(c) + r;
        else if (mode == General) r += Vector512.Load(c) * Vector512.Create(beta);
        r.Store(c);
    }

    /// <summary>6×16 tile on Vector256 with FMA: the fallback when Vector512 is not accelerated.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Kernel6x16(int kc, float* a, float* b, float* c, nint ldc, float alpha, float beta, int mode)
    {
        Vector256<float> c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51;
        c00 = Vector256<float>.Zero; c01 = Vector256<float>.Zero;
        c10 = Vector256<float>.Zero; c11 = Vector256<float>.Zero;
        c20 = Vector256<float>.Zero; c21 = Vector256<float>.Zero;
        c30 = Vector256<float>.Zero; c31 = Vector256<float>.Zero;
        c40 = Vector256<float>.Zero; c41 = Vector256<float>.Zero;
        c50 = Vector256<float>.Zero; c51 = Vector256<float>.Zero;
        Vector256<float> b0, b1, av;
        int p = 0;
        for (; p + 4 <= kc; p += 4)
        {
            b0 = Vector256.Load(b + 0); b1 = Vector256.Load(b + 8);
            av = Vector256.Create(a[0]); c00 = Vector256.FusedMultiplyAdd(av, b0, c00); c01 = Vector256.FusedMultiplyAdd(av, b1, c01);
            av = Vector256.Create(a[1]); c10 = Vector256.FusedMultiplyAdd(av, b0, c10); c11 = Vector256.FusedMultiplyAdd(av, b1, c11);
            av = Vector256.Create(a[2]); c20 = Vector256.FusedMultiplyAdd(av, b0, c20); c21 = Vector256.FusedMultiplyAdd(av, b1, c21);
            av = Vector256.Create(a[3]); c30 = Vector256.FusedMultiplyAdd(av, b0, c30); c31 = Vector256.FusedMultiplyAdd(av, b1, c31);
            av = Vector256.Create(a[4]); c40 = Vector256.FusedMultiplyAdd(av, b0, c40); c41 = Vector256.FusedMultiplyAdd(av, b1, c41);
            av = Vector256.Create(a[5]); c50 = Vector256.FusedMultiplyAdd(av, b0, c50); c51 = Vector256.FusedMultiplyAdd(av, b1, c51);
            b0 = Vector256.Load(b + 16); b1 = Vector256.Load(b + 24);
            av = Vector256.Create(a[6]); c00 = Vector256.FusedMultiplyAdd(av, b0, c00); c01 = Vector256.FusedMultiplyAdd(av, b1, c01);
            av = Vector256.Create(a[7]); c10 = Vector256.FusedMultiplyAdd(av, b0, c10); c11 = Vector256.FusedMultiplyAdd(av, b1, c11);
            av = Vector256.Create(a[8]); c20 = Vector256.FusedMultiplyAdd(av, b0, c20); c21 = Vector256.FusedMultiplyAdd(av, b1, c21);
            av = Vector256.Create(a[9]); c30 = Vector256.FusedMultiplyAdd(av, b0, c30); c31 = Vector256.FusedMultiplyAdd(av, b1, c31);
            av = Vector256.Create(a[10]); c40 = Vector256.FusedMultiplyAdd(av, b0, c40); c41 = Vector256.FusedMultiplyAdd(av, b1, c41);
            av = Vector256.Create(a[11]); c50 = Vector256.FusedMultiplyAdd(av, b0, c50); c51 = Vector256.FusedMultiplyAdd(av, b1, c51);
            b0 = Vector256.Load(b + 32); b1 = Vector256.Load(b + 40);
            av = Vector256.Create(a[12]); c00 = Vector256.FusedMultiplyAdd(av, b0, c00); c01 = Vector256.FusedMultiplyAdd(av, b1, c01);
            av = Vector256.Create(a[13]); c10 = Vector256.FusedMultiplyAdd(av, b0, c10); c11 = Vector256.FusedMultiplyAdd(av, b1, c11);
            av = Vector256.Create(a[14]); c20 = Vector256.FusedMultiplyAdd(av, b0, c20); c21 = Vector256.FusedMultiplyAdd(av, b1, c21);
            av = Vector256.Create(a[15]); c30 = Vector256.FusedMultiplyAdd(av, b0, c30); c31 = Vector256.FusedMultiplyAdd(av, b1, c31);
            av = Vector256.Create(a[16]); c40 = Vector256.FusedMultiplyAdd(av, b0, c40); c41 = Vector256.FusedMultiplyAdd(av, b1, c41);
            av = Vector256.Create(a[17]); c50 = Vector256.FusedMultiplyAdd(av, b0, c50); c51 = Vector256.FusedMultiplyAdd(av, b1, c51);
            b0 = Vector256.Load(b + 48); b1 = Vector256.Load(b + 56);
            av = Vector256.Create(a[18]); c00 = Vector256.FusedMultiplyAdd(av, b0, c00); c01 = Vector256.FusedMultiplyAdd(av, b1, c01);
            av = Vector256.Create(a[19]); c10 = Vector256.FusedMultiplyAdd(av, b0, c10); c11 = Vector256.FusedMultiplyAdd(av, b1, c11);
            av = Vector256.Create(a[20]); c20 = Vector256.FusedMultiplyAdd(av, b0, c20); c21 = Vector256.FusedMultiplyAdd(av, b1, c21);
            av = Vector256.Create(a[21]); c30 = Vector256.FusedMultiplyAdd(av, b0, c30); c31 = Vector256.FusedMultiplyAdd(av, b1, c31);
            av = Vector256.Create(a[22]); c40 = Vector256.FusedMultiplyAdd(av, b0, c40); c41 = Vector256.FusedMultiplyAdd(av, b1, c41);
            av = Vector256.Create(a[23]); c50 = Vector256.FusedMultiplyAdd(av, b0, c50); c51 = Vector256.FusedMultiplyAdd(av, b1, c51);
            a += 4 * MR; b += 4 * 16;
        }
        for (; p < kc; p++)
        {
            b0 = Vector256.Load(b + 0); b1 = Vector256.Load(b + 8);
            av = Vector256.Create(a[0]); c00 = Vector256.FusedMultiplyAdd(av, b0, c00); c01 = Vector256.FusedMultiplyAdd(av, b1, c01);
            av = Vector256.Create(a[1]); c10 = Vector256.FusedMultiplyAdd(av, b0, c10); c11 = Vector256.FusedMultiplyAdd(av, b1, c11);
            av = Vector256.Create(a[2]); c20 = Vector256.FusedMultiplyAdd(av, b0, c20); c21 = Vector256.FusedMultiplyAdd(av, b1, c21);
            av = Vector256.Create(a[3]); c30 = Vector256.FusedMultiplyAdd(av, b0, c30); c31 = Vector256.FusedMultiplyAdd(av, b1, c31);
            av = Vector256.Create(a[4]); c40 = Vector256.FusedMultiplyAdd(av, b0, c40); c41 = Vector256.FusedMultiplyAdd(av, b1, c41);
            av = Vector256.Create(a[5]); c50 = Vector256.FusedMultiplyAdd(av, b0, c50); c51 = Vector256.FusedMultiplyAdd(av, b1, c51);
            a += MR; b += 16;
        }
        Store(c + 0 * ldc, c00, c01, alpha, beta, mode);
        Store(c + 1 * ldc, c10, c11, alpha, beta, mode);
        Store(c + 2 * ldc, c20, c21, alpha, beta, mode);
        Store(c + 3 * ldc, c30, c31, alpha, beta, mode);
        Store(c + 4 * ldc, c40, c41, alpha, beta, mode);
        Store(c + 5 * ldc, c50, c51, alpha, beta, mode);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* c, Vector256<float> v0, Vector256<float> v1, float alpha, float beta, int mode)
    {
        Store(c, v0, alpha, beta, mode); Store(c + 8, v1, alpha, beta, mode);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* c, Vector256<float> acc, float alpha, float beta, int mode)
    {
        Vector256<float> r = acc * Vector256.Create(alpha);
        if (mode == Accumulate) r = Vector256.Load(c) + r;
        else if (mode == General) r += Vector256.Load(c) * Vector256.Create(beta);
        r.Store(c);
    }

    /// <summary>
    /// Writes the top-left rows × cols of a full tile computed into <paramref name="tile"/> (as α·acc, row stride
    /// <paramref name="nr"/>) to C: the edge path for tiles that cross the matrix border (8 wide, then scalar).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void StoreTile(float* tile, int nr, int rows, int cols, float* c, nint ldc, float beta, int mode)
    {
        for (int i = 0; i < rows; i++)
        {
            float* t = tile + i * nr;
            float* dst = c + i * ldc;
            int j = 0;
            for (; j + 8 <= cols; j += 8)
            {
                // The same operations as the kernels' Store, eight at a time.
                Vector256<float> r = Vector256.Load(t + j);
                if (mode == Accumulate) r = Vector256.Load(dst + j) + r;
                else if (mode == General) r += Vector256.Load(dst + j) * Vector256.Create(beta);
                r.Store(dst + j);
            }
            for (; j < cols; j++)
            {
                float r = t[j];
                if (mode == Accumulate) r = dst[j] + r;
                else if (mode == General) r += dst[j] * beta;
                dst[j] = r;
            }
        }
    }
}
