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
        var json = SharedOptions.Json();
        return Verb.Create("radius",
            "Exact nearest-neighbour radius search (memory radius) over random vectors: seconds and GFLOP/s of the\n" +
            "distance GEMMs beside the GEMM's ceiling measured in the same run (target: effective ≥ 70% of it).\n\n" +
            "Examples:\n" +
            "  scalinglab bench radius                      # 100,000 vectors × 1024 dims (minutes)\n" +
            "  scalinglab bench radius --count 20000 --json", [count, dim, threads, gemm, block, json], parse =>
        {
            int m = parse.GetValue(count), n = parse.GetValue(dim), b = parse.GetValue(block);
            if (m < 2) throw new UserError($"--count must be ≥ 2 (got {m})");
            if (n < 1) throw new UserError($"--dim must be ≥ 1 (got {n})");
            if (b < 64) throw new UserError($"--block must be ≥ 64 (got {b})");
            if ((long)m * n > Array.MaxLength) throw new UserError($"--count × --dim = {(long)m * n} values is too many for one array; use fewer");
            int t = parse.GetValue(threads) is > 0 and var tt ? tt : Environment.ProcessorCount;
            var r = RadiusBench.Run(m, n, t, parse.GetValue(gemm)!, b, parse.InvocationConfiguration.Error);
            var output = parse.InvocationConfiguration.Output;
            if (parse.GetValue(json))
            {
                output.WriteLine(JsonSerializer.Serialize(new
                {
                    gemm = r.Gemm, threads = r.Threads, count = r.Count, dim = r.Dim, block = r.Block, seconds = r.Seconds,
                    gemm_seconds = r.GemmSeconds, gemm_flops = r.GemmFlops, effective_gflops = r.EffectiveGflops,
                    in_gemm_gflops = r.InGemmGflops, ceiling_gflops = r.CeilingGflops, effective_ratio = r.EffectiveRatio,
                    in_gemm_ratio = r.InGemmRatio, mean_distance = r.MeanDistance,
                }));
                return 0;
            }
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"NN radius, {r.Count} vectors × {r.Dim}: {r.Seconds:0.00} s ({r.GemmSeconds:0.00} s in GEMM), gemm {r.Gemm}, {r.Threads} threads"));
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  effective {r.EffectiveGflops:0.0} GFLOP/s = {100 * r.EffectiveRatio:0.0}% of the GEMM ceiling {r.CeilingGflops:0.0} GFLOP/s (target ≥ 70%)"));
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  inside the GEMM calls {r.InGemmGflops:0.0} GFLOP/s = {100 * r.InGemmRatio:0.0}% of the ceiling; mean NN distance {r.MeanDistance:0.###}"));
            return 0;
        });
    }
}
