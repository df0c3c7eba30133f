namespace ScalingLab.Cli.Commands;

/// <summary>The shape every generator verb of `scalinglab data` (qf, markov, zipf, memorize) shares.</summary>
internal static class DataGeneratorCommand
{
    /// <summary>--val-tokens of the corpus generators.</summary>
    internal static Option<long?> ValTokens() => new("--val-tokens") { Description = "validation tokens (default: a tenth of --tokens)" };

    /// <summary>
    /// A generator verb: its own options plus --out and --json; the action writes the folder through the library
    /// (<paramref name="write"/>: parse result, folder, progress) and prints the manifest.
    /// </summary>
    internal static Command Create(string name, string help, Option[] options,
                                   Func<ParseResult, string, Action<string>, DataManifest> write)
    {
        var output = SharedOptions.DataOut();
        var json = DataCommand.ManifestJson();
        return Verb.Create(name, help, options.Prepend(output).Append(json), parse =>
        {
            var sw = Stopwatch.StartNew();
            string outDir = parse.GetValue(output)!;
            var m = write(parse, outDir, DataCommand.Progress(parse.InvocationConfiguration.Error, name));
            DataCommand.Report(parse, m, outDir, sw.Elapsed.TotalSeconds, parse.GetValue(json));
            return 0;
        });
    }
}
