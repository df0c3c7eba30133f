using static ScalingLab.Cli.Commands.MemoryCommand;

namespace ScalingLab.Cli.Commands;

/// <summary>`scalinglab memory retrieve`: Hopfield retrieval from noisy starts, and its capacity table.</summary>
public static class MemoryRetrieveCommand
{
    /// <summary>The `memory retrieve` sub-verb.</summary>
    public static Command Create()
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
        return Verb.Printing("retrieve",
            Verb.Help("Hopfield retrieval: store random patterns on a sphere, start from noisy copies, iterate the update rule and\n" +
            "report how often the pattern comes back; --sweep-n/--sweep-patterns tabulate capacity.",
            "scalinglab memory retrieve --n 64 --patterns 1000 --noise 0.3",
            "scalinglab memory retrieve --sweep-n 2,4,8,16 --sweep-patterns 10,100,1000 --noise 0.3"),
            [n, d, noise, beta, norm, update, queries, eps, seed, threads, sweepN, sweepD, threshold], parse =>
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
                if (Verb.WantsJson(parse)) output.WriteLine(JsonSerializer.Serialize(RetrievalJson(r)));
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
            if (Verb.WantsJson(parse)) output.WriteLine(JsonSerializer.Serialize(new { threshold = thr, runs = rows }));
            else
            {
                output.WriteLine(F($"retrieval accuracy (start {baseSettings.Noise}·R from the target, β = {baseSettings.Beta}, {baseSettings.Update.ToString().ToLowerInvariant()} update); capacity = largest d with accuracy ≥ {100 * thr:0}%"));
                output.Write(table.ToString());
            }
            return 0;
        });
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
}
