namespace ScalingLab.Cli.Commands;

/// <summary>
/// The shape `data encode` and `data decode` share: a tokenizer, an input file read line by line, each line turned
/// into one output line, written to stdout or (atomically) to --out.
/// </summary>
internal static class DataTokenLinesCommand
{
    /// <summary>
    /// A line-by-line verb; <paramref name="line"/> maps (tokenizer, "FILE line K", text of line K) to the output line.
    /// </summary>
    public static Command Create(string name, string help, string input, string output, Func<ITokenizer, string, string, string> line)
    {
        var tokenizerOption = new Option<string>("--tokenizer") { Description = "tokenizer.json (from a data folder)", Required = true };
        var inputOption = new Option<string>("--input") { Description = input, Required = true };
        var outputOption = SharedOptions.Out(output);
        return Verb.Create(name, help, [tokenizerOption, inputOption, outputOption], parse =>
        {
            var tok = TokenizerFile.Load(parse.GetValue(tokenizerOption)!);
            string path = parse.GetValue(inputOption)!;
            if (!File.Exists(path)) throw new UserError($"input not found: {path}");
            string[] lines = CorpusReader.ReadUtf8(path).Split('\n');
            var sb = new StringBuilder();
            for (int i = 0; i < lines.Length; i++)
            {
                if (i > 0) sb.Append('\n');
                sb.Append(line(tok, $"{path} line {i + 1}", lines[i]));
            }
            string? outPath = parse.GetValue(outputOption);
            if (outPath is null) parse.InvocationConfiguration.Output.Write(sb.ToString());
            else AtomicFile.Write(outPath, s => s.Write(Wtf8.GetBytes(sb.ToString())));
            return 0;
        });
    }
}
