namespace ScalingLab.Cli.Commands;

/// <summary>
/// `scalinglab dynamics`: layer convergence (CKA) and effective rank over a checkpoint series
/// (Diehl Martinez et al. 2024), plus two calculators on saved matrices (`cka`, `erank`).
/// </summary>
public static class DynamicsCommand
{
    private static readonly string Help =
        Verb.Help("Training dynamics: CKA of each layer against the final checkpoint, effective rank of parameters and\n" +
        "gradients, convergence indicators and their Matthews correlation (Diehl Martinez et al. 2024).",
        "scalinglab dynamics --run runs/2x64 --run runs/4x128 --out dyn   # tables, CSV/JSON and SVG plots in dyn/",
        "scalinglab dynamics --run runs/4x128 --out dyn --layers 0,3 --split val --offset 0",
        "scalinglab dynamics --series pythia-70m/step1000 pythia-70m/step8000 pythia-70m/step143000 --data data/pile-neox --out dyn",
        "scalinglab dynamics cka --x A.csv --y B.csv        # linear CKA of two saved activation matrices",
        "scalinglab dynamics erank --matrix W.npy --json    # effective rank and PER of a matrix");

    /// <summary>The `dynamics` verb with its `cka` and `erank` sub-verbs (<see cref="DynamicsCkaCommand"/>, <see cref="DynamicsErankCommand"/>).</summary>
    public static Command Create()
    {
        var runs = new Option<string[]>("--run") { Description = "run folder with checkpoints (repeat for several runs, e.g. one per model size)", Arity = ArgumentArity.ZeroOrMore };
        var seriesDirs = new Option<string[]>("--series") { Description = "checkpoint folders forming one series in place of a run, e.g. Pythia revisions step1000 step2000 … (with --data; the last is the reference)", Arity = ArgumentArity.ZeroOrMore, AllowMultipleArgumentsPerToken = true };
        var seqLen = new Option<int?>("--seq") { Description = "tokens per sequence for --series (default: min(n_ctx, 128))" };
        var outDir = SharedOptions.Out("folder for the tables, JSON and plots");
        var layers = new Option<string?>("--layers") { Description = "comma-separated layer indices to analyse (default: all)" };
        var data = new Option<string?>("--data") { Description = "data folder (default: the one in the run's train.json)" };
        var split = new Option<string?>("--split") { Description = "evaluate on a slice of this split (train, val) instead of the last training batch" };
        var offset = new Option<long>("--offset") { Description = "first token of the slice (with --split)", DefaultValueFactory = _ => 0 };
        var batch = new Option<int?>("--batch") { Description = "sequences in the evaluation batch (default: the run's training batch)" };
        var ckaThreshold = new Option<double>("--cka-threshold") { Description = "CKA that counts as converged", DefaultValueFactory = _ => 0.45 };
        var earlyFraction = new Option<double>("--early-fraction") { Description = "'early' means by this fraction of training (both rules)", DefaultValueFactory = _ => 0.10 };
        var earlyRule = new Option<string>("--early-rule") { Description = "how 'early convergence' is decided: quantile (CKA with the final checkpoint at --early-fraction of training at or above the model's --quantile across layers; default) or fraction (CKA ≥ --cka-threshold by --early-fraction of training, the paper's)", DefaultValueFactory = _ => "quantile" };
        var perRule = new Option<string>("--per-rule") { Description = "how 'large PER' is decided: quantile (at or above the model's --quantile across layers; default), init (≥ --init-ratio × the PER at the first checkpoint) or absolute (the paper's Pythia thresholds --param-per / --grad-per)", DefaultValueFactory = _ => "quantile" };
        var quantile = new Option<double>("--quantile") { Description = "with --per-rule quantile: the quantile across the model's layers (0.5 = median)", DefaultValueFactory = _ => 0.5 };
        var initRatio = new Option<double>("--init-ratio") { Description = "with --per-rule init: fraction of its initial PER a layer must keep to count as large", DefaultValueFactory = _ => 1.0 };
        var paramPer = new Option<double>("--param-per") { Description = "with --per-rule absolute: parameter PER at the end that counts as large", DefaultValueFactory = _ => 0.95 };
        var gradPer = new Option<double>("--grad-per") { Description = "with --per-rule absolute: gradient PER that counts as large, relative to the model's largest", DefaultValueFactory = _ => 0.90 };
        var threads = SharedOptions.Threads("threads");
        var gemm = SharedOptions.Gemm();
        var cmd = Verb.Printing("dynamics", Help,
            [runs, seriesDirs, seqLen, outDir, layers, data, split, offset, batch, ckaThreshold, earlyFraction, earlyRule, perRule, quantile, initRatio, paramPer, gradPer, threads, gemm], parse =>
        {
            var rule = parse.GetValue(perRule) switch
            {
                "quantile" => PerRule.Quantile,
                "init" => PerRule.Init,
                "absolute" => PerRule.Absolute,
                var other => throw new UserError($"dynamics: --per-rule '{other}' is not known; use quantile, init or absolute"),
            };
            var early = parse.GetValue(earlyRule) switch
            {
                "quantile" => EarlyRule.Quantile,
                "fraction" => EarlyRule.Fraction,
                var other => throw new UserError($"dynamics: --early-rule '{other}' is not known; use quantile or fraction"),
            };
            string[] runDirs = parse.GetValue(runs) ?? [];
            string dir = parse.GetValue(outDir) ?? throw new UserError("dynamics: give --out DIR for the tables and plots");
            var r = DynamicsAnalysis.Run(new DynamicsOptions
            {
                Runs = runDirs, Series = parse.GetValue(seriesDirs) ?? [], Seq = parse.GetValue(seqLen), OutDir = dir, Layers = ParseLayers(parse.GetValue(layers)), Data = parse.GetValue(data), Split = parse.GetValue(split),
                Offset = parse.GetValue(offset), Batch = parse.GetValue(batch), Threads = parse.GetValue(threads), Gemm = parse.GetValue(gemm)!,
                Thresholds = new IndicatorThresholds(parse.GetValue(ckaThreshold), parse.GetValue(earlyFraction), parse.GetValue(paramPer),
                                                     parse.GetValue(gradPer), rule, parse.GetValue(quantile), parse.GetValue(initRatio), early),
                Log = parse.InvocationConfiguration.Error,
            });
            return Verb.Print(parse, () => r.ToJson(), o =>
            {
                o.Write(r.Table());
                o.WriteLine($"wrote {r.Files.Count} files to {dir}");
            });
        }, json: "thresholds and PER rule; per size: median-layer convergence fraction; per run: MCC row with reasons for undefined cells; warnings");
        cmd.Subcommands.Add(DynamicsCkaCommand.Create());
        cmd.Subcommands.Add(DynamicsErankCommand.Create());
        return cmd;
    }

    private static int[]? ParseLayers(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        return text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(p =>
            int.TryParse(p, NumberStyles.Integer, CultureInfo.InvariantCulture, out int l) ? l
                : throw new UserError($"dynamics: --layers: '{p}' is not a layer index; write e.g. --layers 0,2,5")).ToArray();
    }
}
