namespace ScalingLab.Cli.Commands;

/// <summary>`scalinglab data decode`: token ids → text, the inverse of `data encode`.</summary>
public static class DataDecodeCommand
{
    /// <summary>The `data decode` sub-verb.</summary>
    public static Command Create() => DataTokenLinesCommand.Create("decode",
        Verb.Help("Token ids → text: the inverse of 'data encode' (lines of space-separated ids; the text is written back byte for byte).",
        "scalinglab data decode --tokenizer data/corpus/tokenizer.json --input ids.txt",
        "scalinglab data decode --tokenizer data/corpus/tokenizer.json --input ids.txt --out sample.txt"),
        input: "ids file: one line of space-separated ids per text line", output: "write the text here instead of stdout",
        (tok, where, line) =>
        {
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var ids = new int[parts.Length];
            for (int k = 0; k < parts.Length; k++)
                if (!int.TryParse(parts[k], NumberStyles.None, CultureInfo.InvariantCulture, out ids[k]) || ids[k] >= tok.VocabSize)
                    throw new UserError($"{where}: '{parts[k]}' is not a token id in [0, {tok.VocabSize})");
            return tok.Decode(ids);
        });
}
