namespace ScalingLab.Cli.Commands;

/// <summary>`scalinglab bench radius`: the exact nearest-neighbour search vs the GEMM ceiling (routine: <see cref="RadiusBench"/>).</summary>
public static class BenchRadiusCommand
{
    /// <summary>The `bench radius` sub-verb.</summary>
    public static Command Create()
    {
        var count = new Option<int>("--count") { Description = "number of vectors", DefaultValueFactory = _ => 100_000 };
        var dim = new Option<int>("--dim") { Description = "vector dimension", DefaultValueFactory = _ => 1024 };
        var threads = SharedOptions.Threads("threads");
        var gemm = SharedOptions.Gemm();
        var block = new Option<int>("--block") { Description = "rows/columns per distance block", DefaultValueFactory = _ => 2048 };
        return Verb.Printing("radius",
            Verb.Help("Exact nearest-neighbour radius search (memory radius) over random vectors: seconds and GFLOP/s of the\n" +
            "distance GEMMs beside the GEMM's ceiling measured in the same run (target: effective ≥ 70% of it).",
            "scalinglab bench radius                      # 100,000 vectors × 1024 dims (minutes)",
            "scalinglab bench radius --count 20000 --json"), [count, dim, threads, gemm, block], parse =>
        {
            int m = parse.GetValue(count), n = parse.GetValue(dim), b = parse.GetValue(block);
            if (m < 2) throw new UserError($"--count must be ≥ 2 (got {m})");
            if (n < 1) throw new UserError($"--dim must be ≥ 1 (got {n})");
            if (b < 64) throw new UserError($"--block must be ≥ 64 (got {b})");
            if ((long)m * n > Array.MaxLength) throw new UserError($"--count × --dim = {(long)m * n} values is too many for one array; use fewer");
            int t = parse.GetValue(threads) is > 0 and var tt ? tt : Environment.ProcessorCount;
            var r = RadiusBench.Run(m, n, t, parse.GetValue(gemm)!, b, parse.InvocationConfiguration.Error);
            return Verb.Print(parse, () => RadiusBench.ToJson(r), o => RadiusBench.WriteTable(r, o));
        });
    }
}
