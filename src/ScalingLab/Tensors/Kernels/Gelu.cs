using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ScalingLab.Tensors.Kernels;

/// <summary>
/// GELU (Hendrycks &amp; Gimpel 2016), x·Φ(x), in the two forms the model families use:
/// <see cref="Tanh"/>: GPT-2's approximation 0.5·x·(1 + tanh(√(2/π)(x + 0.044715x³))), written as x·σ(2u);
/// <see cref="Exact"/>: GPT-NeoX's 0.5·x·(1 + erf(x/√2)).
/// Spans are processed a vector at a time (the exact form in tiles through <see cref="Erf.Span"/>); tails go
/// through the same vector code via padded stack buffers, so a value's bits do not depend on its position
/// (thread partitions cannot change results). On Vector512 hardware the tanh form runs sixteen values at a time with
/// <see cref="ShiftedExp.Exp"/> (Cephes expf, within 2 ulp; compiled optimised from the first call), its argument
/// −2u capped at <see cref="ExpCap"/>, past which the result is exactly 0 (as e^(−2u) = ∞ gave before); elsewhere
/// eight at a time with Vector256.Exp.
/// </summary>
public static class Gelu
{
    private const float C = 0.7978845608028654f;   // √(2/π)
    private const float A = 0.044715f;
    private const float InvSqrt2 = 0.7071067811865476f;
    private const float InvSqrt2Pi = 0.3989422804014327f;
    private const float ExpCap = 88f; // e^88 ≈ 1.65e38 is finite: past it x·σ(2u) and its derivative are taken as 0

    /// <summary>Which GELU formula.</summary>
    public enum Kind
    {
        /// <summary>tanh approximation (GPT-2).</summary>
        Tanh,
        /// <summary>exact, through erf (GPT-NeoX).</summary>
        Exact,
    }

    private const int Block = 16; // the span loops' unit: one Vector512 or two Vector256; tails are padded to it

    /// <summary>y = gelu(x) elementwise (<paramref name="y"/> may be <paramref name="x"/>).</summary>
    public static void Forward(Kind kind, ReadOnlySpan<float> x, Span<float> y)
    {
        if (kind == Kind.Exact) { ExactForward(x, y); return; }
        int n = x.Length, body = n - n % Block;
        ForwardBlocks(x.Slice(0, body), y.Slice(0, body));
        if (body == n) return;
        Span<float> buf = stackalloc float[Block];
        buf.Clear();
        x.Slice(body).CopyTo(buf);
        ForwardBlocks(buf, buf);
        buf.Slice(0, n - body).CopyTo(y.Slice(body));
    }

    /// <summary>dx = dy·gelu′(x), overwriting <paramref name="dx"/> (which may be <paramref name="dy"/>).</summary>
    public static void Backward(Kind kind, ReadOnlySpan<float> dy, ReadOnlySpan<float> x, Span<float> dx)
    {
        if (kind == Kind.Exact) { ExactBackward(dy, x, dx); return; }
        int n = x.Length, body = n - n % Block;
        BackwardBlocks(dy.Slice(0, body), x.Slice(0, body), dx.Slice(0, body));
        if (body == n) return;
        Span<float> bx = stackalloc float[Block];
        Span<float> bd = stackalloc float[Block];
        bx.Clear();
        bd.Clear();
        x.Slice(body).CopyTo(bx);
        dy.Slice(body).CopyTo(bd);
        BackwardBlocks(bd, bx, bd);
        bd.Slice(0, n - body).CopyTo(dx.Slice(body));
    }

    /// <summary>The tanh form over a length that is a multiple of <see cref="Block"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ForwardBlocks(ReadOnlySpan<float> x, Span<float> y)
    {
        if (Vector512.IsHardwareAccelerated)
        {
            for (int i = 0; i < x.Length; i += 16) Fwd(Vector512.Create(x.Slice(i, 16))).CopyTo(y.Slice(i, 16));
            return;
        }
        for (int i = 0; i < x.Length; i += 8) Fwd(Vector256.Create(x.Slice(i, 8))).CopyTo(y.Slice(i, 8));
    }

    /// <summary>dx = dy·gelu′(x) over a length that is a multiple of <see cref="Block"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void BackwardBlocks(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, Span<float> dx)
    {
        if (Vector512.IsHardwareAccelerated)
        {
            for (int i = 0; i < x.Length; i += 16)
                (Vector512.Create(dy.Slice(i, 16)) * Deriv(Vector512.Create(x.Slice(i, 16)))).CopyTo(dx.Slice(i, 16));
            return;
        }
        for (int i = 0; i < x.Length; i += 8)
            (Vector256.Create(dy.Slice(i, 8)) * Deriv(Vector256.Create(x.Slice(i, 8)))).CopyTo(dx.Slice(i, 8));
    }

    /// <summary>σ(2u) = 1/(1 + e^(−2u)), u = √(2/π)(x + 0.044715x³); exactly 0 where −2u ≥ <see cref="ExpCap"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Sigma2U(Vector512<float> x, Vector512<float> x2)
    {
        var t = Vector512.Create(-2f * C) * (x + Vector512.Create(A) * x2 * x);
        var capped = Vector512.GreaterThanOrEqual(t, Vector512.Create(ExpCap));
        var s = Vector512<float>.One / (Vector512<float>.One + ShiftedExp.Exp(Vector512.Min(t, Vector512.Create(ExpCap))));
        return Vector512.AndNot(s, capped.AsSingle());
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Fwd(Vector512<float> x) => x * Sigma2U(x, x * x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Deriv(Vector512<float> x)
    {
        // Outside ±12 the derivative is exactly 1 or 0 in float (σ saturates): clamping keeps x²·u′ finite there.
        x = Vector512.Clamp(x, Vector512.Create(-12f), Vector512.Create(12f));
        var one = Vector512<float>.One;
        var x2 = x * x;
        var s = Sigma2U(x, x2);
        var du = Vector512.Create(C) * (one + Vector512.Create(3f * A) * x2);
        return s + Vector512.Create(2f) * x * s * (one - s) * du;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Fwd(Vector256<float> x)
    {
        // 0.5(1 + tanh u) = σ(2u) = 1/(1 + e^(−2u)); saturates cleanly at both ends.
        var u = Vector256.Create(C) * (x + Vector256.Create(A) * x * x * x);
        return x / (Vector256<float>.One + Vector256.Exp(Vector256.Create(-2f) * u));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Deriv(Vector256<float> x)
    {
        // d/dx [x·σ(2u)] = σ + x·2σ(1 − σ)·u′, u′ = c(1 + 3a x²); x clamped to ±12 as in the Vector512 form.
        x = Vector256.Clamp(x, Vector256.Create(-12f), Vector256.Create(12f));
        var one = Vector256<float>.One;
        var x2 = x * x;
        var u = Vector256.Create(C) * (x + Vector256.Create(A) * x2 * x);
        var s = one / (one + Vector256.Exp(Vector256.Create(-2f) * u));
        var du = Vector256.Create(C) * (one + Vector256.Create(3f * A) * x2);
        return s + Vector256.Create(2f) * x * s * (one - s) * du;
    }

    // The exact form goes through Erf.Span, tile by tile: its per-value chain is too long to run one vector at a time.
    private static void ExactForward(ReadOnlySpan<float> x, Span<float> y)
    {
        const int tile = Erf.Tile;
        Span<float> xb = stackalloc float[tile], e = stackalloc float[tile];
        var half = Vector256.Create(0.5f);
        for (int i0 = 0; i0 < x.Length; i0 += tile)
        {
            int n = Math.Min(tile, x.Length - i0);
            if (n < tile) xb.Clear();
            x.Slice(i0, n).CopyTo(xb);
            Erf.Span(xb, InvSqrt2, e);
            for (int i = 0; i < tile; i += 8)
            {
                var xv = Vector256.Create((ReadOnlySpan<float>)xb.Slice(i, 8));
                (half * xv * (Vector256<float>.One + Vector256.Create((ReadOnlySpan<float>)e.Slice(i, 8)))).CopyTo(e.Slice(i, 8));
            }
            e.Slice(0, n).CopyTo(y.Slice(i0, n));
        }
    }

    private static void ExactBackward(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, Span<float> dx)
    {
        const int tile = Erf.Tile;
        Span<float> xb = stackalloc float[tile], db = stackalloc float[tile], e = stackalloc float[tile];
        var half = Vector256.Create(0.5f);
        for (int i0 = 0; i0 < x.Length; i0 += tile)
        {
            int n = Math.Min(tile, x.Length - i0);
            if (n < tile) { xb.Clear(); db.Clear(); }
            x.Slice(i0, n).CopyTo(xb);
            dy.Slice(i0, n).CopyTo(db);
            Erf.Span(xb, InvSqrt2, e);
            for (int i = 0; i < tile; i += 8)
            {
                // d/dx [x·Φ(x)] = Φ(x) + x·φ(x), φ(x) = e^(−x²/2)/√(2π).
                var xv = Vector256.Create((ReadOnlySpan<float>)xb.Slice(i, 8));
                var phi = Vector256.Create(InvSqrt2Pi) * Vector256.Exp(-half * xv * xv);
                var cdf = half * (Vector256<float>.One + Vector256.Create((ReadOnlySpan<float>)e.Slice(i, 8)));
                (Vector256.Create((ReadOnlySpan<float>)db.Slice(i, 8)) * (cdf + xv * phi)).CopyTo(e.Slice(i, 8));
            }
            e.Slice(0, n).CopyTo(dx.Slice(i0, n));
        }
    }

    /// <summary>gelu(x) for one value (same bits as the span form).</summary>
    public static float Scalar(Kind kind, float x)
    {
        Span<float> y = stackalloc float[1];
        Forward(kind, [x], y);
        return y[0];
    }
}
