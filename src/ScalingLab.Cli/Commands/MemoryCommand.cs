using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using ScalingLab.Common;
using ScalingLab.Memory;
using ScalingLab.Model;
using ScalingLab.Reports;
using ScalingLab.Tensors;
using ScalingLab.Training;

namespace ScalingLab.Cli.Commands;

/// <summary>
/// `scalinglab memory`: the associative-memory view of Niu et al. ("Beyond Scaling Laws"): energies and their
/// bounds, Hopfield retrieval, the nearest-neighbour radius of activations, and the loss bound.
/// </summary>
public static class MemoryCommand
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>The `memory` verb with its energy, retrieve, radius and bound sub-verbs.</summary>
    public static Command Create()
    {
        var cmd = new Command("memory",
            "Associative memory (Niu et al., \"Beyond Scaling Laws\"): energies and Propositions 1-3, Hopfield retrieval\n" +
            "and capacity, the nearest-neighbour radius of activations, and the cross-entropy bound / N = O(D^2).\n\n" +
            "Examples:\n" +
            "  scalinglab memory energy --patterns \"-2,-0.5;0.2,-0.3;1.5,1.5\" --x 0.5,1\n" +
            "  scalinglab memory energy --figure1 --out fig1\n" +
            "  scalinglab memory retrieve --n 64 --patterns 1000 --noise 0.3\n" +
            "  scalinglab memory radius --matrix acts.f32 --dim 1024 --out radius\n" +
            "  scalinglab memory bound --n 1024 --params 3.55e8 --tokens 9e9");
        cmd.Subcommands.Add(CreateEnergy());
        cmd.Subcommands.Add(CreateRetrieve());
        cmd.Subcommands.Add(CreateRadius());
        cmd.Subcommands.Add(CreateBound());
        return cmd;
    }

    private static string F(FormattableString s) => s.ToString(Inv);

    // ---------------------------------------------------------------- energy

    private static Command CreateEnergy()
    {
        var patterns = new Option<string>("--patterns") { Description = "stored patterns: coordinates separated by ',', patterns by ';'" };
        var x = new Option<string>("--x") { Description = "the point to evaluate at, e.g. 0.5,1" };
        var beta = new Option<double>("--beta") { Description = "inverse temperature β (> 0)", DefaultValueFactory = _ => 1.0 };
        var figure = new Option<bool>("--figure1") { Description = "write the paper's Figure 1 panels as SVG into --out" };
        var outDir = new Option<string>("--out") { Description = "output folder for --figure1" };
        var json = SharedOptions.Json();
        var cmd = new Command("energy",
            "Evaluate the energies at a point: the MCHN energy (Ramsauer et al.), the distance energy E_β (Niu et al. Eq. 4),\n" +
            "g (squared nearest-pattern distance), and check Propositions 1-3 there; or draw Figure 1.\n\n" +
            "Examples:\n" +
            "  scalinglab memory energy --patterns \"-2,-0.5;0.2,-0.3;1.5,1.5\" --x 0.5,1 --beta 2\n" +
            "  scalinglab memory energy --figure1 --out fig1");
        foreach (var o in new Option[] { patterns, x, beta, figure, outDir, json }) cmd.Options.Add(o);
        cmd.SetAction(parse =>
        {
            var output = parse.InvocationConfiguration.Output;
            double b = parse.GetValue(beta);
            PatternSet.CheckBeta(b);
            if (parse.GetValue(figure))
            {
                string dir = parse.GetValue(outDir) ?? throw new UserError("--figure1 needs --out DIR for the SVG files");
                var files = Figure1.Write(dir);
                if (parse.GetValue(json)) output.WriteLine(JsonSerializer.Serialize(new { files }));
                else foreach (var f in files) output.WriteLine($"wrote {f}");
                return 0;
            }
            var p = PatternSet.Parse(parse.GetValue(patterns) ?? throw new UserError("give --patterns \"x1,x2;y1,y2;...\" (or --figure1 --out DIR)"));
            var pt = PatternSet.ParseVector(parse.GetValue(x) ?? throw new UserError("give the point with --x, e.g. --x 0.5,1"), "--x");
            p.CheckPoint(pt);
            double e = Energies.Distance(p, pt, b), g = Energies.NearestNeighbour(p, pt, out int nearest);
            double mchn = Energies.Mchn(p, pt, b), negLse = Energies.NegativeLse(p, pt, b), reg = Energies.MchnRegulariser(p, pt, b);
            var checks = new[]
            {
                Propositions.Proposition1(p, pt, b), Propositions.Proposition2(p, pt), Propositions.Proposition2Sharp(p, pt),
                Propositions.Proposition3(p, pt), Propositions.Proposition3Tight(p, pt), Propositions.Proposition3AsPrinted(p, pt),
            };
            if (parse.GetValue(json))
            {
                output.WriteLine(JsonSerializer.Serialize(new
                {
                    beta = b, patterns = p.Count, dim = p.Dim, distance_energy = e, nearest_neighbour = g, nearest_index = nearest,
                    mchn_energy = mchn, negative_lse = negLse, mchn_regulariser = reg, delta = p.NormSpread,
                    checks = checks.Select(c => new { name = c.Name, lower = Finite(c.Lower), value = c.Value, upper = Finite(c.Upper), holds = c.Holds() }),
                }));
                return 0;
            }
            output.WriteLine(F($"{p.Count} patterns in R^{p.Dim}, β = {b}, Δ = max‖ρ‖² − min‖ρ‖² = {p.NormSpread:G6}"));
            output.WriteLine(F($"  distance energy E_β(x)      = {e,12:G8}"));
            output.WriteLine(F($"  g(x) = min‖x − ρᵢ‖²         = {g,12:G8}   (nearest pattern {nearest + 1})"));
            output.WriteLine(F($"  MCHN energy E^MCHN_β(x)     = {mchn,12:G8}"));
            output.WriteLine(F($"    −lse(β, Mᵀx)              = {negLse,12:G8}"));
            output.WriteLine(F($"    regulariser               = {reg,12:G8}"));
            foreach (var c in checks) output.WriteLine("  " + c);
            return 0;
        });
        return cmd;
    }

    private static double? Finite(double v) => double.IsFinite(v) ? v : null;

    // ---------------------------------------------------------------- retrieve

    private static Command CreateRetrieve()
    {
        var n = new Option<int>("--n") { Description = "pattern dimension", DefaultValueFactory = _ => 64 };
        var d = new Option<int>("--patterns") { Description = "number of stored patterns", DefaultValueFactory = _ => 1000 };
        var noise = new Option<double>("--noise") { Description = "start distance from the target, as a fraction of the pattern norm R", DefaultValueFactory = _ => 0.3 };
        var beta = new Option<double>("--beta") { Description = "inverse temperature β (> 0)", DefaultValueFactory = _ => 1.0 };
        var norm = new Option<double>("--norm") { Description = "pattern norm R (patterns uniform on that sphere); 0 = √n", DefaultValueFactory = _ => 0.0 };
        var update = new Option<string>("--update") { Description = "distance (x ← M softmax(−β‖x−ρ‖²)) or mchn (ξ ← M softmax(βMᵀξ))", DefaultValueFactory = _ => "distance" };
        var queries = new Option<int>("--queries") { Description = "noisy queries (0 = min(patterns, 1000))", DefaultValueFactory = _ => 0 };
        var eps = new Option<double>("--epsilon") { Description = "success: end point within ε·R of the target", DefaultValueFactory = _ => 0.05 };
        var seed = new Option<ulong>("--seed") { Description = "random seed", DefaultValueFactory = _ => 1UL };
        var threads = SharedOptions.Threads("threads");
        var sweepN = new Option<string>("--sweep-n") { Description = "capacity sweep: dimensions, e.g. 4,8,16,32" };
        var sweepD = new Option<string>("--sweep-patterns") { Description = "capacity sweep: pattern counts, e.g. 10,100,1000" };
        var threshold = new Option<double>("--threshold") { Description = "capacity = largest pattern count with accuracy ≥ this", DefaultValueFactory = _ => 0.9 };
        var json = SharedOptions.Json();
        var cmd = new Command("retrieve",
            "Hopfield retrieval: store random patterns on a sphere, start from noisy copies, iterate the update rule and\n" +
            "report how often the pattern comes back; --sweep-n/--sweep-patterns tabulate capacity.\n\n" +
            "Examples:\n" +
            "  scalinglab memory retrieve --n 64 --patterns 1000 --noise 0.3\n" +
            "  scalinglab memory retrieve --sweep-n 2,4,8,16 --sweep-patterns 10,100,1000 --noise 0.3");
        foreach (var o in new Option[] { n, d, noise, beta, norm, update, queries, eps, seed, threads, sweepN, sweepD, threshold, json }) cmd.Options.Add(o);
        cmd.SetAction(parse =>
        {
            var output = parse.InvocationConfiguration.Output;
            var rule = parse.GetValue(update) switch
            {
                "distance" => RetrievalUpdate.Distance,
                "mchn" => RetrievalUpdate.Mchn,
                var other => throw new UserError($"--update '{other}' is not known; use distance or mchn"),
            };
            int t = parse.GetValue(threads) is > 0 and var tt ? tt : Environment.ProcessorCount;
            var baseSettings = new RetrievalSettings
            {
                Dim = parse.GetValue(n), Patterns = parse.GetValue(d), Noise = parse.GetValue(noise), Beta = parse.GetValue(beta),
                Norm = parse.GetValue(norm), Update = rule, Queries = parse.GetValue(queries), Epsilon = parse.GetValue(eps),
                Seed = parse.GetValue(seed),
            };
            string? sn = parse.GetValue(sweepN), sd = parse.GetValue(sweepD);
            if (sn is null && sd is null)
            {
                var r = Retrieval.Run(baseSettings, t);
                if (parse.GetValue(json)) output.WriteLine(JsonSerializer.Serialize(RetrievalJson(r)));
                else
                {
                    var s = r.Settings;
                    output.WriteLine(F($"retrieval: n = {s.Dim}, {s.Patterns} patterns on the sphere of radius R = {s.EffectiveNorm:G4}, start {s.Noise}·R from the target, β = {s.Beta}, {s.Update.ToString().ToLowerInvariant()} update"));
                    output.WriteLine(F($"  accuracy {100 * r.Accuracy:0.0}% of {r.Queries} queries (converged to another pattern: {100 * r.WrongPattern:0.0}%)"));
                    output.WriteLine(F($"  mean iterations {r.MeanIterations:0.00}, median final error {r.MedianFinalError:G3}·R, min pattern separation {r.MinSeparation:G4}"));
                }
                return 0;
            }
            var dims = ParseInts(sn ?? baseSettings.Dim.ToString(Inv), "--sweep-n");
            var counts = ParseInts(sd ?? baseSettings.Patterns.ToString(Inv), "--sweep-patterns");
            var rows = new List<object>();
            var table = new StringBuilder();
            table.Append("   n \\ d").AppendJoin("", counts.Select(c => F($"{c,9}"))).Append("   capacity\n");
            double thr = parse.GetValue(threshold);
            var err = parse.InvocationConfiguration.Error;
            foreach (int dim in dims)
            {
                table.Append(F($"{dim,8}"));
                int capacity = 0;
                foreach (int count in counts)
                {
                    // patterns keep entries of unit scale at every n unless --norm is given
                    var r = Retrieval.Run(baseSettings with { Dim = dim, Patterns = count }, t);
                    err.Write(F($"\rn = {dim}, d = {count}: {100 * r.Accuracy:0.0}%      "));
                    table.Append(F($"{100 * r.Accuracy,8:0.0}%"));
                    if (r.Accuracy >= thr) capacity = Math.Max(capacity, count);
                    rows.Add(RetrievalJson(r));
                }
                table.Append(F($"   {(capacity > 0 ? capacity.ToString(Inv) : "<" + counts.Min().ToString(Inv)),8}\n"));
            }
            err.WriteLine();
            if (parse.GetValue(json)) output.WriteLine(JsonSerializer.Serialize(new { threshold = thr, runs = rows }));
            else
            {
                output.WriteLine(F($"retrieval accuracy (start {baseSettings.Noise}·R from the target, β = {baseSettings.Beta}, {baseSettings.Update.ToString().ToLowerInvariant()} update); capacity = largest d with accuracy ≥ {100 * thr:0}%"));
                output.Write(table.ToString());
            }
            return 0;
        });
        return cmd;
    }

    private static object RetrievalJson(RetrievalResult r) => new
    {
        n = r.Settings.Dim, patterns = r.Settings.Patterns, noise = r.Settings.Noise, beta = r.Settings.Beta,
        norm = r.Settings.EffectiveNorm, update = r.Settings.Update.ToString().ToLowerInvariant(), queries = r.Queries,
        accuracy = r.Accuracy, wrong_pattern = r.WrongPattern, mean_iterations = r.MeanIterations,
        median_final_error = r.MedianFinalError, min_separation = Finite(r.MinSeparation),
    };

    private static int[] ParseInts(string text, string what)
    {
        var parts = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var v = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!int.TryParse(parts[i], NumberStyles.Integer, Inv, out v[i]) || v[i] < 1)
                throw new UserError($"{what}: '{parts[i]}' is not a positive integer; write e.g. 8,16,32");
        if (v.Length == 0) throw new UserError($"{what} is empty; write e.g. 8,16,32");
        return v;
    }

    // ---------------------------------------------------------------- radius

    private static Command CreateRadius()
    {
        var d = new RadiusOptions();
        var matrix = new Option<string>("--matrix") { Description = "activation vectors: raw little-endian float32 row-major (needs --dim) or float32 .npy" };
        var dim = new Option<int?>("--dim") { Description = "vector dimension n of a raw --matrix file" };
        var checkpoint = new Option<string>("--checkpoint") { Description = "a checkpoint folder RUN/ckpt-N: take the vectors from the model's activations" };
        var shard = new Option<string>("--shard") { Description = "with --checkpoint: the data folder whose tokens are sampled" };
        var split = new Option<string>("--split") { Description = "with --checkpoint: which split of --shard to sample (the paper sampled training text)", DefaultValueFactory = _ => d.Split };
        var chunks = new Option<int>("--chunks") { Description = "with --checkpoint: random chunks drawn without replacement, one vector each (the paper: 80K)", DefaultValueFactory = _ => d.Chunks };
        var seqLen = new Option<int>("--seq-len") { Description = "with --checkpoint: tokens per chunk (the paper: 256; capped at n_ctx)", DefaultValueFactory = _ => d.SeqLen };
        var batch = new Option<int>("--batch") { Description = "with --checkpoint: chunks per forward pass", DefaultValueFactory = _ => d.Batch };
        var beforeNorm = new Option<bool>("--before-final-norm") { Description = "with --checkpoint: take the hidden state before the final LayerNorm (default: after, the vector feeding the LM head)" };
        var nullDraws = new Option<int>("--null-draws") { Description = "draws of the Gaussian null (same count, the sample's mean and covariance); 0 = none", DefaultValueFactory = _ => d.NullDraws };
        var outDir = new Option<string>("--out") { Description = "folder for radius.json and radius_histogram.svg" };
        var seed = new Option<ulong>("--seed") { Description = "seed of the chunk starts, the random subsets and the null draws", DefaultValueFactory = _ => d.Seed };
        var threads = SharedOptions.Threads("threads");
        var bins = new Option<int>("--bins") { Description = "histogram bins", DefaultValueFactory = _ => d.Bins };
        var gemm = SharedOptions.Gemm("for the distance blocks", d.Gemm);
        var json = new Option<bool>("--json") { Description = "print the result as one JSON object (mean, median, count, mean_over2r, ratio_to_null, subsets, ...)" };
        var cmd = new Command("radius",
            "Nearest-neighbour radius (Niu et al. §6.1 / App. F.1): each vector's exact Euclidean distance to its nearest\n" +
            "neighbour within random 25/50/75/100% subsets, against the predicted separation 2r, r = √(n/2πe), and against\n" +
            "a null: as many Gaussian vectors with the sample's mean and covariance (ratio < 0.95 = closer than chance).\n\n" +
            "Examples:\n" +
            "  scalinglab memory radius --checkpoint runs/r1/ckpt-00001000 --shard data/tinyshakespeare --chunks 4096 --out radius\n" +
            "  scalinglab memory radius --matrix acts.f32 --dim 1024 --out radius\n" +
            "  scalinglab memory radius --matrix acts.npy --json");
        foreach (var o in new Option[] { matrix, dim, checkpoint, shard, split, chunks, seqLen, batch, beforeNorm, nullDraws, outDir, seed, threads, bins, gemm, json })
            cmd.Options.Add(o);
        cmd.SetAction(parse =>
        {
            var r = RadiusAnalysis.Run(new RadiusOptions
            {
                Matrix = parse.GetValue(matrix), Dim = parse.GetValue(dim), Checkpoint = parse.GetValue(checkpoint), Data = parse.GetValue(shard),
                Split = parse.GetValue(split)!, Chunks = parse.GetValue(chunks), SeqLen = parse.GetValue(seqLen), Batch = parse.GetValue(batch),
                BeforeFinalNorm = parse.GetValue(beforeNorm), NullDraws = parse.GetValue(nullDraws), OutDir = parse.GetValue(outDir),
                Seed = parse.GetValue(seed), Threads = parse.GetValue(threads), Bins = parse.GetValue(bins), Gemm = parse.GetValue(gemm)!,
                Log = parse.InvocationConfiguration.Error,
            });
            var output = parse.InvocationConfiguration.Output;
            if (parse.GetValue(json)) output.WriteLine(r.ToJson());
            else output.Write(r.Table());
            if (r.Files.Count > 0) parse.InvocationConfiguration.Error.WriteLine($"wrote {string.Join(" and ", r.Files)}");
            return 0;
        });
        return cmd;
    }

    // ---------------------------------------------------------------- bound

    private static Command CreateBound()
    {
        var n = new Option<double?>("--n") { Description = "pattern dimension n (default 1024, or the run's d_model)" };
        var N = new Option<double?>("--params") { Description = "model size N (attention + FF parameters)" };
        var D = new Option<double?>("--tokens") { Description = "data size D in tokens" };
        var seq = new Option<double?>("--seq-len") { Description = "T_max: tokens per training sequence, d = D/T_max (default 1024)" };
        var layers = new Option<double?>("--layers") { Description = "l, number of layers (default 24)" };
        var demb = new Option<double?>("--d-emb") { Description = "d_emb (default 1024)" };
        var a = new Option<double?>("--a") { Description = "A in N ≈ A·l·d_emb² (default 10, the paper's GPT-2 medium value)" };
        var run = new Option<string>("--run") { Description = "a run folder: take N, D, l, d_emb, T_max from it and print the measured plateau beside the bound" };
        var json = SharedOptions.Json();
        var cmd = new Command("bound",
            "Cross-entropy lower bound (Niu et al. Prop. 4: L ≈ log Z_t + 1/Z_t ≥ 1) and the N = O(D^2) trade-off for given\n" +
            "n, N and D; with --run, beside the run's measured plateau (min val loss in metrics.jsonl).\n\n" +
            "Examples:\n" +
            "  scalinglab memory bound --n 1024 --params 3.55e8 --tokens 9e9\n" +
            "  scalinglab memory bound --run runs/4x256");
        foreach (var o in new Option[] { n, N, D, seq, layers, demb, a, run, json }) cmd.Options.Add(o);
        cmd.SetAction(parse =>
        {
            var r = LossBoundAnalysis.Run(new LossBoundOptions
            {
                Run = parse.GetValue(run), Dim = parse.GetValue(n), Params = parse.GetValue(N), Tokens = parse.GetValue(D),
                SeqLen = parse.GetValue(seq), Layers = parse.GetValue(layers), DEmb = parse.GetValue(demb), A = parse.GetValue(a),
            });
            var output = parse.InvocationConfiguration.Output;
            if (parse.GetValue(json)) output.WriteLine(r.ToJson());
            else output.Write(r.Table());
            return 0;
        });
        return cmd;
    }
}
