using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using ScalingLab.Bench;
using ScalingLab.Common;
using ScalingLab.Dynamics;
using ScalingLab.Tensors;

namespace ScalingLab.Cli.Commands;

/// <summary>
/// `scalinglab dynamics`: layer convergence (CKA) and effective rank over a checkpoint series
/// (Diehl Martinez et al. 2024), plus two calculators on saved matrices (`cka`, `erank`).
/// </summary>
public static class DynamicsCommand
{
    /// <summary>The `dynamics` verb with its `cka` and `erank` sub-verbs.</summary>
    public static Command Create()
    {
        var cmd = new Command("dynamics",
            "Training dynamics: CKA of each layer against the final checkpoint, effective rank of parameters and\n" +
            "gradients, convergence indicators and their Matthews correlation (Diehl Martinez et al. 2024).\n\n" +
            "Examples:\n" +
            "  scalinglab dynamics --run runs/2x64 --run runs/4x128 --out dyn   # tables, CSV/JSON and SVG plots in dyn/\n" +
            "  scalinglab dynamics --run runs/4x128 --out dyn --layers 0,3 --split val --offset 0\n" +
            "  scalinglab dynamics --series pythia-70m/step1000 pythia-70m/step8000 pythia-70m/step143000 --data data/pile-neox --out dyn\n" +
            "  scalinglab dynamics cka --x A.csv --y B.csv        # linear CKA of two saved activation matrices\n" +
            "  scalinglab dynamics erank --matrix W.npy --json    # effective rank and PER of a matrix");
        var runs = new Option<string[]>("--run") { Description = "run folder with checkpoints (repeat for several runs, e.g. one per model size)", Arity = ArgumentArity.ZeroOrMore };
        var seriesDirs = new Option<string[]>("--series") { Description = "checkpoint folders forming one series in place of a run, e.g. Pythia revisions step1000 step2000 … (with --data; the last is the reference)", Arity = ArgumentArity.ZeroOrMore, AllowMultipleArgumentsPerToken = true };
        var seqLen = new Option<int?>("--seq") { Description = "tokens per sequence for --series (default: min(n_ctx, 128))" };
        var outDir = new Option<string?>("--out") { Description = "folder for the tables, JSON and plots" };
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
        var json = new Option<bool>("--json") { Description = "print the result as one JSON object (thresholds and PER rule; per size: median-layer convergence fraction; per run: MCC row with reasons for undefined cells; warnings)" };
        foreach (var o in new Option[] { runs, seriesDirs, seqLen, outDir, layers, data, split, offset, batch, ckaThreshold, earlyFraction, earlyRule, perRule, quantile, initRatio, paramPer, gradPer, threads, gemm, json })
            cmd.Options.Add(o);
        cmd.SetAction(parse =>
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
            var output = parse.InvocationConfiguration.Output;
            if (parse.GetValue(json))
            {
                output.WriteLine(r.ToJson());
                return 0;
            }
            output.Write(r.Table());
            output.WriteLine($"wrote {r.Files.Count} files to {dir}");
            return 0;
        });
        cmd.Subcommands.Add(CreateCka());
        cmd.Subcommands.Add(CreateErank());
        return cmd;
    }

    private static Command CreateCka()
    {
        var x = new Option<string>("--x") { Description = "first matrix: rows = samples (CSV of numbers without header, or float32 .npy)", Required = true };
        var y = new Option<string>("--y") { Description = "second matrix: same number of rows as --x", Required = true };
        var json = new Option<bool>("--json") { Description = "print one JSON object: {\"cka\": ...}" };
        var cmd = new Command("cka",
            "Linear CKA (Kornblith et al. 2019) of two matrices with the same rows (samples), column-centred.\n\n" +
            "Examples:\n" +
            "  scalinglab dynamics cka --x layer3_ckpt1000.csv --y layer3_final.csv\n" +
            "  scalinglab dynamics cka --x A.npy --y B.npy --json");
        cmd.Options.Add(x);
        cmd.Options.Add(y);
        cmd.Options.Add(json);
        cmd.SetAction(parse =>
        {
            var a = MatrixFile.Read(parse.GetValue(x)!);
            var b = MatrixFile.Read(parse.GetValue(y)!);
            if (a.Rows != b.Rows)
                throw new UserError($"--x has {a.Rows} rows and --y has {b.Rows}; CKA compares the same samples, so rows must match");
            if (a.Rows < 2) throw new UserError("CKA needs at least 2 rows (samples)");
            double cka = LinearCka.Compute(CreateGemm(), a.Data, a.Cols, b.Data, b.Cols, a.Rows);
            if (double.IsNaN(cka))
                throw new UserError("CKA is undefined: a matrix has zero variance (all rows equal after centring)");
            var output = parse.InvocationConfiguration.Output;
            if (parse.GetValue(json))
                output.WriteLine(JsonSerializer.Serialize(new { cka, rows = a.Rows, x_cols = a.Cols, y_cols = b.Cols }));
            else
                output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"linear CKA = {cka:0.######}  ({a.Rows} samples, {a.Cols} vs {b.Cols} features)"));
            return 0;
        });
        return cmd;
    }

    private static Command CreateErank()
    {
        var matrix = new Option<string>("--matrix") { Description = "the matrix (CSV of numbers without header, or float32 .npy)", Required = true };
        var json = new Option<bool>("--json") { Description = "print one JSON object: {\"effective_rank\", \"per\", \"singular_values\"}" };
        var cmd = new Command("erank",
            "Effective rank (Roy & Vetterli 2007) of a matrix and its PER, normalised by the number of singular\n" +
            "values K = min(rows, cols).\n\n" +
            "Examples:\n" +
            "  scalinglab dynamics erank --matrix W_O.csv\n" +
            "  scalinglab dynamics erank --matrix grad.npy --json");
        cmd.Options.Add(matrix);
        cmd.Options.Add(json);
        cmd.SetAction(parse =>
        {
            var m = MatrixFile.Read(parse.GetValue(matrix)!);
            var (er, per, count) = EffectiveRank.Of(m.Data, m.Rows, m.Cols, Environment.ProcessorCount);
            if (double.IsNaN(er)) throw new UserError("effective rank is undefined for the zero matrix");
            var output = parse.InvocationConfiguration.Output;
            if (parse.GetValue(json))
                output.WriteLine(JsonSerializer.Serialize(new
                {
                    effective_rank = er, per, singular_values = count, rows = m.Rows, cols = m.Cols,
                    per_normalised_by = "min(rows, cols)",
                }));
            else
                output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"effective rank = {er:0.####}  PER = {per:0.####} (ER / K, K = min(rows, cols) = {count} singular values; matrix {m.Rows}×{m.Cols})"));
            return 0;
        });
        return cmd;
    }

    /// <summary>`scalinglab bench cka`: CKA over a checkpoint series at the paper's scale (see <see cref="CkaBench"/>).</summary>
    public static Command CreateBench()
    {
        var scale = new Option<double>("--scale") { Description = "fraction of the 50 checkpoints to run (the per-comparison shape stays n × D; seconds are extrapolated)", DefaultValueFactory = _ => 1.0 };
        var tokens = new Option<int>("--tokens") { Description = "n, tokens per activation matrix", DefaultValueFactory = _ => CkaBench.FullTokens };
        var dim = new Option<int>("--dim") { Description = "D, the model width", DefaultValueFactory = _ => CkaBench.FullDim };
        var threads = SharedOptions.Threads("GEMM threads");
        var gemm = SharedOptions.Gemm();
        var json = SharedOptions.Json();
        var cmd = new Command("cka",
            "CKA of 16 layers × 2 sites × 50 checkpoints at n = 16,384 tokens, D = 512, against the final checkpoint:\n" +
            "seconds, the fraction spent in GEMM, and the speed-up over a float64 dot-product reference.\n\n" +
            "Examples:\n" +
            "  scalinglab bench cka --scale 0.1        # 5 checkpoints, extrapolated to 50\n" +
            "  scalinglab bench cka --json");
        foreach (var o in new Option[] { scale, tokens, dim, threads, gemm, json }) cmd.Options.Add(o);
        cmd.SetAction(parse =>
        {
            double s = parse.GetValue(scale);
            if (!(s > 0 && s <= 1)) throw new UserError($"--scale must be in (0, 1] (got {s})");
            int n = parse.GetValue(tokens), d = parse.GetValue(dim);
            if (n < 2 || d < 1) throw new UserError("--tokens must be ≥ 2 and --dim ≥ 1");
            if ((long)n * d > int.MaxValue / 2) throw new UserError("--tokens × --dim is too large for one matrix");
            int t = parse.GetValue(threads);
            var g = Gemm.Create(parse.GetValue(gemm)!, t);
            int checkpoints = Math.Max(1, (int)Math.Round(CkaBench.FullCheckpoints * s));
            var r = CkaBench.Run(g, t == 0 ? Environment.ProcessorCount : t, CkaBench.FullLayers, checkpoints, n, d, parse.InvocationConfiguration.Error);
            var output = parse.InvocationConfiguration.Output;
            if (parse.GetValue(json))
            {
                output.WriteLine(JsonSerializer.Serialize(new
                {
                    gemm = r.Gemm, threads = r.Threads, layers = r.Layers, sites = r.Sites, checkpoints = r.Checkpoints,
                    tokens = r.Tokens, dim = r.Dim, comparisons = r.Comparisons, seconds = r.Seconds, gemm_seconds = r.GemmSeconds,
                    gemm_fraction = r.GemmFraction, gemm_gflops = r.GemmGflops, full_scale_seconds = r.FullScaleSeconds,
                    seconds_per_cka = r.OursSecondsPerCka, reference_seconds_per_cka = r.ReferenceSecondsPerCka,
                    speedup_over_reference = r.SpeedupOverReference,
                }));
                return 0;
            }
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"CKA series: {r.Layers} layers × {r.Sites} sites × {r.Checkpoints} checkpoints = {r.Comparisons} comparisons at n = {r.Tokens}, D = {r.Dim} ({r.Gemm} GEMM, {r.Threads} threads)"));
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {r.Seconds:0.00} s total, {r.GemmSeconds:0.00} s in GEMM ({r.GemmFraction:P1}) at {r.GemmGflops:0} GFLOP/s; full 50-checkpoint series: {r.FullScaleSeconds:0.0} s"));
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  per comparison: ours {r.OursSecondsPerCka * 1e3:0.0} ms vs float64 dot-product reference {r.ReferenceSecondsPerCka * 1e3:0.0} ms = {r.SpeedupOverReference:0.0}× faster"));
            return 0;
        });
        return cmd;
    }

    private static IGemm CreateGemm() => Gemm.Create();

    private static int[]? ParseLayers(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        return text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(p =>
            int.TryParse(p, NumberStyles.Integer, CultureInfo.InvariantCulture, out int l) ? l
                : throw new UserError($"dynamics: --layers: '{p}' is not a layer index; write e.g. --layers 0,2,5")).ToArray();
    }
}
