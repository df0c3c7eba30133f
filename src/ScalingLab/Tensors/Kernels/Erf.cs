using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ScalingLab.Tensors.Kernels;

/// <summary>
/// The error function erf(x) = 2/√π ∫₀ˣ e^(−t²) dt in single precision (.NET's Math has none).
/// |x| &lt; 0.5: the Maclaurin series 2/√π Σₙ (−1)ⁿ x^(2n+1) / (n!(2n+1)) to n = 7 (truncation &lt; 1e-9 relative).
/// |x| ≥ 0.5: erf = 1 − erfc with the Chebyshev-fitted erfc of Numerical Recipes (Press et al., 2nd ed., §6.2,
/// "erfcc"; fractional error &lt; 1.2e-7), so the small-x branch keeps the relative accuracy 1 − erfc would lose.
/// One vector formula serves every element (the scalar entry point runs it too), so a value never depends on
/// where it sits in a span.
/// </summary>
public static class Erf
{
    private const float TwoOverSqrtPi = 1.1283791670955126f;

    /// <summary>erf(x) for one value (through the vector path, bit-identical to <see cref="Vector"/>).</summary>
    public static float Scalar(float x) => Vector(Vector256.Create(x)).GetElement(0);

    /// <summary>erf of eight values (one dependency chain: prefer <see cref="Span"/> for many values).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Vector(Vector256<float> x)
    {
        var arg = Prepare(x, out var t);
        return Finish(x, t, Vector256.Exp(arg));
    }

    /// <summary>
    /// y[i] = erf(scale·x[i]). Works in tiles of 64 values in three passes (polynomial, exp, combine): one
    /// value's chain of ~40 dependent operations is too long for the CPU to overlap neighbours on its own, and
    /// short independent passes run several times faster. Same bits as <see cref="Vector"/>.
    /// </summary>
    public static void Span(ReadOnlySpan<float> x, float scale, Span<float> y)
    {
        Span<float> xb = stackalloc float[Tile], tb = stackalloc float[Tile], ab = stackalloc float[Tile];
        var sv = Vector256.Create(scale);
        for (int i0 = 0; i0 < x.Length; i0 += Tile)
        {
            int n = Math.Min(Tile, x.Length - i0);
            if (n == Tile) x.Slice(i0, Tile).CopyTo(xb);
            else { xb.Clear(); x.Slice(i0, n).CopyTo(xb); }
            for (int i = 0; i < Tile; i += 8)
            {
                var xv = Vector256.Create((ReadOnlySpan<float>)xb.Slice(i, 8)) * sv;
                xv.CopyTo(xb.Slice(i, 8));
                Prepare(xv, out var t).CopyTo(ab.Slice(i, 8));
                t.CopyTo(tb.Slice(i, 8));
            }
            for (int i = 0; i < Tile; i += 8)
                Vector256.Exp(Vector256.Create((ReadOnlySpan<float>)ab.Slice(i, 8))).CopyTo(ab.Slice(i, 8));
            for (int i = 0; i < Tile; i += 8)
                Finish(Vector256.Create((ReadOnlySpan<float>)xb.Slice(i, 8)), Vector256.Create((ReadOnlySpan<float>)tb.Slice(i, 8)),
                       Vector256.Create((ReadOnlySpan<float>)ab.Slice(i, 8))).CopyTo(ab.Slice(i, 8));
            ab.Slice(0, n).CopyTo(y.Slice(i0, n));
        }
    }

    /// <summary>Values per tile of <see cref="Span"/>.</summary>
    public const int Tile = 64;

    /// <summary>t = 1/(1 + |x|/2) and the exponent −x² + P(t) of the erfc formula.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Prepare(Vector256<float> x, out Vector256<float> t)
    {
        var ax = Vector256.Abs(x);
        t = Vector256<float>.One / (Vector256<float>.One + Vector256.Create(0.5f) * ax);
        var q = Vector256.Create(0.17087277f);
        q = q * t + Vector256.Create(-0.82215223f);
        q = q * t + Vector256.Create(1.48851587f);
        q = q * t + Vector256.Create(-1.13520398f);
        q = q * t + Vector256.Create(0.27886807f);
        q = q * t + Vector256.Create(-0.18628806f);
        q = q * t + Vector256.Create(0.09678418f);
        q = q * t + Vector256.Create(0.37409196f);
        q = q * t + Vector256.Create(1.00002368f);
        q = q * t + Vector256.Create(-1.26551223f);
        return q - x * x;
    }

    /// <summary>Combines: the series for |x| &lt; 0.5, else ±(1 − t·e) with e = exp(exponent).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Finish(Vector256<float> x, Vector256<float> t, Vector256<float> e)
    {
        var x2 = x * x;
        var p = Vector256.Create(-1f / 75600f);
        p = p * x2 + Vector256.Create(1f / 9360f);
        p = p * x2 + Vector256.Create(-1f / 1320f);
        p = p * x2 + Vector256.Create(1f / 216f);
        p = p * x2 + Vector256.Create(-1f / 42f);
        p = p * x2 + Vector256.Create(1f / 10f);
        p = p * x2 + Vector256.Create(-1f / 3f);
        p = p * x2 + Vector256.Create(1f);
        var small = p * x * Vector256.Create(TwoOverSqrtPi);
        var large = Vector256<float>.One - t * e;
        large = Vector256.ConditionalSelect(Vector256.LessThan(x, Vector256<float>.Zero), -large, large);
        return Vector256.ConditionalSelect(Vector256.LessThan(Vector256.Abs(x), Vector256.Create(0.5f)), small, large);
    }
}
