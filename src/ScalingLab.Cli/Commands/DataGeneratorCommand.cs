namespace ScalingLab.Cli.Commands;

/// <summary>The shape every generator verb of `scalinglab data` (qf, markov, zipf, memorize) shares.</summary>
internal static class DataGeneratorCommand
{
    /// <summary>--tokens, --val-tokens and --seed of a sampled corpus (markov, zipf, memorize), with its defaults and wording.</summary>
    internal sealed record SampledOptions(Option<long> Tokens, Option<long?> ValTokens, Option<ulong> Seed)
    {
        /// <summary>The three options; <paramref name="tokens"/> and <paramref name="seed"/> describe them for this generator.</summary>
        public static SampledOptions Create(SampledCorpusOptions defaults, string tokens, string seed) => new(
            new Option<long>("--tokens") { Description = tokens, DefaultValueFactory = _ => defaults.Tokens },
            new Option<long?>("--val-tokens") { Description = "validation tokens (default: a tenth of --tokens)" },
            new Option<ulong>("--seed") { Description = seed, DefaultValueFactory = _ => defaults.Seed });

        /// <summary><paramref name="o"/> with the tokens, validation tokens and seed the command line gave.</summary>
        public T Apply<T>(ParseResult parse, T o) where T : SampledCorpusOptions =>
            (T)((SampledCorpusOptions)o with { Tokens = parse.GetValue(Tokens), ValTokens = parse.GetValue(ValTokens), Seed = parse.GetValue(Seed) });
    }

    /// <summary>
    /// A generator verb: its own options plus --out and --json; the action writes the folder through the library
    /// (<paramref name="write"/>: parse result, folder, progress) and prints the manifest.
    /// </summary>
    internal static Command Create(string name, string help, Option[] options,
                                   Func<ParseResult, string, Action<string>, DataManifest> write)
    {
        var output = SharedOptions.DataOut();
        return Verb.Printing(name, help, options.Prepend(output), parse =>
        {
            var sw = Stopwatch.StartNew();
            string outDir = parse.GetValue(output)!;
            var m = write(parse, outDir, DataCommand.Progress(parse.InvocationConfiguration.Error, name));
            DataCommand.Report(parse, m, outDir, sw.Elapsed.TotalSeconds);
            return 0;
        }, json: DataCommand.ManifestJson);
    }
}
