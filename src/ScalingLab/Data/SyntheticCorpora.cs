using System.Text.Json.Nodes;
using ScalingLab.Common;
using ScalingLab.Tensors;

namespace ScalingLab.Data;

/// <summary>
/// Data folders whose true entropy rate is known: a Markov chain sample, and a "memorisable" corpus of d
/// distinct random sequences drawn again and again (the memorisation regime of Niu et al., "Beyond Scaling
/// Laws"). Symbols are words "s00", "s01", ... of a <see cref="WordTokenizer"/>, so symbol i is id i + 1 and
/// id 0 is the newline (used as the sequence separator by the memorisable corpus, absent from Markov data).
/// </summary>
public static class SyntheticCorpora
{
    /// <summary>The word tokenizer for V symbols: "s0".."s{V-1}" zero-padded so ordinal order is numeric.</summary>
    public static WordTokenizer SymbolTokenizer(int vocab)
    {
        int digits = Math.Max(2, (vocab - 1).ToString().Length);
        return new WordTokenizer(Enumerable.Range(0, vocab).Select(i => "s" + i.ToString().PadLeft(digits, '0')));
    }

    /// <summary>
    /// Samples <paramref name="trainTokens"/> (train) and <paramref name="valTokens"/> (val) symbols from a random
    /// order-k chain with Dirichlet(α) rows; the manifest records the exact entropy rate (nats/token).
    /// Each split is one stationary run from its own stream, so the bits depend only on the seed.
    /// </summary>
    public static DataManifest WriteMarkov(string dir, int order, int vocab, double concentration, long trainTokens, long valTokens,
                                           ulong seed, Action<string>? progress = null)
    {
        if (trainTokens <= 0 || valTokens < 0) throw new UserError("--tokens must be positive and --val-tokens not negative");
        var chain = MarkovChain.RandomDirichlet(order, vocab, concentration, seed);
        double[] pi = chain.Stationary();
        double h = chain.EntropyRate();
        progress?.Invoke($"order-{order} chain over {vocab} symbols, α = {concentration}: entropy rate {h:F6} nats/token (uniform would be {Math.Log(vocab):F4})");
        return WriteSplits(dir, vocab, trainTokens, valTokens, seed, (w, split, count, rng) =>
            {
                int ctx = chain.StationaryContext(ref rng, pi);
                var buf = new int[1 << 16];
                for (long done = 0; done < count;)
                {
                    int n = (int)Math.Min(buf.Length, count - done);
                    chain.Sample(ref rng, buf.AsSpan(0, n), ref ctx);
                    for (int i = 0; i < n; i++) buf[i] += 1; // symbol i is word id i + 1
                    w.Append(split, buf.AsSpan(0, n));
                    done += n;
                    if ((done >> 16) % 16 == 0 || done == count) progress?.Invoke($"{split}: {100.0 * done / count:F0}%");
                }
            },
            "markov", $"order-{order} Markov chain, V = {vocab}, Dirichlet α = {concentration}, seed {seed}", h, () => new JsonObject
            {
                ["order"] = order, ["vocab"] = vocab, ["concentration"] = concentration,
                ["train_tokens"] = trainTokens, ["val_tokens"] = valTokens,
                ["note"] = "symbol i is token id i + 1; id 0 (newline) never occurs",
            });
    }

    /// <summary>
    /// Samples whole records of a <see cref="ZipfFacts"/> source: about <paramref name="trainTokens"/> (train) and
    /// <paramref name="valTokens"/> (val) tokens, each split rounded down to whole records and one independent stream.
    /// The manifest records the exact entropy rate H(p)/R (nats/token) and the record length R (windows whose
    /// length R divides start on a record boundary).
    /// </summary>
    public static DataManifest WriteZipf(string dir, ZipfFacts source, long trainTokens, long valTokens, ulong seed,
                                         Action<string>? progress = null)
    {
        int r = source.RecordLength;
        if (trainTokens < r || valTokens < 0) throw new UserError($"zipf: tokens must be at least one record ({r}) and val_tokens not negative");
        double h = source.EntropyRate();
        progress?.Invoke($"{source.Keys} Zipf(a = {source.Exponent}) keys, records of {r} tokens: entropy rate {h:F6} nats/token");
        return WriteSplits(dir, source.Symbols, trainTokens, valTokens, seed, (w, split, count, rng) =>
            {
                long records = count / r;
                var buf = new int[r * 4096];
                for (long done = 0; done < records;)
                {
                    int n = (int)Math.Min(4096, records - done);
                    for (int j = 0; j < n; j++) source.WriteRecord(source.SampleKey(ref rng), buf.AsSpan(j * r, r));
                    w.Append(split, buf.AsSpan(0, n * r));
                    done += n;
                }
            },
            "zipf", $"Zipf facts: {source.Keys} keys, exponent {source.Exponent}, {source.Symbols} symbols, " +
                         $"key {source.KeyLength} + value {source.ValueLength} + newline = {r} tokens per record, seed {seed}", h, () => new JsonObject
            {
                ["keys"] = source.Keys, ["exponent"] = source.Exponent, ["symbols"] = source.Symbols,
                ["key_length"] = source.KeyLength, ["value_length"] = source.ValueLength, ["record_length"] = r,
                ["record_entropy_nats"] = source.RecordEntropy(),
                ["train_tokens"] = trainTokens / r * r, ["val_tokens"] = valTokens / r * r,
                ["note"] = "symbol i is token id i + 1; id 0 (newline) ends each record; use a training window (seq) that the record length divides",
            });
    }

    /// <summary>
    /// d distinct random sequences of length L over V symbols, every two differing in at least
    /// <paramref name="minDistance"/> positions (the separation), drawn uniformly with replacement and written
    /// each followed by a newline. Entropy rate = ln d / (L + 1) nats per token: the choice of sequence is
    /// ln d nats, the rest of its L + 1 tokens is determined by it.
    /// </summary>
    public static DataManifest WriteMemorize(string dir, int sequences, int length, int vocab, int minDistance,
                                             long trainTokens, long valTokens, ulong seed, Action<string>? progress = null)
    {
        if (sequences < 1 || length < 1 || vocab < 2) throw new UserError("--sequences and --length must be positive, --vocab at least 2");
        if (minDistance < 1 || minDistance > length) throw new UserError($"--min-distance {minDistance} must be in [1, --length {length}]");
        if (trainTokens <= 0 || valTokens < 0) throw new UserError("--tokens must be positive and --val-tokens not negative");
        var set = DistinctSequences(sequences, length, vocab, minDistance, seed);
        double h = Math.Log(sequences) / (length + 1);
        progress?.Invoke($"{sequences} sequences of {length} symbols at Hamming distance ≥ {minDistance}: entropy rate {h:F6} nats/token");
        return WriteSplits(dir, vocab, trainTokens, valTokens, seed, (w, split, count, rng) =>
            {
                var ids = new int[length];
                while (w.Tokens(split) + length + 1 <= count)
                {
                    var s = set[rng.NextInt(sequences)];
                    for (int i = 0; i < length; i++) ids[i] = s[i] + 1;
                    w.AppendDocument(split, ids);
                }
            },
            "memorize", $"{sequences} random sequences of length {length}, V = {vocab}, separation ≥ {minDistance}, seed {seed}", h, () => new JsonObject
            {
                ["sequences"] = sequences, ["length"] = length, ["vocab"] = vocab, ["min_distance"] = minDistance,
                ["train_tokens"] = trainTokens, ["val_tokens"] = valTokens,
                ["note"] = "symbol i is token id i + 1; id 0 (newline) ends each sequence; whole sequences only",
            });
    }

    /// <summary>Samples one split: the writer, the split's name, its token budget, and its own random stream.</summary>
    private delegate void SampleSplit(DataFolderWriter w, string split, long count, Rng rng);

    /// <summary>
    /// The frame every corpus here shares: the word tokenizer of <paramref name="symbols"/> symbols, a train and a val
    /// split each sampled from its own stream of <paramref name="seed"/> (1 and 2, so the bits depend only on the seed),
    /// then the manifest of a source whose entropy rate is known exactly.
    /// </summary>
    private static DataManifest WriteSplits(string dir, int symbols, long trainTokens, long valTokens, ulong seed,
                                            SampleSplit sample, string kind, string source, double entropyRate,
                                            Func<JsonObject> parameters) =>
        DataFolderWriter.Write(dir, SymbolTokenizer(symbols), w =>
        {
            foreach (var (split, count, stream) in new[] { ("train", trainTokens, 1UL), ("val", valTokens, 2UL) })
            {
                w.AddSplit(split);
                sample(w, split, count, new Rng(seed, stream));
            }
            return new DataManifest { Kind = kind, Source = source, Seed = seed, EntropyRateNats = entropyRate, Parameters = parameters() };
        });

    /// <summary>Rejection sampling of sequences pairwise at Hamming distance ≥ minDistance.</summary>
    internal static List<int[]> DistinctSequences(int count, int length, int vocab, int minDistance, ulong seed)
    {
        var rng = new Rng(seed, 0x4D454D4FUL); // "MEMO"
        var set = new List<int[]>(count);
        var seen = new HashSet<string>();
        long tries = 0, maxTries = 1000L * count + 10_000;
        while (set.Count < count)
        {
            if (++tries > maxTries)
                throw new UserError($"found only {set.Count} of {count} sequences at Hamming distance ≥ {minDistance}; lower --min-distance or --sequences, or raise --length/--vocab");
            var s = new int[length];
            for (int i = 0; i < length; i++) s[i] = rng.NextInt(vocab);
            bool ok = minDistance <= 1 ? seen.Add(string.Join(',', s)) : set.All(t => Hamming(s, t) >= minDistance);
            if (ok) set.Add(s);
        }
        return set;
    }

    private static int Hamming(int[] a, int[] b)
    {
        int d = 0;
        for (int i = 0; i < a.Length; i++) if (a[i] != b[i]) d++;
        return d;
    }
}
