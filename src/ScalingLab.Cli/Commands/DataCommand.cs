namespace ScalingLab.Cli.Commands;

/// <summary>
/// `scalinglab data`: corpora → token shards, generated data sets (Question-Formation, Markov chains with a known entropy
/// rate, Zipf facts, memorisable sequences), and inspection (encode, decode, stats). One verb per file (Data*Command);
/// here the group, the options the corpus builders share, and the manifest print every verb that makes a folder ends with.
/// </summary>
public static class DataCommand
{
    /// <summary>The `data` verb and its sub-verbs.</summary>
    public static Command Create() => Verb.Group("data",
        Verb.Help("Make and inspect data folders (manifest.json, tokenizer.json, token shards) for training.",
        "scalinglab data tokenize --input corpus.txt --vocab 4096 --out data/corpus",
        "scalinglab data qf --out data/qf",
        "scalinglab data markov --order 2 --vocab 64 --tokens 5000000 --out data/markov",
        "scalinglab data stats data/corpus"),
        DataTokenizeCommand.Create(), DataEncodeCommand.Create(), DataDecodeCommand.Create(), DataStatsCommand.Create(),
        DataQfCommand.Create(), DataMarkovCommand.Create(), DataZipfCommand.Create(), DataMemorizeCommand.Create(), DataEnglishCommand.Create());

    /// <summary>--vocab of the BPE corpus builders (tokenize, english).</summary>
    internal static Option<int> BpeVocab() => new("--vocab") { Description = "BPE vocabulary size: 256 bytes + merges + end-of-text (at least 257)", DefaultValueFactory = _ => 4096 };

    /// <summary>--val-fraction of the corpus builders, with the builder's default.</summary>
    internal static Option<double> ValFraction(double fallback) => new("--val-fraction")
    { Description = "fraction of documents for validation (split by a seeded hash of each document)", DefaultValueFactory = _ => fallback };

    /// <summary>--threads of the BPE corpus builders.</summary>
    internal static Option<int> BpeThreads() => SharedOptions.Threads("threads for BPE training and tokenising", 2);

    /// <summary>What --json prints for every verb that prints a data manifest (<see cref="Report"/>).</summary>
    internal const string ManifestJson = "the data manifest";

    /// <summary>Prints a manifest: the JSON object with --json, or a short table.</summary>
    internal static void Report(ParseResult parse, DataManifest m, string dir, double? seconds)
    {
        var o = parse.InvocationConfiguration.Output;
        if (Verb.WantsJson(parse))
        {
            o.WriteLine(JsonSerializer.Serialize(m, new JsonSerializerOptions(DataManifest.Json) { WriteIndented = false }));
            return;
        }
        var inv = CultureInfo.InvariantCulture;
        o.WriteLine(string.Create(inv, $"{dir}: {m.Kind} from {m.Source}"));
        o.WriteLine(string.Create(inv, $"  vocabulary {m.VocabSize} ({m.BytesPerToken * 8}-bit ids), tokenizer sha256 {m.TokenizerSha256[..12]}…"));
        if (m.EntropyRateNats is double h) o.WriteLine(string.Create(inv, $"  true entropy rate {h:F6} nats/token"));
        o.WriteLine($"  {"split",-6} {"documents",12} {"tokens",14} {"shards",7}");
        foreach (var (name, s) in m.Splits)
            o.WriteLine(string.Create(inv, $"  {name,-6} {s.Documents,12:N0} {s.Tokens,14:N0} {s.Shards.Count,7}"));
        if (seconds is double sec) o.WriteLine(string.Create(inv, $"  done in {sec:F1} s"));
    }

    /// <summary>Progress lines on stderr, at most a few per second.</summary>
    internal static Action<string> Progress(TextWriter err, string what)
    {
        var sw = Stopwatch.StartNew();
        double last = -1;
        return line =>
        {
            double t = sw.Elapsed.TotalSeconds;
            if (t - last < 0.5 && !line.Contains("100%")) return;
            last = t;
            lock (err) err.WriteLine($"{what}: {line}");
        };
    }
}
