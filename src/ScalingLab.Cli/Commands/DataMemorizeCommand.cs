namespace ScalingLab.Cli.Commands;

/// <summary>`scalinglab data memorize`: d distinct random sequences to memorise (Niu et al.) → a data folder.</summary>
public static class DataMemorizeCommand
{
    // The generator's defaults live once, in its option record.
    private static readonly MemorizeOptions Defaults = new();

    /// <summary>The `data memorize` sub-verb.</summary>
    public static Command Create()
    {
        var sequences = new Option<int>("--sequences") { Description = "number d of distinct sequences", DefaultValueFactory = _ => Defaults.Sequences };
        var length = new Option<int>("--length") { Description = "symbols per sequence L (a newline follows each)", DefaultValueFactory = _ => Defaults.Length };
        var vocab = new Option<int>("--vocab") { Description = "number of symbols V", DefaultValueFactory = _ => Defaults.Vocab };
        var distance = new Option<int>("--min-distance") { Description = "separation: every two sequences differ in at least this many positions", DefaultValueFactory = _ => Defaults.MinDistance };
        var size = DataGeneratorCommand.SampledOptions.Create(Defaults, "training tokens (whole sequences)", "seed");
        return DataGeneratorCommand.Create("memorize",
            Verb.Help("Memorisation regime (Niu et al.): d distinct random sequences drawn again and again; true entropy rate\n" +
            "ln d / (L + 1) nats/token in the manifest.",
            "scalinglab data memorize --sequences 1000 --length 31 --vocab 64 --out data/mem",
            "scalinglab data memorize --sequences 200 --length 15 --min-distance 8 --tokens 200000 --out data/mem-sep"), 
            [sequences, length, vocab, distance, size.Tokens, size.ValTokens, size.Seed],
            (parse, dir, progress) => GeneratedData.Write(dir, size.Apply(parse, new MemorizeOptions
            {
                Sequences = parse.GetValue(sequences), Length = parse.GetValue(length), Vocab = parse.GetValue(vocab),
                MinDistance = parse.GetValue(distance),
            }), progress));
    }
}
