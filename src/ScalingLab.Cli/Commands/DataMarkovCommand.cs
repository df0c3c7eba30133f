namespace ScalingLab.Cli.Commands;

/// <summary>`scalinglab data markov`: a random order-k Markov chain with a known entropy rate → a data folder.</summary>
public static class DataMarkovCommand
{
    // The generator's defaults live once, in its option record.
    private static readonly MarkovOptions Defaults = new();

    /// <summary>The `data markov` sub-verb.</summary>
    public static Command Create()
    {
        var order = new Option<int>("--order") { Description = "symbols of context k", DefaultValueFactory = _ => Defaults.Order };
        var vocab = new Option<int>("--vocab") { Description = "number of symbols V", DefaultValueFactory = _ => Defaults.Vocab };
        var size = DataGeneratorCommand.SampledOptions.Create(Defaults, "training tokens", "seed of the chain and the samples");
        var alpha = new Option<double>("--concentration") { Description = "Dirichlet α of each transition row (small: predictable, large: near uniform)", DefaultValueFactory = _ => Defaults.Concentration };
        return DataGeneratorCommand.Create("markov",
            Verb.Help("Known-entropy corpus: a random order-k Markov chain over V symbols (Dirichlet rows), sampled; its exact\n" +
            "entropy rate Σ π(s)·H(P(·|s)) (nats/token) goes into the manifest as the true irreducible loss.",
            "scalinglab data markov --order 2 --vocab 64 --tokens 5000000 --out data/markov",
            "scalinglab data markov --order 1 --vocab 16 --concentration 1 --tokens 100000 --out data/m1 --json"), 
            [order, vocab, size.Tokens, size.ValTokens, alpha, size.Seed],
            (parse, dir, progress) => GeneratedData.Write(dir, size.Apply(parse, new MarkovOptions
            {
                Order = parse.GetValue(order), Vocab = parse.GetValue(vocab), Concentration = parse.GetValue(alpha),
            }), progress));
    }
}
