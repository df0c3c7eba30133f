using System.Numerics.Tensors;
using ScalingLab.Tensors.Kernels;

namespace ScalingLab.Model;

/// <summary>
/// The core of causal multi-head self-attention (Vaswani et al. 2017) for one (sequence, head):
/// P = softmax(Q·Kᵀ/√d_head + causal mask) row by row, Y = P·V. Q, K and V are read in place from the
/// fused qkv activation (row stride <c>stride</c>, head columns given by the caller, so both the GPT-2
/// [q | k | v] layout and NeoX's per-head [q k v] interleave work). The probabilities P are kept for the
/// backward. Each (sequence, head) touches disjoint outputs, so callers run them in parallel.
/// </summary>
public static class CausalSelfAttention
{
    /// <summary>
    /// Forward for one sequence and head: <paramref name="qkv"/> and <paramref name="y"/> start at the
    /// sequence's first row; <paramref name="att"/> is this head's [T, T] probability block (row t holds
    /// t + 1 values, the rest are left as they are).
    /// </summary>
    public static void Forward(ReadOnlySpan<float> qkv, int stride, int qCol, int kCol, int vCol,
                               Span<float> y, int yStride, int yCol, Span<float> att, int T, int headSize)
    {
        float scale = 1f / MathF.Sqrt(headSize);
        for (int t = 0; t < T; t++)
        {
            var q = qkv.Slice(t * stride + qCol, headSize);
            var p = att.Slice(t * T, t + 1);
            for (int s = 0; s <= t; s++) p[s] = TensorPrimitives.Dot(q, qkv.Slice(s * stride + kCol, headSize)) * scale;
            Softmax.Forward(p, p);
            var yt = y.Slice(t * yStride + yCol, headSize);
            yt.Clear();
            for (int s = 0; s <= t; s++) TensorPrimitives.MultiplyAdd(qkv.Slice(s * stride + vCol, headSize), p[s], yt, yt);
        }
    }

    /// <summary>
    /// Backward for one sequence and head: writes (overwrites) this head's dQ, dK, dV columns of
    /// <paramref name="dqkv"/> from dY, using P and Q, K, V from the forward. <paramref name="dp"/> is a
    /// scratch row of T floats.
    /// dP = dY·Vᵀ, dV = Pᵀ·dY, dS = softmax′(dP), dQ = dS·K/√d, dK = dSᵀ·Q/√d.
    /// </summary>
    public static void Backward(ReadOnlySpan<float> qkv, int stride, int qCol, int kCol, int vCol,
                                ReadOnlySpan<float> dy, int yStride, int yCol, ReadOnlySpan<float> att,
                                Span<float> dqkv, Span<float> dp, int T, int headSize)
    {
        float scale = 1f / MathF.Sqrt(headSize);
        for (int t = 0; t < T; t++)
        {
            dqkv.Slice(t * stride + qCol, headSize).Clear();
            dqkv.Slice(t * stride + kCol, headSize).Clear();
            dqkv.Slice(t * stride + vCol, headSize).Clear();
        }
        for (int t = 0; t < T; t++)
        {
            var dyt = dy.Slice(t * yStride + yCol, headSize);
            var p = att.Slice(t * T, t + 1);
            var d = dp.Slice(0, t + 1);
            for (int s = 0; s <= t; s++)
            {
                d[s] = TensorPrimitives.Dot(dyt, qkv.Slice(s * stride + vCol, headSize));
                var dv = dqkv.Slice(s * stride + vCol, headSize);
                TensorPrimitives.MultiplyAdd(dyt, p[s], dv, dv);
            }
            Softmax.Backward(d, p, d);
            var q = qkv.Slice(t * stride + qCol, headSize);
            var dq = dqkv.Slice(t * stride + qCol, headSize);
            for (int s = 0; s <= t; s++)
            {
                float ds = d[s] * scale;
                TensorPrimitives.MultiplyAdd(qkv.Slice(s * stride + kCol, headSize), ds, dq, dq);
                var dk = dqkv.Slice(s * stride + kCol, headSize);
                TensorPrimitives.MultiplyAdd(q, ds, dk, dk);
            }
        }
    }
}
