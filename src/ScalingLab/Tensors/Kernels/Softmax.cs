using System.Numerics.Tensors;

namespace ScalingLab.Tensors.Kernels;

/// <summary>
/// Softmax over one row, shifted by the row maximum so exp never overflows
/// (TensorPrimitives.SoftMax does not shift, so it is not used).
/// </summary>
public static class Softmax
{
    /// <summary>y = exp(x − max x) / Σ exp(x − max x). <paramref name="y"/> may be <paramref name="x"/>.</summary>
    public static void Forward(ReadOnlySpan<float> x, Span<float> y)
    {
        float max = TensorPrimitives.Max(x);
        TensorPrimitives.Subtract(x, max, y);
        TensorPrimitives.Exp(y, y);
        float sum = TensorPrimitives.Sum(y);
        TensorPrimitives.Multiply(y, 1f / sum, y);
    }

    /// <summary>
    /// Writes dx = y ⊙ (dy − ⟨dy, y⟩) (overwrites; <paramref name="dx"/> may be <paramref name="dy"/>),
    /// the Jacobian-vector product of softmax with output <paramref name="y"/>.
    /// </summary>
    public static void Backward(ReadOnlySpan<float> dy, ReadOnlySpan<float> y, Span<float> dx)
    {
        float dot = TensorPrimitives.Dot(dy, y);
        TensorPrimitives.AddMultiply(dy, -dot, y, dx);
    }
}
