using ScalingLab.Tensors;
using ScalingLab.Tensors.Kernels;

namespace ScalingLab.Model;

/// <summary>
/// A fully connected layer y = x·W + b as one GEMM, in the two weight layouts of the Hugging Face families:
/// GPT-2's Conv1D stores W as [in, out] (forward NN), GPT-NeoX's Linear stores it as [out, in] (forward NT).
/// Keeping the stored shapes makes export a renaming; the backward uses the transposed GEMM ops instead of
/// transposing anything. The bias is written into y first and the GEMM accumulates on top (β = 1).
/// </summary>
public static class Linear
{
    /// <summary>y[rows, outDim] = x[rows, inDim]·W + b (b may be empty).</summary>
    public static void Forward(IGemm gemm, bool outIn, ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> b,
                               Span<float> y, int rows, int inDim, int outDim)
    {
        var yv = y.Slice(0, rows * outDim);
        float beta = 0f;
        if (!b.IsEmpty) { Bias.Broadcast(yv, b); beta = 1f; }
        if (outIn) gemm.Sgemm(false, true, rows, outDim, inDim, 1f, x, inDim, w, inDim, beta, yv, outDim);
        else gemm.Sgemm(false, false, rows, outDim, inDim, 1f, x, inDim, w, outDim, beta, yv, outDim);
    }

    /// <summary>
    /// Adds ∂L/∂W into <paramref name="dw"/> and ∂L/∂b into <paramref name="db"/> (if not empty), and writes
    /// (overwrites) ∂L/∂x into <paramref name="dx"/> (skipped if empty). With <paramref name="overwrite"/> the
    /// gradients are written instead of added (the first contribution after the gradients were zeroed: the GEMM's
    /// β = 0 replaces a separate pass that clears them).
    /// Conv1D: dx = dy·Wᵀ (NT), dW += xᵀ·dy (TN). Linear: dx = dy·W (NN), dW += dyᵀ·x (TN).
    /// </summary>
    public static void Backward(IGemm gemm, bool outIn, ReadOnlySpan<float> dy, ReadOnlySpan<float> x, ReadOnlySpan<float> w,
                                Span<float> dw, Span<float> db, Span<float> dx, int rows, int inDim, int outDim, bool overwrite = false)
    {
        float beta = overwrite ? 0f : 1f;
        if (overwrite) db.Clear();
        var dyv = dy.Slice(0, rows * outDim);
        var xv = x.Slice(0, rows * inDim);
        if (outIn)
        {
            if (!dx.IsEmpty) gemm.Sgemm(false, false, rows, inDim, outDim, 1f, dyv, outDim, w, inDim, 0f, dx, inDim);
            gemm.Sgemm(true, false, outDim, inDim, rows, 1f, dyv, outDim, xv, inDim, beta, dw, inDim);
        }
        else
        {
            if (!dx.IsEmpty) gemm.Sgemm(false, true, rows, inDim, outDim, 1f, dyv, outDim, w, outDim, 0f, dx, inDim);
            gemm.Sgemm(true, false, inDim, outDim, rows, 1f, xv, inDim, dyv, outDim, beta, dw, outDim);
        }
        if (!db.IsEmpty) Bias.Backward(dyv, db);
    }
}
