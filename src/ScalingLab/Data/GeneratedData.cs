using System.Text.Json.Nodes;
using ScalingLab.Common;

namespace ScalingLab.Data;

/// <summary>
/// What every sampled corpus of known entropy takes besides its source (Markov, memorize, Zipf facts): how many training
/// and validation tokens to sample, and the seed of the source and the samples.
/// </summary>
public abstract record SampledCorpusOptions
{
    /// <summary>Training tokens.</summary>
    public long Tokens { get; init; }
    /// <summary>Validation tokens; null = a tenth of <see cref="Tokens"/> (<see cref="ValTokensOrTenth"/>).</summary>
    public long? ValTokens { get; init; }
    /// <summary>Seed of the source and the samples.</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>The validation tokens: as given, else a tenth of the training tokens, at least <paramref name="minimum"/>.</summary>
    public long ValTokensOrTenth(long minimum) => ValTokens ?? Math.Max(minimum, Tokens / 10);
}

/// <summary>A random order-k Markov chain corpus (<see cref="SyntheticCorpora.WriteMarkov"/>); defaults are the `data markov` verb's.</summary>
public sealed record MarkovOptions : SampledCorpusOptions
{
    /// <summary>The defaults: 5M training tokens.</summary>
    public MarkovOptions() => Tokens = 5_000_000;

    /// <summary>Symbols of context k.</summary>
    public int Order { get; init; } = 2;
    /// <summary>Number of symbols V.</summary>
    public int Vocab { get; init; } = 64;
    /// <summary>Dirichlet α of each transition row (small: predictable, large: near uniform).</summary>
    public double Concentration { get; init; } = 0.2;
}

/// <summary>The memorisation corpus (<see cref="SyntheticCorpora.WriteMemorize"/>); defaults are the `data memorize` verb's.</summary>
public sealed record MemorizeOptions : SampledCorpusOptions
{
    /// <summary>The defaults: 1M training tokens (whole sequences).</summary>
    public MemorizeOptions() => Tokens = 1_000_000;

    /// <summary>Number d of distinct sequences.</summary>
    public int Sequences { get; init; } = 1000;
    /// <summary>Symbols per sequence L (a newline follows each).</summary>
    public int Length { get; init; } = 31;
    /// <summary>Number of symbols V.</summary>
    public int Vocab { get; init; } = 64;
    /// <summary>Every two sequences differ in at least this many positions.</summary>
    public int MinDistance { get; init; } = 1;
}

/// <summary>A Zipf key–value corpus (<see cref="SyntheticCorpora.WriteZipf"/>, <see cref="ZipfFacts"/>); defaults are the `data zipf` verb's.</summary>
public sealed record ZipfOptions : SampledCorpusOptions
{
    /// <summary>The defaults: 5M training tokens (rounded down to whole records).</summary>
    public ZipfOptions() => Tokens = 5_000_000;

    /// <summary>Number of keys K (Zipf ranks).</summary>
    public int Keys { get; init; } = 8192;
    /// <summary>Zipf exponent a of the key frequencies p_i ∝ i^-a.</summary>
    public double Exponent { get; init; } = 1.3;
    /// <summary>Symbols V of codes and values.</summary>
    public int Symbols { get; init; } = 64;
    /// <summary>Symbols per key code.</summary>
    public int KeyLength { get; init; } = 2;
    /// <summary>Symbols per value.</summary>
    public int ValueLength { get; init; } = 1;
}

/// <summary>Question-Formation data (McCoy et al. 2020), generated from a grammar or read from the original files; defaults are the `data qf` verb's.</summary>
public sealed record QfOptions
{
    /// <summary>Generator seed.</summary>
    public ulong Seed { get; init; } = 1;
    /// <summary>Training lines.</summary>
    public int Train { get; init; } = 100_000;
    /// <summary>Dev lines (the 'val' split).</summary>
    public int Dev { get; init; } = 1_000;
    /// <summary>Test lines.</summary>
    public int Test { get; init; } = 10_000;
    /// <summary>Generalisation lines (subject relative clauses).</summary>
    public int Gen { get; init; } = 10_000;
    /// <summary>A .gr grammar file; null = McCoy et al.'s question.gr, built in.</summary>
    public string? Grammar { get; init; }
    /// <summary>Read the original files (question.train/dev/test/gen) from this folder instead of generating.</summary>
    public string? From { get; init; }
}

/// <summary>
/// The built-in data generators as library calls: the `data markov|memorize|qf` verbs and a sweep spec's
/// <c>data: { generator: ..., options: {...} }</c> both end here, each with its own typed options.
/// </summary>
public static class GeneratedData
{
    /// <summary>The generators a sweep spec may name.</summary>
    public static readonly IReadOnlyList<string> Names = ["markov", "memorize", "qf", "zipf", "english"];

    /// <summary>Writes a Markov corpus into <paramref name="dir"/>.</summary>
    public static DataManifest Write(string dir, MarkovOptions o, Action<string>? progress = null) =>
        SyntheticCorpora.WriteMarkov(dir, o.Order, o.Vocab, o.Concentration, o.Tokens, o.ValTokensOrTenth(1), o.Seed, progress);

    /// <summary>Writes a memorisation corpus into <paramref name="dir"/>.</summary>
    public static DataManifest Write(string dir, MemorizeOptions o, Action<string>? progress = null) =>
        SyntheticCorpora.WriteMemorize(dir, o.Sequences, o.Length, o.Vocab, o.MinDistance, o.Tokens, o.ValTokensOrTenth(1), o.Seed, progress);

    /// <summary>Writes a Zipf key–value corpus into <paramref name="dir"/>.</summary>
    public static DataManifest Write(string dir, ZipfOptions o, Action<string>? progress = null)
    {
        var source = new ZipfFacts(o.Keys, o.Exponent, o.Symbols, o.KeyLength, o.ValueLength, o.Seed);
        return SyntheticCorpora.WriteZipf(dir, source, o.Tokens, o.ValTokensOrTenth(source.RecordLength), o.Seed, progress);
    }

    /// <summary>Writes Question-Formation data into <paramref name="dir"/>: generated from the grammar, or the original files of <see cref="QfOptions.From"/>.</summary>
    public static DataManifest Write(string dir, QfOptions o)
    {
        if (o.Grammar is not null && !File.Exists(o.Grammar)) throw new UserError($"grammar file not found: {o.Grammar}");
        var grammar = o.Grammar is null ? QfGrammar.McCoy() : new QfGrammar(CorpusReader.ReadUtf8(o.Grammar), o.Grammar);
        Dictionary<string, List<QfExample>> splits;
        string source;
        if (o.From is { } from)
        {
            if (!Directory.Exists(from)) throw new UserError($"folder not found: {from}");
            splits = new();
            foreach (string name in QuestionFormation.FileSplits)
            {
                string f = Path.Combine(from, "question." + name);
                if (File.Exists(f)) splits[name] = QuestionFormation.ReadFile(f);
            }
            if (!splits.ContainsKey("train")) throw new UserError($"{from} has no question.train");
            source = Path.GetFullPath(from);
        }
        else
        {
            splits = QuestionFormation.Generate(grammar, o.Seed, o.Train, o.Dev, o.Test, o.Gen);
            source = o.Grammar is null ? "generated from McCoy et al.'s question.gr" : "generated from " + Path.GetFullPath(o.Grammar);
        }
        var parameters = new JsonObject
        {
            ["from_files"] = o.From is not null,
            ["lines"] = new JsonObject(splits.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value.Count))),
        };
        return QuestionFormation.WriteFolder(dir, grammar, splits, source, o.Seed, parameters);
    }
}
