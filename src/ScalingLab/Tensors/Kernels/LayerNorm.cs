using System.Numerics.Tensors;

namespace ScalingLab.Tensors.Kernels;

/// <summary>
/// Layer normalisation (Ba, Kiros &amp; Hinton 2016) over the last dimension:
/// y = (x − μ)·r·γ + β with μ the row mean, r = 1/√(σ² + ε) and σ² the biased row variance.
/// Rows are independent, so callers split them across threads; the forward saves μ and r for the backward.
/// </summary>
public static class LayerNorm
{
    /// <summary>
    /// Normalises each row of <paramref name="x"/> (rows × <paramref name="dim"/>) into <paramref name="y"/>
    /// and stores each row's mean and reciprocal standard deviation.
    /// </summary>
    public static void Forward(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, float eps,
                               Span<float> y, Span<float> mean, Span<float> rstd, int dim)
    {
        int rows = x.Length / dim;
        for (int r = 0; r < rows; r++)
        {
            var xr = x.Slice(r * dim, dim);
            var yr = y.Slice(r * dim, dim);
            float m = TensorPrimitives.Sum(xr) / dim;
            TensorPrimitives.Subtract(xr, m, yr);
            // Two-pass variance (on x − μ) avoids the cancellation of E[x²] − μ².
            float v = TensorPrimitives.SumOfSquares((ReadOnlySpan<float>)yr) / dim;
            float s = 1f / MathF.Sqrt(v + eps);
            TensorPrimitives.Multiply(yr, s, yr);
            TensorPrimitives.MultiplyAdd(yr, gamma, beta, yr);
            mean[r] = m;
            rstd[r] = s;
        }
    }

    /// <summary>
    /// Adds the gradients of the rows of <paramref name="x"/> into <paramref name="dx"/>, and of γ and β into
    /// <paramref name="dgamma"/> and <paramref name="dbeta"/>:
    /// with x̂ = (x − μ)·r and g = dy·γ, dx = r·(g − mean(g) − x̂·mean(g·x̂)), dγ = Σ dy·x̂, dβ = Σ dy.
    /// <paramref name="scratch"/> holds 2·<paramref name="dim"/> floats.
    /// </summary>
    public static void Backward(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, ReadOnlySpan<float> gamma,
                                ReadOnlySpan<float> mean, ReadOnlySpan<float> rstd,
                                Span<float> dx, Span<float> dgamma, Span<float> dbeta, Span<float> scratch, int dim)
    {
        int rows = x.Length / dim;
        var xhat = scratch.Slice(0, dim);
        var g = scratch.Slice(dim, dim);
        for (int r = 0; r < rows; r++)
        {
            var dyr = dy.Slice(r * dim, dim);
            var dxr = dx.Slice(r * dim, dim);
            float s = rstd[r];
            TensorPrimitives.Subtract(x.Slice(r * dim, dim), mean[r], xhat);
            TensorPrimitives.Multiply(xhat, s, xhat);
            TensorPrimitives.Multiply(dyr, gamma, g);
            float gMean = TensorPrimitives.Sum(g) / dim;
            float gxMean = TensorPrimitives.Dot(g, xhat) / dim;
            TensorPrimitives.MultiplyAdd(dyr, xhat, dgamma, dgamma);
            TensorPrimitives.Add(dbeta, dyr, dbeta);
            TensorPrimitives.MultiplyAdd(xhat, -gxMean, g, g);       // g − x̂·mean(g·x̂)
            TensorPrimitives.Subtract(g, gMean, g);
            TensorPrimitives.Multiply(g, s, g);                      // (… − mean(g))·r
            TensorPrimitives.Add(dxr, g, dxr);
        }
    }
}
