namespace ScalingLab.Cli.Commands;

/// <summary>`scalinglab data stats`: a data folder's manifest, with its shards opened and checked.</summary>
public static class DataStatsCommand
{
    /// <summary>The `data stats` sub-verb.</summary>
    public static Command Create()
    {
        var dir = new Argument<string>("dir") { Description = "a data folder" };
        return Verb.Printing("stats",
            Verb.Help("Show a data folder: kind, source, vocabulary, documents and tokens per split, entropy rate when known.\n" +
            "The shards are opened and checked (headers, lengths, tokenizer hash).",
            "scalinglab data stats data/corpus",
            "scalinglab data stats data/markov --json"), [dir], parse =>
        {
            string d = parse.GetValue(dir)!;
            using var ds = TokenDataset.Open(d);
            DataCommand.Report(parse, ds.Manifest, d, null);
            return 0;
        }, json: DataCommand.ManifestJson);
    }
}
