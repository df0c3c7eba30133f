using System.Runtime.CompilerServices;

namespace ScalingLab.Data;

/// <summary>
/// Byte-level BPE as in GPT-2 (Radford et al. 2019; Sennrich et al. 2016 for BPE): the text is cut into
/// pre-tokens (<see cref="Gpt2PreTokenizer"/>), each pre-token's bytes (<see cref="Wtf8"/>, which is UTF-8
/// for valid text and keeps lone surrogates) start as one token per byte, and the learned merges are applied
/// lowest rank first until none applies. Every byte has a token, so every string encodes, and decoding
/// concatenates token bytes, so <c>Decode(Encode(s)) == s</c> for every string. An optional end-of-text token
/// separates documents in a stream; <see cref="Encode"/> never produces it (the text "&lt;|endoftext|&gt;" is
/// encoded as ordinary bytes). Encoding caches pre-token → ids per thread; thread-safe.
/// </summary>
public sealed class BpeTokenizer : ITokenizer
{
    private readonly byte[][] _bytes;       // bytes of each id (empty for the end-of-text id)
    private readonly string[] _spelling;    // token spelling in GPT-2's byte characters
    private readonly int[] _byteToId = new int[256];
    private readonly Dictionary<long, int> _rank = new(); // (left id, right id) → merge rank
    private readonly int[] _mergedId;       // rank → id of the merged token
    private readonly (int Left, int Right)[] _merges;
    private readonly ThreadLocal<Encoder> _encoder;

    /// <summary>Conventional text of the end-of-text token.</summary>
    public const string EndOfTextText = "<|endoftext|>";

    /// <summary>
    /// A tokenizer from a vocabulary (token spellings in GPT-2's byte characters, index = id) and merges in
    /// rank order (pairs of spellings). Every one of the 256 byte tokens must be in the vocabulary; each merge's
    /// parts and result must be too. <paramref name="endOfText"/> names a special token in the vocabulary, or null.
    /// </summary>
    public BpeTokenizer(IReadOnlyList<string> vocab, IReadOnlyList<(string Left, string Right)> merges, string? endOfText)
    {
        _spelling = vocab.ToArray();
        _bytes = new byte[vocab.Count][];
        var idOf = new Dictionary<string, int>(StringComparer.Ordinal);
        EndOfTextId = -1;
        for (int id = 0; id < vocab.Count; id++)
        {
            string tok = vocab[id];
            if (!idOf.TryAdd(tok, id)) throw new ArgumentException($"token '{tok}' appears twice in the vocabulary");
            if (endOfText is not null && tok == endOfText) { EndOfTextId = id; _bytes[id] = []; continue; }
            _bytes[id] = ByteLevel.Unspell(tok) ?? throw new ArgumentException($"token '{tok}' (id {id}) is not spelled in GPT-2 byte characters");
        }
        if (endOfText is not null && EndOfTextId < 0) throw new ArgumentException($"end-of-text token '{endOfText}' is not in the vocabulary");
        for (int b = 0; b < 256; b++)
        {
            if (!idOf.TryGetValue(ByteLevel.ByteToChar[b].ToString(), out int id))
                throw new ArgumentException($"byte 0x{b:X2} ('{ByteLevel.ByteToChar[b]}') has no token in the vocabulary");
            _byteToId[b] = id;
        }
        _merges = new (int, int)[merges.Count];
        _mergedId = new int[merges.Count];
        for (int r = 0; r < merges.Count; r++)
        {
            var (l, rt) = merges[r];
            if (!idOf.TryGetValue(l, out int a) || !idOf.TryGetValue(rt, out int b) || !idOf.TryGetValue(l + rt, out int m))
                throw new ArgumentException($"merge {r + 1} '{l} {rt}': a part or the merged token is not in the vocabulary");
            _merges[r] = (a, b);
            _mergedId[r] = m;
            _rank.TryAdd(Key(a, b), r); // a repeated pair keeps its first (lowest) rank, as GPT-2's dict does
        }
        _encoder = new ThreadLocal<Encoder>(() => new Encoder(this));
    }

    /// <inheritdoc />
    public int VocabSize => _bytes.Length;

    /// <inheritdoc />
    public int EndOfTextId { get; }

    /// <summary>Token spellings in id order (GPT-2 byte characters; the end-of-text token as its text).</summary>
    public IReadOnlyList<string> Vocab => _spelling;

    /// <summary>Merges in rank order, as spellings.</summary>
    public IEnumerable<(string Left, string Right)> Merges => _merges.Select(m => (_spelling[m.Left], _spelling[m.Right]));

    /// <summary>The bytes token <paramref name="id"/> stands for.</summary>
    public ReadOnlySpan<byte> TokenBytes(int id) => _bytes[id];

    /// <inheritdoc />
    public int[] Encode(string text)
    {
        var enc = _encoder.Value!;
        enc.Output.Clear();
        enc.Encode(text);
        return enc.Output.ToArray();
    }

    /// <summary>Appends the ids of <paramref name="text"/> to <paramref name="dst"/>.</summary>
    public void Encode(ReadOnlySpan<char> text, List<int> dst)
    {
        var enc = _encoder.Value!;
        enc.Output.Clear();
        enc.Encode(text);
        dst.AddRange(enc.Output.AsSpan());
    }

    /// <inheritdoc />
    public string Decode(ReadOnlySpan<int> ids)
    {
        var bytes = new List<byte>(ids.Length * 4);
        var sb = new System.Text.StringBuilder();
        foreach (int id in ids)
        {
            if ((uint)id >= (uint)_bytes.Length) throw new ArgumentOutOfRangeException(nameof(ids), $"token id {id} outside [0, {VocabSize})");
            if (id == EndOfTextId)
            {
                sb.Append(Wtf8.Decode(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(bytes)));
                bytes.Clear();
                sb.Append(_spelling[id]);
                continue;
            }
            bytes.AddRange(_bytes[id]);
        }
        sb.Append(Wtf8.Decode(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(bytes)));
        return sb.ToString();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static long Key(int a, int b) => ((long)a << 32) | (uint)b;

    /// <summary>A growable int buffer that is reused between calls.</summary>
    private sealed class IntBuffer
    {
        public int[] Items = new int[1024];
        public int Count;
        public void Clear() => Count = 0;
        public Span<int> AsSpan() => Items.AsSpan(0, Count);
        public int[] ToArray() => AsSpan().ToArray();
        public void Add(ReadOnlySpan<int> xs)
        {
            if (Count + xs.Length > Items.Length) Array.Resize(ref Items, Math.Max(Items.Length * 2, Count + xs.Length));
            xs.CopyTo(Items.AsSpan(Count));
            Count += xs.Length;
        }
    }

    /// <summary>Per-thread state: the pre-token cache and the scratch buffers of one merge loop.</summary>
    private sealed class Encoder
    {
        private const int MaxCachedChars = 64;   // longer pieces are rare; caching them would only grow the map
        private const int MaxCacheEntries = 1 << 18;
        private readonly BpeTokenizer _t;
        private readonly Dictionary<string, int[]> _cache = new(StringComparer.Ordinal);
        private readonly Dictionary<string, int[]>.AlternateLookup<ReadOnlySpan<char>> _lookup;
        private byte[] _bytes = new byte[256];
        private int[] _sym = new int[256];
        private int[] _rank = new int[256];
        public readonly IntBuffer Output = new();

        public Encoder(BpeTokenizer t)
        {
            _t = t;
            _lookup = _cache.GetAlternateLookup<ReadOnlySpan<char>>();
        }

        public void Encode(ReadOnlySpan<char> text)
        {
            for (int i = 0; i < text.Length;)
            {
                int e = Gpt2PreTokenizer.Next(text, i);
                var piece = text[i..e];
                i = e;
                if (piece.Length <= MaxCachedChars)
                {
                    if (_lookup.TryGetValue(piece, out int[]? ids)) { Output.Add(ids); continue; }
                    int n = Bpe(piece);
                    ids = _sym.AsSpan(0, n).ToArray();
                    if (_cache.Count >= MaxCacheEntries) _cache.Clear();
                    _cache[piece.ToString()] = ids;
                    Output.Add(ids);
                }
                else
                {
                    int n = Bpe(piece);
                    Output.Add(_sym.AsSpan(0, n));
                }
            }
        }

        /// <summary>Merges the bytes of one piece into _sym; returns the number of tokens.</summary>
        private int Bpe(ReadOnlySpan<char> piece)
        {
            int nb = Wtf8.ByteCount(piece);
            if (nb > _bytes.Length)
            {
                int cap = Math.Max(nb, _bytes.Length * 2);
                _bytes = new byte[cap]; _sym = new int[cap]; _rank = new int[cap];
            }
            Wtf8.Encode(piece, _bytes);
            var sym = _sym;
            var rank = _rank;
            for (int k = 0; k < nb; k++) sym[k] = _t._byteToId[_bytes[k]];
            int n = nb;
            for (int k = 0; k + 1 < n; k++) rank[k] = RankOf(sym[k], sym[k + 1]);
            while (n > 1)
            {
                // The lowest-ranked pair, leftmost on ties (GPT-2 merges every occurrence left to right;
                // taking the leftmost repeatedly does the same).
                int best = int.MaxValue, at = -1;
                for (int k = 0; k + 1 < n; k++)
                    if (rank[k] < best) { best = rank[k]; at = k; }
                if (at < 0) break;
                sym[at] = _t._mergedId[best];
                Array.Copy(sym, at + 2, sym, at + 1, n - at - 2);
                Array.Copy(rank, at + 2, rank, at + 1, Math.Max(0, n - at - 3));
                n--;
                if (at > 0) rank[at - 1] = RankOf(sym[at - 1], sym[at]);
                if (at + 1 < n) rank[at] = RankOf(sym[at], sym[at + 1]);
            }
            return n;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private int RankOf(int a, int b) => _t._rank.TryGetValue(Key(a, b), out int r) ? r : int.MaxValue;
    }
}
