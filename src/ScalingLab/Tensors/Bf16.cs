using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ScalingLab.Tensors;

/// <summary>
/// bfloat16: the top 16 bits of an IEEE float32 (1 sign, 8 exponent, 7 stored significand bits), so the unit roundoff
/// is u = 2⁻⁸ (Kalamkar et al. 2019, "A Study of BFLOAT16 for Deep Learning Training", §2). Conversion rounds to
/// nearest, ties to even; NaN stays NaN (quiet). A product of two bf16 values is exact in float32 (8 + 8 significand
/// bits ≤ 24), which is why bf16 GEMMs accumulate in float32 without further loss from the multiply.
/// </summary>
public static class Bf16
{
    /// <summary>Unit roundoff of bf16 rounding to nearest: 2⁻⁸.</summary>
    public const double UnitRoundoff = 1.0 / 256;

    /// <summary>The bf16 bits nearest to <paramref name="x"/> (ties to even).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ushort FromFloat(float x)
    {
        uint u = BitConverter.SingleToUInt32Bits(x);
        if ((u & 0x7FFFFFFFu) > 0x7F800000u) return (ushort)((u >> 16) | 0x40); // NaN: keep it a (quiet) NaN
        return (ushort)((u + 0x7FFFu + ((u >> 16) & 1u)) >> 16);
    }

    /// <summary>The float32 value of bf16 bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float ToFloat(ushort b) => BitConverter.UInt32BitsToSingle((uint)b << 16);

    /// <summary><paramref name="x"/> rounded to the nearest bf16 value, as a float32.</summary>
    public static float Round(float x) => ToFloat(FromFloat(x));

    /// <summary>dst[i] = bf16(src[i]) for every i (vectorised; the same bits as <see cref="FromFloat"/>).</summary>
    public static unsafe void Convert(float* src, ushort* dst, long count)
    {
        long i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var bias = Vector512.Create(0x7FFFu);
            var one = Vector512.Create(1u);
            var abs = Vector512.Create(0x7FFFFFFFu);
            var inf = Vector512.Create(0x7F800000u);
            var quiet = Vector512.Create(0x40u);
            for (; i + 32 <= count; i += 32)
            {
                var lo = Vector512.Load((uint*)src + i);
                var hi = Vector512.Load((uint*)src + i + 16);
                Vector512.Store(Vector512.Narrow(RoundBits(lo, bias, one, abs, inf, quiet), RoundBits(hi, bias, one, abs, inf, quiet)), dst + i);
            }
        }
        for (; i < count; i++) dst[i] = FromFloat(src[i]);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<uint> RoundBits(Vector512<uint> u, Vector512<uint> bias, Vector512<uint> one, Vector512<uint> abs,
                                             Vector512<uint> inf, Vector512<uint> quiet)
    {
        var rounded = Vector512.ShiftRightLogical(u + bias + (Vector512.ShiftRightLogical(u, 16) & one), 16);
        var nan = Vector512.GreaterThan(u & abs, inf);
        return Vector512.ConditionalSelect(nan, Vector512.ShiftRightLogical(u, 16) | quiet, rounded);
    }

    /// <summary>Rounds every element of <paramref name="x"/> to bf16 precision in place (kept as float32).</summary>
    public static void RoundInPlace(Span<float> x)
    {
        for (int i = 0; i < x.Length; i++) x[i] = Round(x[i]);
    }
}
