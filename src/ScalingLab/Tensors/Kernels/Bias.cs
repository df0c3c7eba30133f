using System.Numerics.Tensors;

namespace ScalingLab.Tensors.Kernels;

/// <summary>Adding a bias vector to every row, and the bias gradient: the column sums of dy.</summary>
public static class Bias
{
    /// <summary>y[r, :] += bias for every row of <paramref name="y"/>.</summary>
    public static void Add(Span<float> y, ReadOnlySpan<float> bias)
    {
        int cols = bias.Length;
        for (int o = 0; o < y.Length; o += cols) TensorPrimitives.Add(y.Slice(o, cols), bias, y.Slice(o, cols));
    }

    /// <summary>
    /// y[r, :] = bias for every row: written before a GEMM with β = 1, so the GEMM adds x·W on top and the
    /// bias costs no extra pass over the output.
    /// </summary>
    public static void Broadcast(Span<float> y, ReadOnlySpan<float> bias)
    {
        int cols = bias.Length;
        for (int o = 0; o < y.Length; o += cols) bias.CopyTo(y.Slice(o, cols));
    }

    /// <summary>dbias += Σ_r dy[r, :] (rows summed in order, so the result is deterministic).</summary>
    public static void Backward(ReadOnlySpan<float> dy, Span<float> dbias)
    {
        int cols = dbias.Length;
        for (int o = 0; o < dy.Length; o += cols) TensorPrimitives.Add(dbias, dy.Slice(o, cols), dbias);
    }
}
