namespace ScalingLab.Cli.Commands;

/// <summary>`scalinglab data encode`: text → token ids, one line of ids per text line.</summary>
public static class DataEncodeCommand
{
    /// <summary>The `data encode` sub-verb.</summary>
    public static Command Create() => DataTokenLinesCommand.Create("encode",
        Verb.Help("Text → token ids: one line of space-separated ids per input line ('data decode' inverts it byte for byte).",
        "scalinglab data encode --tokenizer data/corpus/tokenizer.json --input sample.txt",
        "scalinglab data encode --tokenizer data/corpus/tokenizer.json --input sample.txt --out ids.txt"),
        input: "UTF-8 text file", output: "write ids here instead of stdout",
        (tok, where, line) => string.Join(' ', tok.Encode(line)));
}
