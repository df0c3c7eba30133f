using System.Text.Json.Nodes;
using ScalingLab.Common;

namespace ScalingLab.Data;

/// <summary>What to build from a corpus.</summary>
public sealed record CorpusOptions
{
    /// <summary>A text file, a folder of text files, or a JSONL file.</summary>
    public required string Input { get; init; }
    /// <summary>The data folder to create (replaced when it exists).</summary>
    public required string Output { get; init; }
    /// <summary>"bpe" (trained here), "char", "word", or the path of a tokenizer.json to reuse.</summary>
    public string Tokenizer { get; init; } = "bpe";
    /// <summary>BPE vocabulary size (256 bytes + merges + end-of-text).</summary>
    public int VocabSize { get; init; } = 4096;
    /// <summary>JSONL: the field holding the text; null reads plain text.</summary>
    public string? JsonlField { get; init; }
    /// <summary>How plain text is cut into documents.</summary>
    public DocumentUnit Unit { get; init; } = DocumentUnit.Paragraph;
    /// <summary>Fraction of documents that go to validation.</summary>
    public double ValFraction { get; init; } = 0.05;
    /// <summary>Seed of the document split.</summary>
    public ulong Seed { get; init; } = 1;
    /// <summary>Keep only the first p percent of training documents (in corpus order); 100 keeps all.</summary>
    public double TrainPercent { get; init; } = 100;
    /// <summary>Keep exactly this many training tokens (cut mid-document); null keeps all.</summary>
    public long? TrainTokens { get; init; }
    /// <summary>Threads for training the tokenizer and for tokenising.</summary>
    public int Threads { get; init; } = 2;
}

/// <summary>
/// Corpus → data folder: read documents, split them train/val by document (<see cref="DocumentSplit"/>),
/// train or load the tokenizer on the training documents, tokenise in parallel (each document independently,
/// written in corpus order, so the bits do not depend on the thread count), apply the training subset, and
/// write shards + manifest atomically.
/// </summary>
public static class CorpusBuilder
{
    /// <summary>Builds the folder; <paramref name="progress"/> receives short status lines.</summary>
    public static DataManifest Build(CorpusOptions o, Action<string>? progress = null)
    {
        if (o.ValFraction is < 0 or >= 1) throw new UserError($"--val-fraction {o.ValFraction} must be in [0, 1)");
        if (o.TrainPercent is <= 0 or > 100) throw new UserError($"--train-percent {o.TrainPercent} must be in (0, 100]");
        if (o.TrainTokens is <= 0) throw new UserError($"--train-tokens {o.TrainTokens} must be positive");
        if (o.Threads < 1) throw new UserError($"--threads {o.Threads} must be at least 1");
        // Check what can be checked before the slow work.
        if (o.Tokenizer == "bpe") BpeTrainer.CheckVocab(o.VocabSize);

        var docs = CorpusReader.Read(o.Input, o.Unit, o.JsonlField);
        var about = new DataManifest
        {
            Kind = "corpus",
            Source = Path.GetFullPath(o.Input),
            Parameters = new JsonObject
            {
                ["unit"] = o.JsonlField is null ? o.Unit.ToString().ToLowerInvariant() : "jsonl",
                ["jsonl_field"] = o.JsonlField,
            },
        };
        return Build(docs, o, about, progress);
    }

    /// <summary>
    /// Builds the folder from documents already in memory (<see cref="CorpusOptions.Input"/> is not read). The
    /// manifest takes kind, source and parameters from <paramref name="about"/>, with the builder's own parameters
    /// (tokenizer, documents, split, subset) added.
    /// </summary>
    public static DataManifest Build(IReadOnlyList<string> docs, CorpusOptions o, DataManifest about, Action<string>? progress = null)
    {
        if (o.ValFraction is < 0 or >= 1) throw new UserError($"--val-fraction {o.ValFraction} must be in [0, 1)");
        if (o.TrainPercent is <= 0 or > 100) throw new UserError($"--train-percent {o.TrainPercent} must be in (0, 100]");
        if (o.TrainTokens is <= 0) throw new UserError($"--train-tokens {o.TrainTokens} must be positive");
        if (o.Threads < 1) throw new UserError($"--threads {o.Threads} must be at least 1");
        if (o.Tokenizer == "bpe") BpeTrainer.CheckVocab(o.VocabSize);
        if (docs.Count == 0) throw new UserError("the corpus is empty: no documents");
        var isVal = new bool[docs.Count];
        Parallel.For(0, docs.Count, new ParallelOptions { MaxDegreeOfParallelism = o.Threads },
            i => isVal[i] = DocumentSplit.IsValidation(docs[i], o.Seed, o.ValFraction));
        var train = new List<int>();
        var val = new List<int>();
        for (int i = 0; i < docs.Count; i++) (isVal[i] ? val : train).Add(i);
        if (train.Count == 0) throw new UserError($"all {docs.Count} documents fell into validation; lower --val-fraction");
        progress?.Invoke($"{docs.Count} documents: {train.Count} train, {val.Count} val");

        var trainDocs = train.Select(i => docs[i]).ToList();
        ITokenizer tok = o.Tokenizer switch
        {
            "bpe" => BpeTrainer.Train(trainDocs, o.VocabSize, o.Threads,
                (done, wanted) => { if (done % 512 == 0 || done == wanted) progress?.Invoke($"BPE merges {done}/{wanted}"); }),
            // Closed vocabularies take every document's symbols, so validation has no unknown ones.
            "char" => CharTokenizer.Train(docs),
            "word" => WordTokenizer.Train(docs),
            _ => TokenizerFile.Load(o.Tokenizer),
        };
        if (o.Tokenizer == "bpe" && tok.VocabSize < o.VocabSize)
            progress?.Invoke($"tokenizer: {tok.VocabSize} ids, fewer than the {o.VocabSize} asked: no pair occurs twice any more");
        else
            progress?.Invoke($"tokenizer: {tok.VocabSize} ids");

        int keepDocs = o.TrainPercent >= 100 ? train.Count : Math.Max(1, (int)Math.Floor(train.Count * o.TrainPercent / 100.0));
        long trainTokenLimit = o.TrainTokens ?? long.MaxValue;
        var manifest = DataFolderWriter.Write(o.Output, tok, w =>
        {
            w.AddSplit("train");
            w.AddSplit("val");
            long trainWritten = 0;
            WriteSplit(w, "train", train.Take(keepDocs).Select(i => docs[i]).ToList(), tok, o.Threads, progress, ref trainWritten, trainTokenLimit);
            long valWritten = 0;
            WriteSplit(w, "val", val.Select(i => docs[i]).ToList(), tok, o.Threads, progress, ref valWritten, long.MaxValue);
            if (o.TrainTokens is long d && trainWritten < d)
                throw new UserError($"--train-tokens {d} asks for more than the {trainWritten} training tokens the corpus has");
            var parameters = new JsonObject
            {
                ["tokenizer"] = o.Tokenizer,
                ["documents"] = docs.Count,
            };
            foreach (var (k, v) in about.Parameters ?? new JsonObject()) parameters[k] = v?.DeepClone();
            parameters["val_fraction"] = o.ValFraction;
            parameters["train_percent"] = o.TrainPercent;
            parameters["train_tokens"] = o.TrainTokens;
            parameters["train_documents_available"] = train.Count;
            return about with { Seed = o.Seed, Parameters = parameters };
        });
        return manifest;
    }

    /// <summary>
    /// Tokenises documents in batches: each batch in parallel (one array per document), then appended in order.
    /// Stops after <paramref name="limit"/> tokens (the last document cut).
    /// </summary>
    private static void WriteSplit(DataFolderWriter w, string split, List<string> docs, ITokenizer tok, int threads,
                                   Action<string>? progress, ref long written, long limit)
    {
        const long batchChars = 8L << 20;
        int start = 0;
        long totalChars = docs.Sum(d => (long)d.Length), doneChars = 0;
        while (start < docs.Count && written < limit)
        {
            int end = start;
            long chars = 0;
            while (end < docs.Count && (chars < batchChars || end == start)) chars += docs[end++].Length;
            var ids = new int[end - start][];
            Parallel.For(start, end, new ParallelOptions { MaxDegreeOfParallelism = threads }, i => ids[i - start] = tok.Encode(docs[i]));
            foreach (int[] d in ids)
            {
                long room = limit - written;
                if (room <= 0) break;
                if (d.Length + (tok.EndOfTextId >= 0 ? 1 : 0) <= room)
                {
                    w.AppendDocument(split, d);
                    written += d.Length + (tok.EndOfTextId >= 0 ? 1 : 0);
                }
                else
                {
                    w.Append(split, d.AsSpan(0, (int)room)); // the last document, cut to fill exactly `limit`
                    written = limit;
                }
            }
            doneChars += chars;
            start = end;
            progress?.Invoke($"{split}: {100.0 * doneChars / Math.Max(1, totalChars):F0}% of characters tokenised");
        }
    }
}
