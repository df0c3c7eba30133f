using ScalingLab.Tensors;
using ScalingLab.Tensors.Kernels;

namespace ScalingLab.Model;

/// <summary>
/// The core of causal multi-head self-attention (Vaswani et al. 2017) for one (sequence, head):
/// P = softmax(Q·Kᵀ/√d_head + causal mask) row by row, Y = P·V. Q, K and V are read in place from the
/// fused qkv activation (row stride <c>stride</c>, head columns given by the caller, so both the GPT-2
/// [q | k | v] layout and NeoX's per-head [q k v] interleave work). The products are GEMM calls on a
/// single-threaded <see cref="IGemm"/> (callers run (sequence, head) pairs in parallel), split into row blocks
/// of <see cref="Block"/> queries so the causal upper triangle is mostly skipped: block j multiplies only
/// against keys 0..end(j). P is kept for the backward, with exact zeros above the diagonal.
/// </summary>
public static class CausalSelfAttention
{
    /// <summary>Queries (and keys) per block of the causal split.</summary>
    public const int Block = 64;

    /// <summary>
    /// Forward for one sequence and head: <paramref name="qkv"/> and <paramref name="y"/> start at the
    /// sequence's first row; <paramref name="att"/> is this head's [T, T] probability block.
    /// </summary>
    public static void Forward(IGemm gemm, ReadOnlySpan<float> qkv, int stride, int qCol, int kCol, int vCol,
                               Span<float> y, int yStride, int yCol, Span<float> att, int T, int headSize)
    {
        float scale = 1f / MathF.Sqrt(headSize);
        for (int r0 = 0; r0 < T; r0 += Block)
        {
            int rows = Math.Min(Block, T - r0), keys = r0 + rows;
            // S[r0.., 0..keys) = Q·Kᵀ/√d
            gemm.Sgemm(false, true, rows, keys, headSize, scale, qkv.Slice(r0 * stride + qCol), stride,
                       qkv.Slice(kCol), stride, 0f, att.Slice(r0 * T), T);
            for (int t = r0; t < keys; t++)
            {
                var row = att.Slice(t * T, keys);
                Softmax.Forward(row.Slice(0, t + 1), row.Slice(0, t + 1));
                row.Slice(t + 1).Clear(); // masked: exact zeros, so P·V may run over the whole block
            }
            // Y[r0..] = P[r0.., 0..keys)·V[0..keys)
            gemm.Sgemm(false, false, rows, headSize, keys, 1f, att.Slice(r0 * T), T, qkv.Slice(vCol), stride,
                       0f, y.Slice(r0 * yStride + yCol), yStride);
        }
    }

    /// <summary>
    /// Backward for one sequence and head: writes (overwrites) this head's dQ, dK, dV columns of
    /// <paramref name="dqkv"/> from dY, using P and Q, K, V from the forward. <paramref name="dp"/> is a
    /// [T, T] scratch. dP = dY·Vᵀ, dS = softmax′(dP)/√d, dV = Pᵀ·dY, dQ = dS·K, dK = dSᵀ·Q.
    /// </summary>
    public static void Backward(IGemm gemm, ReadOnlySpan<float> qkv, int stride, int qCol, int kCol, int vCol,
                                ReadOnlySpan<float> dy, int yStride, int yCol, ReadOnlySpan<float> att,
                                Span<float> dqkv, Span<float> dp, int T, int headSize)
    {
        float scale = 1f / MathF.Sqrt(headSize);
        for (int r0 = 0; r0 < T; r0 += Block)
        {
            int rows = Math.Min(Block, T - r0), keys = r0 + rows;
            gemm.Sgemm(false, true, rows, keys, headSize, 1f, dy.Slice(r0 * yStride + yCol), yStride,
                       qkv.Slice(vCol), stride, 0f, dp.Slice(r0 * T), T);
            for (int t = r0; t < keys; t++)
            {
                var d = dp.Slice(t * T, keys);
                Softmax.Backward(d.Slice(0, t + 1), att.Slice(t * T, t + 1), d.Slice(0, t + 1));
                System.Numerics.Tensors.TensorPrimitives.Multiply(d.Slice(0, t + 1), scale, d.Slice(0, t + 1));
                d.Slice(t + 1).Clear();
            }
            // dQ[r0..] = dS[r0.., 0..keys)·K[0..keys)
            gemm.Sgemm(false, false, rows, headSize, keys, 1f, dp.Slice(r0 * T), T, qkv.Slice(kCol), stride,
                       0f, dqkv.Slice(r0 * stride + qCol), stride);
        }
        for (int k0 = 0; k0 < T; k0 += Block)
        {
            // Keys k0.. receive from queries k0..T only (P and dS are zero above the diagonal).
            int keys = Math.Min(Block, T - k0), queries = T - k0;
            // dV[k0..] = P[k0..T, k0..]ᵀ·dY[k0..T];  dK[k0..] = dS[k0..T, k0..]ᵀ·Q[k0..T]
            gemm.Sgemm(true, false, keys, headSize, queries, 1f, att.Slice(k0 * T + k0), T,
                       dy.Slice(k0 * yStride + yCol), yStride, 0f, dqkv.Slice(k0 * stride + vCol), stride);
            gemm.Sgemm(true, false, keys, headSize, queries, 1f, dp.Slice(k0 * T + k0), T,
                       qkv.Slice(k0 * stride + qCol), stride, 0f, dqkv.Slice(k0 * stride + kCol), stride);
        }
    }
}
