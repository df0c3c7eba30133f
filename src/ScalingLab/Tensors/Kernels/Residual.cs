using System.Numerics.Tensors;

namespace ScalingLab.Tensors.Kernels;

/// <summary>
/// The residual connection y = x + f(x). Its backward is the identity on both branches:
/// the upstream gradient is added into the skip path and passed unchanged to f.
/// </summary>
public static class Residual
{
    /// <summary>y = a + b elementwise (<paramref name="y"/> may alias either input).</summary>
    public static void Forward(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y) => TensorPrimitives.Add(a, b, y);

    /// <summary>dInput += dy: the skip path's share of the gradient.</summary>
    public static void Backward(ReadOnlySpan<float> dy, Span<float> dInput) => TensorPrimitives.Add(dInput, dy, dInput);
}
