namespace ScalingLab.Cli.Commands;

/// <summary>`scalinglab data zipf`: Zipf-distributed key–value facts with a known entropy rate → a data folder.</summary>
public static class DataZipfCommand
{
    // The generator's defaults live once, in its option record.
    private static readonly ZipfOptions Defaults = new();

    /// <summary>The `data zipf` sub-verb.</summary>
    public static Command Create()
    {
        var keys = new Option<int>("--keys") { Description = "number of keys K (Zipf ranks)", DefaultValueFactory = _ => Defaults.Keys };
        var exponent = new Option<double>("--exponent") { Description = "Zipf exponent a of the key frequencies p_i ∝ i^-a", DefaultValueFactory = _ => Defaults.Exponent };
        var symbols = new Option<int>("--symbols") { Description = "symbols V of codes and values", DefaultValueFactory = _ => Defaults.Symbols };
        var keyLength = new Option<int>("--key-length") { Description = "symbols per key code", DefaultValueFactory = _ => Defaults.KeyLength };
        var valueLength = new Option<int>("--value-length") { Description = "symbols per value", DefaultValueFactory = _ => Defaults.ValueLength };
        var size = DataGeneratorCommand.SampledOptions.Create(Defaults, "training tokens (rounded down to whole records)", "seed of the codes, values and samples");
        return DataGeneratorCommand.Create("zipf",
            Verb.Help("Known-entropy corpus whose loss follows power laws in N and D: records 'code value\\n' of K keys drawn with\n" +
            "Zipf frequencies (Michaud et al. 2023; Hutter 2021); the exact entropy rate H(p)/R goes into the manifest.",
            "scalinglab data zipf --keys 8192 --exponent 1.3 --tokens 5000000 --out data/zipf",
            "scalinglab data zipf --keys 256 --symbols 16 --tokens 100000 --out data/z --json"),
            [keys, exponent, symbols, keyLength, valueLength, size.Tokens, size.ValTokens, size.Seed],
            (parse, dir, progress) => GeneratedData.Write(dir, size.Apply(parse, new ZipfOptions
            {
                Keys = parse.GetValue(keys), Exponent = parse.GetValue(exponent), Symbols = parse.GetValue(symbols),
                KeyLength = parse.GetValue(keyLength), ValueLength = parse.GetValue(valueLength),
            }), progress));
    }
}
