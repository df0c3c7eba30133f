namespace ScalingLab.Cli.Commands;

/// <summary>`scalinglab bench cka`: CKA over a checkpoint series at the paper's scale (routine: <see cref="CkaBench"/>).</summary>
public static class BenchCkaCommand
{
    /// <summary>`scalinglab bench cka`: CKA over a checkpoint series at the paper's scale (see <see cref="CkaBench"/>).</summary>
    public static Command Create()
    {
        var scale = new Option<double>("--scale") { Description = "fraction of the 50 checkpoints to run (the per-comparison shape stays n × D; seconds are extrapolated)", DefaultValueFactory = _ => 1.0 };
        var tokens = new Option<int>("--tokens") { Description = "n, tokens per activation matrix", DefaultValueFactory = _ => CkaBench.FullTokens };
        var dim = new Option<int>("--dim") { Description = "D, the model width", DefaultValueFactory = _ => CkaBench.FullDim };
        var threads = SharedOptions.Threads("GEMM threads");
        var gemm = SharedOptions.Gemm();
        var json = SharedOptions.Json();
        return Verb.Create("cka",
            "CKA of 16 layers × 2 sites × 50 checkpoints at n = 16,384 tokens, D = 512, against the final checkpoint:\n" +
            "seconds, the fraction spent in GEMM, and the speed-up over a float64 dot-product reference.\n\n" +
            "Examples:\n" +
            "  scalinglab bench cka --scale 0.1        # 5 checkpoints, extrapolated to 50\n" +
            "  scalinglab bench cka --json", [scale, tokens, dim, threads, gemm, json], parse =>
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
    }
}
