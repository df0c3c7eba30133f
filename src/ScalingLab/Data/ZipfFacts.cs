using ScalingLab.Common;
using ScalingLab.Tensors;

namespace ScalingLab.Data;

/// <summary>
/// A source of Zipf-distributed "facts" with an exact entropy rate, built so that the loss of a model trained on it
/// falls as a power law in model size N and in data size D (the quantisation picture of Michaud et al. 2023, "The
/// quantization model of neural scaling", and Hutter 2021, "Learning curve theory").
///
/// K keys have probabilities p_i = i^(−a) / Σ_j j^(−a) (rank i = 1..K, exponent a &gt; 1). Key i is written as a
/// fixed random code of k symbols (distinct codes, over V symbols) followed by its value: m symbols fixed at random
/// per key; then a newline. Records are drawn independently, so the text is
///     c_1(i) … c_k(i) v_1(i) … v_m(i) \n   c_1(i') …
/// and a record is R = k + m + 1 tokens long. Only the key is random; the rest of a record is a function of it, so the
/// entropy rate is exactly
///     H = H(p) / R,   H(p) = −Σ_i p_i ln p_i   (nats per token).
/// A model that stores the codes and values of the n most frequent keys loses about (ln V^m)·Σ_{i&gt;n} p_i / R above H,
/// and Σ_{i&gt;n} p_i ∝ n^(1−a): capacity (∝ N) limits n, and so does the number of keys seen often enough in D
/// tokens (∝ D^(1/a)). With R dividing the training window (windows start at multiples of it), every window starts
/// on a record boundary and the true model's cross-entropy on it is H exactly.
/// </summary>
public sealed class ZipfFacts
{
    private readonly double[] _cdf;   // [K] running sums of p
    private readonly int[] _codes;    // [K, k] symbols 0..V−1
    private readonly int[] _values;   // [K, m] symbols 0..V−1

    /// <summary>Number of keys K.</summary>
    public int Keys { get; }
    /// <summary>Zipf exponent a.</summary>
    public double Exponent { get; }
    /// <summary>Symbols V (token ids 1..V; id 0 is the newline).</summary>
    public int Symbols { get; }
    /// <summary>Symbols per key code k.</summary>
    public int KeyLength { get; }
    /// <summary>Symbols per value m.</summary>
    public int ValueLength { get; }
    /// <summary>Tokens per record R = k + m + 1.</summary>
    public int RecordLength => KeyLength + ValueLength + 1;
    /// <summary>Key probabilities p_i, most frequent first.</summary>
    public IReadOnlyList<double> P { get; }

    /// <summary>A source with random codes and values drawn from <paramref name="seed"/>.</summary>
    public ZipfFacts(int keys, double exponent, int symbols, int keyLength, int valueLength, ulong seed)
    {
        if (symbols < 2 || symbols > 65_000) throw new UserError($"zipf: symbols {symbols} must be in [2, 65000]");
        if (keyLength < 1 || valueLength < 1) throw new UserError($"zipf: key_length ({keyLength}) and value_length ({valueLength}) must be ≥ 1");
        double codes = Math.Pow(symbols, keyLength);
        if (keys < 1 || keys > codes || keys > (1 << 24))
            throw new UserError($"zipf: keys {keys} must be in [1, min(symbols^key_length = {codes:G4}, 2^24)]; lower keys or raise symbols or key_length");
        if (!(exponent > 0) || exponent > 10) throw new UserError($"zipf: exponent {exponent} must be in (0, 10]");
        Keys = keys;
        Exponent = exponent;
        Symbols = symbols;
        KeyLength = keyLength;
        ValueLength = valueLength;

        var p = new double[keys];
        double z = 0;
        for (int i = 0; i < keys; i++) z += p[i] = Math.Pow(i + 1, -exponent);
        _cdf = new double[keys];
        double acc = 0;
        for (int i = 0; i < keys; i++) { p[i] /= z; _cdf[i] = acc += p[i]; }
        P = p;

        // Distinct codes: the first K of a random sequence of distinct integers in [0, V^k), by rejection (K ≤ V^k).
        var root = new Rng(seed, 0x5A495046UL); // "ZIPF"
        var codeRng = root.Fork(1);
        var seen = new HashSet<long>();
        _codes = new int[keys * keyLength];
        long space = (long)codes;
        bool dense = keys > space / 2;
        long[]? perm = null;
        if (dense)
        {
            // Many of the codes are used: a partial Fisher–Yates over all of them.
            perm = new long[space];
            for (long j = 0; j < space; j++) perm[j] = j;
        }
        for (int i = 0; i < keys; i++)
        {
            long c;
            if (perm is not null)
            {
                long j = i + (long)(codeRng.NextDouble() * (space - i));
                (perm[i], perm[j]) = (perm[j], perm[i]);
                c = perm[i];
            }
            else
            {
                do c = (long)(codeRng.NextDouble() * space); while (!seen.Add(c));
            }
            for (int t = keyLength - 1; t >= 0; t--) { _codes[i * keyLength + t] = (int)(c % symbols); c /= symbols; }
        }
        var valueRng = root.Fork(2);
        _values = new int[keys * valueLength];
        for (int i = 0; i < _values.Length; i++) _values[i] = valueRng.NextInt(symbols);
    }

    /// <summary>H(p) = −Σ p_i ln p_i: the entropy of one record (nats).</summary>
    public double RecordEntropy()
    {
        double h = 0;
        foreach (double q in P) if (q > 0) h -= q * Math.Log(q);
        return h;
    }

    /// <summary>The exact entropy rate H(p) / R (nats per token).</summary>
    public double EntropyRate() => RecordEntropy() / RecordLength;

    /// <summary>The code of key <paramref name="i"/> (0-based rank), k symbols.</summary>
    public ReadOnlySpan<int> Code(int i) => _codes.AsSpan(i * KeyLength, KeyLength);

    /// <summary>The value of key <paramref name="i"/>, m symbols.</summary>
    public ReadOnlySpan<int> Value(int i) => _values.AsSpan(i * ValueLength, ValueLength);

    /// <summary>A key drawn from p (0-based rank).</summary>
    public int SampleKey(ref Rng rng)
    {
        double u = rng.NextDouble() * _cdf[^1];
        int lo = 0, hi = _cdf.Length - 1;
        while (lo < hi) { int mid = (lo + hi) >> 1; if (_cdf[mid] > u) hi = mid; else lo = mid + 1; }
        return lo;
    }

    /// <summary>
    /// Writes one record of key <paramref name="i"/> as token ids (symbol s = id s + 1, newline = 0) into
    /// <paramref name="dst"/> (R ids).
    /// </summary>
    public void WriteRecord(int i, Span<int> dst)
    {
        var c = Code(i);
        var v = Value(i);
        for (int t = 0; t < KeyLength; t++) dst[t] = c[t] + 1;
        for (int t = 0; t < ValueLength; t++) dst[KeyLength + t] = v[t] + 1;
        dst[RecordLength - 1] = 0;
    }

    /// <summary>
    /// The true model's summed cross-entropy (nats) of a token stream that starts on a record boundary and holds
    /// whole records: −Σ ln p(key of each record), or +∞ when a record is not one this source can emit.
    /// </summary>
    public double CrossEntropy(ReadOnlySpan<int> ids)
    {
        if (ids.Length % RecordLength != 0) throw new ArgumentException($"need whole records of {RecordLength} tokens");
        var index = CodeIndex();
        double nll = 0;
        Span<int> expect = stackalloc int[RecordLength];
        for (int r = 0; r < ids.Length; r += RecordLength)
        {
            long c = 0;
            for (int t = 0; t < KeyLength; t++) c = c * Symbols + (ids[r + t] - 1);
            if (!index.TryGetValue(c, out int key)) return double.PositiveInfinity;
            WriteRecord(key, expect);
            if (!ids.Slice(r, RecordLength).SequenceEqual(expect)) return double.PositiveInfinity;
            nll -= Math.Log(P[key]);
        }
        return nll;
    }

    private Dictionary<long, int>? _index;

    private Dictionary<long, int> CodeIndex()
    {
        if (_index is not null) return _index;
        var d = new Dictionary<long, int>(Keys);
        for (int i = 0; i < Keys; i++)
        {
            long c = 0;
            foreach (int s in Code(i)) c = c * Symbols + s;
            d[c] = i;
        }
        return _index = d;
    }
}
