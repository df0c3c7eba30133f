using System.Runtime.CompilerServices;

namespace ScalingLab.Tensors;

/// <summary>
/// A counter-based random number generator: value i of a stream is a pure function of
/// (seed, stream, i), computed by the SplitMix64 finaliser (Steele, Lea &amp; Flood 2014).
/// So a stream is reproducible across runs and thread counts: parallel work gives each item
/// its own stream (<see cref="Fork"/>) or skips to a known counter, and the whole state is two
/// integers that a checkpoint can save (<see cref="Key"/>, <see cref="Counter"/>).
/// </summary>
public struct Rng
{
    private const ulong Golden = 0x9E3779B97F4A7C15UL;

    /// <summary>The stream's key, derived from seed and stream id.</summary>
    public ulong Key { get; private set; }

    /// <summary>How many 64-bit values this stream has produced.</summary>
    public ulong Counter { get; set; }

    /// <summary>A generator for <paramref name="seed"/> and an optional stream id.</summary>
    public Rng(ulong seed, ulong stream = 0)
    {
        Key = Mix(Mix(seed ^ 0x5DEECE66DUL) + stream * Golden + 0x632BE59BD9B4E019UL);
        Counter = 0;
    }

    /// <summary>Restores a generator from a saved (key, counter) pair.</summary>
    public static Rng FromState(ulong key, ulong counter) => new() { Key = key, Counter = counter };

    /// <summary>An independent generator for sub-stream <paramref name="stream"/>; this one is not advanced.</summary>
    public readonly Rng Fork(ulong stream) => new() { Key = Mix(Key ^ Mix(stream + Golden)), Counter = 0 };

    /// <summary>The SplitMix64 output function: a bijective 64-bit mixer.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Value <paramref name="index"/> of this stream, without touching the counter.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly ulong At(ulong index) => Mix(Key + (index + 1) * Golden);

    /// <summary>The next 64 random bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ulong NextUInt64() => At(Counter++);

    /// <summary>Uniform double in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform float in [0, 1) with 24 random bits.</summary>
    public float NextSingle() => (NextUInt64() >> 40) * (1.0f / (1 << 24));

    /// <summary>Uniform integer in [0, <paramref name="n"/>) without modulo bias (Lemire's method).</summary>
    public int NextInt(int n)
    {
        if (n <= 0) throw new ArgumentOutOfRangeException(nameof(n), "n must be positive");
        ulong range = (ulong)n;
        while (true)
        {
            ulong x = NextUInt64();
            UInt128 m = (UInt128)x * range;
            ulong low = (ulong)m;
            if (low >= range || low >= (0UL - range) % range)
                return (int)(ulong)(m >> 64);
        }
    }

    /// <summary>A standard normal deviate by the Box–Muller transform (uses two uniform draws).</summary>
    public double NextNormal()
    {
        double u1 = 1.0 - NextDouble(); // (0, 1]: log is finite
        double u2 = NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }

    /// <summary>Fills <paramref name="dst"/> with N(mean, std²) samples, two per Box–Muller pair.</summary>
    public void FillNormal(Span<float> dst, float mean = 0f, float std = 1f)
    {
        int i = 0;
        for (; i + 1 < dst.Length; i += 2)
        {
            double u1 = 1.0 - NextDouble();
            double u2 = NextDouble();
            double r = Math.Sqrt(-2.0 * Math.Log(u1));
            double t = 2.0 * Math.PI * u2;
            dst[i] = (float)(mean + std * r * Math.Cos(t));
            dst[i + 1] = (float)(mean + std * r * Math.Sin(t));
        }
        if (i < dst.Length) dst[i] = (float)(mean + std * NextNormal());
    }

    /// <summary>Fills <paramref name="dst"/> with uniform samples in [lo, hi).</summary>
    public void FillUniform(Span<float> dst, float lo = 0f, float hi = 1f)
    {
        for (int i = 0; i < dst.Length; i++) dst[i] = lo + (hi - lo) * NextSingle();
    }

    /// <summary>A uniformly random permutation of 0..n-1 (Fisher–Yates), written into <paramref name="perm"/>.</summary>
    public void Permutation(Span<int> perm)
    {
        for (int i = 0; i < perm.Length; i++) perm[i] = i;
        for (int i = perm.Length - 1; i > 0; i--)
        {
            int j = NextInt(i + 1);
            (perm[i], perm[j]) = (perm[j], perm[i]);
        }
    }
}
