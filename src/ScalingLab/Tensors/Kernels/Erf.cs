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

    /// <summary>erf of eight values.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Vector(Vector256<float> x)
    {
        var ax = Vector256.Abs(x);
        var x2 = x * x;

        // Small |x|: odd series, Horner in x².
        var p = Vector256.Create(-1f / 75600f);
        p = p * x2 + Vector256.Create(1f / 9360f);
        p = p * x2 + Vector256.Create(-1f / 1320f);
        p = p * x2 + Vector256.Create(1f / 216f);
        p = p * x2 + Vector256.Create(-1f / 42f);
        p = p * x2 + Vector256.Create(1f / 10f);
        p = p * x2 + Vector256.Create(-1f / 3f);
        p = p * x2 + Vector256.Create(1f);
        var small = p * x * Vector256.Create(TwoOverSqrtPi);

        // Large |x|: erfc(|x|) = t·exp(−x² + P(t)), t = 1/(1 + |x|/2).
        var t = Vector256<float>.One / (Vector256<float>.One + Vector256.Create(0.5f) * ax);
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
        var erfc = t * Vector256.Exp(q - x2);
        var large = Vector256<float>.One - erfc;
        large = Vector256.ConditionalSelect(Vector256.LessThan(x, Vector256<float>.Zero), -large, large);

        return Vector256.ConditionalSelect(Vector256.LessThan(ax, Vector256.Create(0.5f)), small, large);
    }
}
