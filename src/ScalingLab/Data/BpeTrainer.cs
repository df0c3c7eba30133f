using ScalingLab.Common;

namespace ScalingLab.Data;

/// <summary>
/// Learns byte-level BPE merges from a corpus (Sennrich et al. 2016, as GPT-2 applies it to bytes):
/// count the pre-tokens, then repeatedly merge the most frequent adjacent pair inside pre-tokens, ties
/// broken by the smaller (left id, right id). Ids: bytes 0–255 are ids 0–255, merge r is id 256 + r,
/// and the end-of-text token is the last id. Counting runs in parallel; the result does not depend on
/// the thread count (counts are exact sums, and the merge loop is sequential).
/// </summary>
public static class BpeTrainer
{
    /// <summary>Smallest vocabulary: the 256 byte tokens plus end-of-text.</summary>
    public const int MinVocab = 257;

    /// <summary>
    /// Trains to <paramref name="vocabSize"/> ids (256 bytes + merges + end-of-text). Stops early, with a
    /// smaller vocabulary, when no pair occurs twice any more. <paramref name="progress"/> gets (merges done, merges wanted).
    /// </summary>
    public static BpeTokenizer Train(IReadOnlyList<string> documents, int vocabSize, int threads = 2, Action<int, int>? progress = null)
    {
        CheckVocab(vocabSize);
        var counts = CountPieces(documents, threads);
        if (counts.Count == 0) throw new UserError("the corpus is empty: nothing to train a BPE tokenizer on");

        // Words as symbol arrays, in ordinal order so that everything after is independent of hashing.
        var keys = counts.Keys.Order(StringComparer.Ordinal).ToArray();
        var words = new int[keys.Length][];
        var freq = new long[keys.Length];
        for (int w = 0; w < keys.Length; w++)
        {
            byte[] b = Wtf8.GetBytes(keys[w]);
            words[w] = Array.ConvertAll(b, x => (int)x);
            freq[w] = counts[keys[w]];
        }

        var pairCount = new Dictionary<long, long>();
        var where = new Dictionary<long, List<int>>();
        for (int w = 0; w < words.Length; w++)
            for (int k = 0; k + 1 < words[w].Length; k++)
            {
                long p = Key(words[w][k], words[w][k + 1]);
                pairCount[p] = pairCount.GetValueOrDefault(p) + freq[w];
                Where(where, p).Add(w);
            }
        var heap = new PriorityQueue<long, (long NegCount, long Key)>();
        foreach (var (p, c) in pairCount) heap.Enqueue(p, (-c, p));

        int wanted = vocabSize - 257;
        var merges = new List<(int, int)>(wanted);
        var stamp = new int[words.Length];
        Array.Fill(stamp, -1);
        var touched = new HashSet<long>();
        var rebuilt = new List<int>(64);
        while (merges.Count < wanted && heap.TryDequeue(out long best, out var pri))
        {
            long current = pairCount.GetValueOrDefault(best);
            if (current != -pri.NegCount || current < 2) continue; // stale entry, or a pair seen once: nothing to learn
            int a = (int)(best >> 32), b = (int)(uint)best;
            int id = 256 + merges.Count;
            merges.Add((a, b));
            touched.Clear();
            foreach (int w in where[best])
            {
                if (stamp[w] == id) continue; // listed twice
                stamp[w] = id;
                int[] s = words[w];
                bool has = false;
                for (int k = 0; k + 1 < s.Length; k++) if (s[k] == a && s[k + 1] == b) { has = true; break; }
                if (!has) continue;
                for (int k = 0; k + 1 < s.Length; k++) Add(pairCount, touched, Key(s[k], s[k + 1]), -freq[w]);
                rebuilt.Clear();
                for (int k = 0; k < s.Length; k++)
                {
                    if (k + 1 < s.Length && s[k] == a && s[k + 1] == b) { rebuilt.Add(id); k++; }
                    else rebuilt.Add(s[k]);
                }
                s = words[w] = rebuilt.ToArray();
                for (int k = 0; k + 1 < s.Length; k++)
                {
                    long p = Key(s[k], s[k + 1]);
                    Add(pairCount, touched, p, freq[w]);
                    if (s[k] == id || s[k + 1] == id) Where(where, p).Add(w);
                }
            }
            where.Remove(best);
            foreach (long p in touched)
            {
                long c = pairCount.GetValueOrDefault(p);
                if (c >= 2) heap.Enqueue(p, (-c, p));
            }
            progress?.Invoke(merges.Count, wanted);
        }

        // Spell the vocabulary: bytes, merges, end-of-text.
        var bytesOf = new List<byte[]>(256 + merges.Count);
        for (int x = 0; x < 256; x++) bytesOf.Add([(byte)x]);
        foreach (var (l, r) in merges) bytesOf.Add([.. bytesOf[l], .. bytesOf[r]]);
        var vocab = bytesOf.Select(x => ByteLevel.Spell(x)).ToList();
        vocab.Add(BpeTokenizer.EndOfTextText);
        var spelled = merges.Select(m => (vocab[m.Item1], vocab[m.Item2])).ToList();
        return new BpeTokenizer(vocab, spelled, BpeTokenizer.EndOfTextText);
    }

    /// <summary>A vocabulary below <see cref="MinVocab"/> is a <see cref="UserError"/>.</summary>
    public static void CheckVocab(int vocabSize)
    {
        if (vocabSize < MinVocab)
            throw new UserError($"BPE vocabulary {vocabSize} is too small: byte-level BPE needs at least {MinVocab} ids (256 byte tokens + end-of-text); use --vocab {MinVocab} or more, or --tokenizer char");
    }

    /// <summary>Pre-token counts over all documents, counted in <paramref name="threads"/> contiguous ranges.</summary>
    public static Dictionary<string, long> CountPieces(IReadOnlyList<string> documents, int threads)
    {
        threads = Math.Max(1, Math.Min(threads, documents.Count));
        var partial = new Dictionary<string, long>[threads];
        Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
        {
            var d = new Dictionary<string, long>(StringComparer.Ordinal);
            var look = d.GetAlternateLookup<ReadOnlySpan<char>>();
            int lo = (int)((long)documents.Count * t / threads), hi = (int)((long)documents.Count * (t + 1) / threads);
            for (int i = lo; i < hi; i++)
            {
                ReadOnlySpan<char> s = documents[i];
                for (int k = 0; k < s.Length;)
                {
                    int e = Gpt2PreTokenizer.Next(s, k);
                    var piece = s[k..e];
                    if (look.TryGetValue(piece, out long c)) look[piece] = c + 1;
                    else d[piece.ToString()] = 1;
                    k = e;
                }
            }
            partial[t] = d;
        });
        var all = partial[0];
        for (int t = 1; t < threads; t++)
            foreach (var (k, c) in partial[t]) all[k] = all.GetValueOrDefault(k) + c;
        return all;
    }

    private static long Key(int a, int b) => ((long)a << 32) | (uint)b;

    private static List<int> Where(Dictionary<long, List<int>> where, long p)
    {
        if (!where.TryGetValue(p, out var list)) where[p] = list = [];
        return list;
    }

    private static void Add(Dictionary<long, long> counts, HashSet<long> touched, long p, long delta)
    {
        counts[p] = counts.GetValueOrDefault(p) + delta;
        touched.Add(p);
    }
}
