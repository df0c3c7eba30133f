using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using ScalingLab.Data;
using ScalingLab.Tensors;

namespace ScalingLab.Bench;

/// <summary>
/// Data throughput: byte-level BPE encoding (MB of UTF-8 text per second) and shard writing, on a synthetic
/// corpus generated here (Zipf-distributed invented words, punctuation, numbers, some accented, CJK and emoji
/// text). The reference for encoding is the textbook GPT-2 encoder (OpenAI's encoder.py, written plainly in
/// C#: the pre-tokenisation regex, a per-word cache, merges over strings); the reference for shard writing is a
/// plain FileStream write of the same bytes. Both run in the same process on the same input.
/// </summary>
public static class DataBench
{
    /// <summary>What to run.</summary>
    public sealed record Options(double CorpusMb = 50, int Merges = 4096, int Threads = 2, double TrainMb = 8, double ReferenceMb = 5, ulong Seed = 1);

    /// <summary>The figures.</summary>
    public sealed record Result(double CorpusMb, int VocabSize, int Threads, long Tokens, double TrainSeconds,
                                double EncodeMbPerSec, double ReferenceMbPerSec, double ShardMbPerSec, double ShardMTokensPerSec,
                                double RawWriteMbPerSec, double EncodeMbPerCpuSec, double WarmMbPerSec, double WarmMbPerCpuSec)
    {
        /// <summary>ours ÷ reference encoder.</summary>
        public double EncodeRatio => EncodeMbPerSec / ReferenceMbPerSec;

        /// <summary>shard writer ÷ plain write of the same bytes.</summary>
        public double ShardRatio => ShardMbPerSec / RawWriteMbPerSec;
    }

    /// <summary>Runs the bench; progress lines go to <paramref name="progress"/>.</summary>
    public static Result Run(Options o, TextWriter progress)
    {
        var sw = Stopwatch.StartNew();
        var docs = Corpus(o.CorpusMb, o.Seed);
        long bytes = docs.Sum(d => (long)Encoding.UTF8.GetByteCount(d));
        progress.WriteLine(F($"data bench: corpus {bytes / 1e6:F1} MB in {docs.Count} documents, made in {sw.Elapsed.TotalSeconds:F1} s"));

        var trainDocs = Prefix(docs, o.TrainMb);
        sw.Restart();
        var tok = BpeTrainer.Train(trainDocs, 256 + o.Merges + 1, o.Threads);
        double trainSec = sw.Elapsed.TotalSeconds;
        progress.WriteLine(F($"data bench: trained {tok.VocabSize - 257} merges on {o.TrainMb} MB in {trainSec:F1} s"));

        // Ours: contiguous ranges of documents per thread, each thread its own encoder state.
        tok.Encode(docs[0]); // warm the JIT
        var ids = new int[docs.Count][];
        var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
        sw.Restart();
        Parallel.For(0, o.Threads, new ParallelOptions { MaxDegreeOfParallelism = o.Threads }, t =>
        {
            int lo = (int)((long)docs.Count * t / o.Threads), hi = (int)((long)docs.Count * (t + 1) / o.Threads);
            for (int i = lo; i < hi; i++) ids[i] = tok.Encode(docs[i]);
        });
        double encSec = sw.Elapsed.TotalSeconds;
        double encCpuSec = (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalSeconds;
        long tokens = ids.Sum(x => (long)x.Length);
        progress.WriteLine(F($"data bench: encoded {tokens:N0} tokens ({bytes / (double)tokens:F2} bytes/token) in {encSec:F2} s"));

        // Again, warm: every pre-token is cached and the JIT has tiered up (a long tokenisation job's steady state).
        cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
        sw.Restart();
        Parallel.For(0, o.Threads, new ParallelOptions { MaxDegreeOfParallelism = o.Threads }, t =>
        {
            int lo = (int)((long)docs.Count * t / o.Threads), hi = (int)((long)docs.Count * (t + 1) / o.Threads);
            for (int i = lo; i < hi; i++) tok.Encode(docs[i]);
        });
        double warmSec = sw.Elapsed.TotalSeconds;
        double warmCpuSec = (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalSeconds;

        // Reference: encoder.py's algorithm on a prefix, same thread count.
        var refDocs = Prefix(docs, o.ReferenceMb);
        long refBytes = refDocs.Sum(d => (long)Encoding.UTF8.GetByteCount(d));
        var reference = new ReferenceEncoder(tok);
        sw.Restart();
        var refIds = new int[refDocs.Count][];
        Parallel.For(0, o.Threads, new ParallelOptions { MaxDegreeOfParallelism = o.Threads }, t =>
        {
            var cache = new Dictionary<string, int[]>();
            int lo = (int)((long)refDocs.Count * t / o.Threads), hi = (int)((long)refDocs.Count * (t + 1) / o.Threads);
            for (int i = lo; i < hi; i++) refIds[i] = reference.Encode(refDocs[i], cache);
        });
        double refSec = sw.Elapsed.TotalSeconds;
        for (int i = 0; i < refDocs.Count; i++)
            if (!refIds[i].AsSpan().SequenceEqual(ids[i])) throw new InvalidOperationException($"reference and ours disagree on document {i}");

        // Shards: the token stream through ShardWriter vs a plain write of the same bytes.
        string dir = Directory.CreateTempSubdirectory("scalinglab-bench-").FullName;
        try
        {
            // Best of three, alternating the two writers (the disk is shared; fsync times vary).
            double shardSec = double.MaxValue, rawSec = double.MaxValue;
            string shardPath = Path.Combine(dir, "train-000000.bin"), rawPath = Path.Combine(dir, "raw.bin");
            long shardBytes = 0;
            for (int rep = 0; rep < 3; rep++)
            {
                sw.Restart();
                using (var w = new ShardWriter(shardPath, tok.VocabSize, new byte[32]))
                {
                    foreach (var d in ids) w.Append(d);
                    w.Commit();
                }
                shardSec = Math.Min(shardSec, sw.Elapsed.TotalSeconds);
                shardBytes = new FileInfo(shardPath).Length;
                var raw = new byte[shardBytes];
                File.Delete(rawPath);
                sw.Restart();
                using (var fs = new FileStream(rawPath, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
                {
                    for (long off = 0; off < raw.Length; off += 1 << 20) fs.Write(raw, (int)off, (int)Math.Min(1 << 20, raw.Length - off));
                    fs.Flush(flushToDisk: true);
                }
                rawSec = Math.Min(rawSec, sw.Elapsed.TotalSeconds);
            }
            return new Result(bytes / 1e6, tok.VocabSize, o.Threads, tokens, trainSec,
                bytes / 1e6 / encSec, refBytes / 1e6 / refSec, shardBytes / 1e6 / shardSec, tokens / 1e6 / shardSec, shardBytes / 1e6 / rawSec, bytes / 1e6 / encCpuSec,
                bytes / 1e6 / warmSec, bytes / 1e6 / warmCpuSec);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>The figures as a table.</summary>
    public static void WriteTable(Result r, TextWriter o)
    {
        o.WriteLine(F($"BPE encoding, {r.VocabSize - 257} merges, {r.Threads} threads, {r.CorpusMb:F1} MB corpus ({r.Tokens:N0} tokens)"));
        o.WriteLine(F($"  {"",-28} {"MB/s",10} {"ratio",8}"));
        o.WriteLine(F($"  {"ScalingLab BpeTokenizer",-28} {r.EncodeMbPerSec,10:F1} {r.EncodeRatio,8:F2}"));
        o.WriteLine(F($"  {"reference (encoder.py way)",-28} {r.ReferenceMbPerSec,10:F1} {1.0,8:F2}"));
        o.WriteLine(F($"  {"target",-28} {20.0,10:F1} {r.EncodeMbPerSec / 20.0,8:F2}"));
        o.WriteLine(F($"  {"ours, warm second pass",-28} {r.WarmMbPerSec,10:F1} {r.WarmMbPerSec / r.ReferenceMbPerSec,8:F2}"));
        o.WriteLine(F($"  per CPU-second of ours: first pass {r.EncodeMbPerCpuSec:F1} MB, warm {r.WarmMbPerCpuSec:F1} MB"));
        o.WriteLine(F($"    (on {r.Threads} idle cores that would be {r.EncodeMbPerCpuSec * r.Threads:F1} and {r.WarmMbPerCpuSec * r.Threads:F1} MB/s; this machine is shared)"));
        o.WriteLine(F($"Shard writing ({ShardFile.BytesPerTokenFor(r.VocabSize)}-byte ids)"));
        o.WriteLine(F($"  {"ShardWriter",-28} {r.ShardMbPerSec,10:F1} {r.ShardRatio,8:F2}   ({r.ShardMTokensPerSec:F1} M tokens/s)"));
        o.WriteLine(F($"  {"plain FileStream write",-28} {r.RawWriteMbPerSec,10:F1} {1.0,8:F2}"));
        o.WriteLine(F($"BPE training: {r.TrainSeconds:F1} s"));
    }

    /// <summary>The figures as one JSON object.</summary>
    public static string ToJson(Result r) => JsonSerializer.Serialize(new
    {
        corpus_mb = r.CorpusMb, merges = r.VocabSize - 257, threads = r.Threads, tokens = r.Tokens,
        encode_mb_per_s = r.EncodeMbPerSec, reference_mb_per_s = r.ReferenceMbPerSec, encode_ratio = r.EncodeRatio,
        shard_mb_per_s = r.ShardMbPerSec, shard_mtokens_per_s = r.ShardMTokensPerSec, raw_write_mb_per_s = r.RawWriteMbPerSec,
        shard_ratio = r.ShardRatio, bpe_train_seconds = r.TrainSeconds, encode_mb_per_cpu_s = r.EncodeMbPerCpuSec,
        warm_mb_per_s = r.WarmMbPerSec, warm_mb_per_cpu_s = r.WarmMbPerCpuSec,
    });

    /// <summary>
    /// A synthetic corpus of about <paramref name="mb"/> MB: documents of 100–600 words drawn from a Zipf(1.1)
    /// law over 30,000 invented words, with punctuation, numbers, capitals, line breaks, and about 1% of words
    /// accented, CJK or emoji.
    /// </summary>
    public static List<string> Corpus(double mb, ulong seed)
    {
        var rng = new Rng(seed, 0x434F5250UL);
        string[] syllables = ["ka", "to", "ri", "men", "sel", "an", "or", "tha", "ing", "ed", "pro", "con", "ver", "al", "ist", "na", "le", "mo", "ux", "st", "qu", "ie", "ow", "er"];
        string[] exotic = ["café", "naïve", "Zürich", "東京", "漢字", "データ", "😀", "👍🏽", "ß", "Ελλάδα"];
        var lexicon = new string[30_000];
        for (int i = 0; i < lexicon.Length; i++)
        {
            var sb = new StringBuilder();
            int n = 1 + rng.NextInt(3) + (i > 1000 ? 1 : 0);
            for (int k = 0; k < n; k++) sb.Append(syllables[rng.NextInt(syllables.Length)]);
            lexicon[i] = sb.ToString();
        }
        var cdf = new double[lexicon.Length];
        double acc = 0;
        for (int i = 0; i < cdf.Length; i++) cdf[i] = acc += 1.0 / Math.Pow(i + 1, 1.1);
        long target = (long)(mb * 1e6), size = 0;
        var docs = new List<string>();
        var doc = new StringBuilder();
        while (size < target)
        {
            doc.Clear();
            int words = 100 + rng.NextInt(500);
            for (int w = 0; w < words; w++)
            {
                if (w > 0) doc.Append(rng.NextInt(40) == 0 ? "\n" : " ");
                int r = rng.NextInt(100);
                if (r == 0) doc.Append(exotic[rng.NextInt(exotic.Length)]);
                else if (r < 3) doc.Append(rng.NextInt(10_000).ToString(CultureInfo.InvariantCulture));
                else
                {
                    int idx = Array.BinarySearch(cdf, rng.NextDouble() * acc);
                    string word = lexicon[idx < 0 ? ~idx : idx];
                    doc.Append(r < 8 ? char.ToUpperInvariant(word[0]) + word[1..] : word);
                }
                int p = rng.NextInt(20);
                if (p == 0) doc.Append('.'); else if (p == 1) doc.Append(','); else if (p == 2) doc.Append("'s");
            }
            string d = doc.ToString();
            docs.Add(d);
            size += Encoding.UTF8.GetByteCount(d);
        }
        return docs;
    }

    private static List<string> Prefix(List<string> docs, double mb)
    {
        var list = new List<string>();
        long size = 0;
        foreach (string d in docs)
        {
            if (size >= mb * 1e6) break;
            list.Add(d);
            size += Encoding.UTF8.GetByteCount(d);
        }
        return list;
    }

    private static string F(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// GPT-2's encoder as OpenAI's encoder.py writes it: regex pieces, bytes spelled as characters, a cache of
    /// pieces, and the merge loop over strings (lowest-ranked bigram, all its occurrences, repeat).
    /// </summary>
    private sealed class ReferenceEncoder
    {
        private static readonly Regex Pattern = new(@"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+", RegexOptions.Compiled);
        private readonly Dictionary<(string, string), int> _ranks = new();
        private readonly Dictionary<string, int> _ids = new();

        public ReferenceEncoder(BpeTokenizer tok)
        {
            int r = 0;
            foreach (var m in tok.Merges) _ranks.TryAdd(m, r++);
            for (int i = 0; i < tok.VocabSize; i++) _ids[tok.Vocab[i]] = i;
        }

        public int[] Encode(string text, Dictionary<string, int[]> cache)
        {
            var result = new List<int>();
            foreach (Match m in Pattern.Matches(text))
            {
                string spelled = ByteLevel.Spell(Encoding.UTF8.GetBytes(m.Value));
                if (!cache.TryGetValue(spelled, out var ids))
                {
                    var word = spelled.Select(c => c.ToString()).ToList();
                    while (word.Count > 1)
                    {
                        (string, string)? best = null;
                        int bestRank = int.MaxValue;
                        for (int i = 0; i + 1 < word.Count; i++)
                            if (_ranks.TryGetValue((word[i], word[i + 1]), out int rk) && rk < bestRank) { bestRank = rk; best = (word[i], word[i + 1]); }
                        if (best is null) break;
                        var next = new List<string>(word.Count);
                        for (int i = 0; i < word.Count; i++)
                        {
                            if (i + 1 < word.Count && (word[i], word[i + 1]) == best.Value) { next.Add(word[i] + word[i + 1]); i++; }
                            else next.Add(word[i]);
                        }
                        word = next;
                    }
                    ids = word.Select(w => _ids[w]).ToArray();
                    cache[spelled] = ids;
                }
                result.AddRange(ids);
            }
            return result.ToArray();
        }
    }
}
