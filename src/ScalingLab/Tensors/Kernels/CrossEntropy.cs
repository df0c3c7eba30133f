using System.Numerics.Tensors;

namespace ScalingLab.Tensors.Kernels;

/// <summary>
/// Softmax fused with the cross-entropy loss, one row of logits at a time:
/// loss = log Σ exp(z) − z[target] (computed as lse = max + log Σ exp(z − max)),
/// and its gradient ∂loss/∂z = softmax(z) − onehot(target). The forward keeps only lse per row,
/// so the backward can overwrite the logits with their gradient in place (as llm.c does).
/// </summary>
public static class CrossEntropy
{
    /// <summary>
    /// The loss of one row in nats, and its log-sum-exp in <paramref name="lse"/> (the exponentials are summed, not stored).
    /// </summary>
    public static float Forward(ReadOnlySpan<float> logits, int target, out float lse)
    {
        float max = TensorPrimitives.Max(logits);
        lse = max + MathF.Log(ShiftedExp.Sum(logits, max));
        return lse - logits[target];
    }

    /// <summary>
    /// Forward and backward in one pass over the row, for training: returns the loss of the row (as <see cref="Forward"/>)
    /// and overwrites <paramref name="logits"/> with scale·(softmax(z) − onehot(target)) (as <see cref="Backward"/>),
    /// reusing exp(z − max) instead of computing the exponentials a second time: softmax = exp(z − max) / Σ exp(z − max).
    /// </summary>
    public static float ForwardBackward(Span<float> logits, int target, float scale, out float lse)
    {
        float max = TensorPrimitives.Max(logits);
        float zt = logits[target];
        float sum = ShiftedExp.Apply(logits, max, logits);
        lse = max + MathF.Log(sum);
        TensorPrimitives.Multiply(logits, scale / sum, logits);
        logits[target] -= scale;
        return lse - zt;
    }

    /// <summary>
    /// Overwrites the row <paramref name="logits"/> with scale·(softmax(z) − onehot(target)), using the
    /// <paramref name="lse"/> saved by <see cref="Forward"/> (scale is typically 1/number of rows).
    /// </summary>
    public static void Backward(Span<float> logits, int target, float lse, float scale)
    {
        ShiftedExp.Apply(logits, lse, logits);
        TensorPrimitives.Multiply(logits, scale, logits);
        logits[target] -= scale;
    }
}
