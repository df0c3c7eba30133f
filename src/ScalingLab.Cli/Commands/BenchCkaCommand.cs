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
        return Verb.Printing("cka",
            Verb.Help("CKA of 16 layers × 2 sites × 50 checkpoints at n = 16,384 tokens, D = 512, against the final checkpoint:\n" +
            "seconds, the fraction spent in GEMM, and the speed-up over a float64 dot-product reference.",
            "scalinglab bench cka --scale 0.1        # 5 checkpoints, extrapolated to 50",
            "scalinglab bench cka --json"), [scale, tokens, dim, threads, gemm], parse =>
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
            return Verb.Print(parse, () => CkaBench.ToJson(r), o => CkaBench.WriteTable(r, o));
        });
    }
}
