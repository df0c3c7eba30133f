using System.Runtime.CompilerServices;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ScalingLab.Tensors.Kernels;

/// <summary>
/// exp(x − shift) over a row in one pass, summed as it goes (the inner loop of softmax and cross-entropy, where shift is
/// the row maximum so every argument is ≤ 0). Single-precision exp after Cephes' <c>expf</c> (Moshier 1989):
/// x = n·ln 2 + r with |r| ≤ ln 2 / 2 (ln 2 split in two parts so n·ln 2 is exact), exp(r) by the degree-7 polynomial
/// 1 + r + r²·P(r), then the exponent n added to the bits; relative error ≤ 2 ulp (tested against float64 exp).
/// Arguments below −87.3 give 0 (exp underflows there anyway). On Vector512 hardware the kernel runs compiled optimised
/// from the first call, with no dependence on tiered or profile-guided JIT (TensorPrimitives.Exp computes in float64 and
/// ran 2× slower here until its code was re-jitted with profile data); elsewhere the results come from TensorPrimitives
/// (subtract, exp, sum in chunks of 256), which gives subnormal values rather than 0 below −87.3. The sum is accumulated
/// in a fixed order, so the bits depend only on the input and the CPU's vector width.
/// </summary>
public static class ShiftedExp
{
    private const float Log2E = 1.44269504088896341f;
    private const float Ln2Hi = 0.693359375f, Ln2Lo = -2.12194440e-4f;
    private const float P0 = 1.9875691500e-4f, P1 = 1.3981999507e-3f, P2 = 8.3334519073e-3f, P3 = 4.1665795894e-2f,
                        P4 = 1.6666665459e-1f, P5 = 5.0000001201e-1f;
    private const float Lowest = -87.33654f; // ln(float.MinNormal): below it the result is 0
    private const int Lanes = 16;

    /// <summary>
    /// Writes y[i] = exp(x[i] − shift) (<paramref name="y"/> may be <paramref name="x"/>) and returns Σ y[i]. The caller
    /// keeps x − shift ≤ 88 (shift = max x does).
    /// </summary>
    public static float Apply(ReadOnlySpan<float> x, float shift, Span<float> y)
    {
        if (y.Length < x.Length) throw new ArgumentException("y is shorter than x", nameof(y));
        if (Vector512.IsHardwareAccelerated) return Run(x, shift, y, store: true);
        var dst = y[..x.Length];
        TensorPrimitives.Subtract(x, shift, dst);
        TensorPrimitives.Exp(dst, dst);
        return ChunkedSum(dst);
    }

    private const int Chunk = 256; // the fallback sums in chunks of this many, in order, so Apply and Sum agree to the bit

    private static float ChunkedSum(ReadOnlySpan<float> e)
    {
        float sum = 0f;
        for (int i = 0; i < e.Length; i += Chunk) sum += TensorPrimitives.Sum(e.Slice(i, Math.Min(Chunk, e.Length - i)));
        return sum;
    }

    /// <summary>Σ exp(x[i] − shift), without writing the exponentials.</summary>
    public static float Sum(ReadOnlySpan<float> x, float shift)
    {
        if (Vector512.IsHardwareAccelerated) return Run(x, shift, default, store: false);
        Span<float> chunk = stackalloc float[Chunk];
        float sum = 0f;
        for (int i = 0; i < x.Length; i += Chunk)
        {
            var part = chunk[..Math.Min(Chunk, x.Length - i)];
            TensorPrimitives.Subtract(x.Slice(i, part.Length), shift, part);
            TensorPrimitives.Exp(part, part);
            sum += ChunkedSum(part);
        }
        return sum;
    }

    /// <summary>
    /// The Vector512 pass: 16 lanes at a time, the last partial vector padded with −∞ (whose exp is 0) so every element
    /// goes through the same arithmetic.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float Run(ReadOnlySpan<float> x, float shift, Span<float> y, bool store)
    {
        ref float xs = ref MemoryMarshal.GetReference(x);
        ref float ys = ref MemoryMarshal.GetReference(y);
        int n = x.Length, i = 0;
        var s = Vector512.Create(shift);
        var acc = Vector512<float>.Zero;
        for (; i + Lanes <= n; i += Lanes)
        {
            var e = Exp(Vector512.LoadUnsafe(ref xs, (nuint)i) - s);
            if (store) e.StoreUnsafe(ref ys, (nuint)i);
            acc += e;
        }
        if (i < n)
        {
            Span<float> tail = stackalloc float[Lanes];
            tail.Fill(float.NegativeInfinity);
            x[i..].CopyTo(tail);
            var e = Exp(Vector512.Create<float>(tail) - s);
            e.CopyTo(tail);
            if (store) tail[..(n - i)].CopyTo(y[i..]);
            acc += e;
        }
        return Vector512.Sum(acc);
    }

    /// <summary>exp of each lane (see the class comment for the method and its error).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Exp(Vector512<float> x)
    {
        var under = Vector512.LessThan(x, Vector512.Create(Lowest));
        var n = Vector512.Round(x * Vector512.Create(Log2E));
        var r = Vector512.FusedMultiplyAdd(n, Vector512.Create(-Ln2Hi), x);
        r = Vector512.FusedMultiplyAdd(n, Vector512.Create(-Ln2Lo), r);
        var p = Vector512.FusedMultiplyAdd(Vector512.Create(P0), r, Vector512.Create(P1));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(P2));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(P3));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(P4));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(P5));
        p = Vector512.FusedMultiplyAdd(p, r * r, r) + Vector512<float>.One;
        var scale = (Vector512.ConvertToInt32(Vector512.Max(n, Vector512.Create(-127f))) + Vector512.Create(127)) << 23;
        return Vector512.AndNot(p * scale.AsSingle(), under.AsSingle());
    }
}
