namespace ScalingLab.Cli.Commands;

/// <summary>`scalinglab bench train`: training throughput and MFU per model shape (routine: <see cref="TrainBench"/>).</summary>
public static class BenchTrainCommand
{
    /// <summary>Set in the child that runs with OpenBLAS's fastest core type (so it does not probe again).</summary>
    private const string ProbedVariable = "SCALINGLAB_BENCH_OPENBLAS_PROBED";

    /// <summary>The `bench train` sub-verb.</summary>
    public static Command Create()
    {
        var threads = SharedOptions.Threads("threads for GEMM, kernels and AdamW", 2);
        var gemm = SharedOptions.Gemm();
        var steps = new Option<int>("--steps") { Description = "timed steps per shape after one warm-up; the median is kept", DefaultValueFactory = _ => 3 };
        var shapes = new Option<string?>("--shapes") { Description = "only these rows, e.g. \"2x128,6x384\" (default: all)" };
        var precision = new Option<string>("--precision")
        {
            Description = "fp32, bf16, auto, or a list (fp32,bf16: both, interleaved); bf16 goes through oneDNN", DefaultValueFactory = _ => "fp32,bf16",
        };
        var probe = new Option<bool>("--probe-openblas")
        {
            Description = "first find OpenBLAS's fastest core type (child processes) and run the bench with it", DefaultValueFactory = _ => true,
        };
        return Verb.Printing("train",
            "Training throughput per model shape and precision: ms/step and tokens/s beside the matmul-only bound of that\n" +
            "exact step (its GEMM sequence replayed alone through the managed GEMM, OpenBLAS's fastest kernel, and oneDNN\n" +
            "for bf16; measured in the same run, interleaved) and the ratio; MFU against the GEMM ceiling; peak RSS.\n" +
            "Shapes: " + string.Join(", ", TrainBench.DefaultShapes.Select(x => x.ToString())) + Verb.Help(".",
            "scalinglab bench train                         # the full table (a few minutes)",
            "scalinglab bench train --shapes 2x128 --steps 5",
            "scalinglab bench train --shapes 12x768,4x256 --precision fp32",
            "scalinglab bench train --json > train.json"), [threads, gemm, steps, shapes, precision, probe], parse =>
        {
            int n = parse.GetValue(steps), t = parse.GetValue(threads);
            if (n < 1) throw new UserError($"bench train: --steps must be ≥ 1, got {n}");
            if (t < 1) throw new UserError($"bench train: --threads must be ≥ 1, got {t}");
            var rows = TrainBench.DefaultShapes.AsEnumerable();
            if (parse.GetValue(shapes) is { } filter)
            {
                var wanted = filter.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(StringComparer.OrdinalIgnoreCase);
                rows = rows.Where(s => wanted.Contains($"{s.Layers}x{s.Width}")).ToList();
                if (!rows.Any())
                    throw new UserError($"bench train: --shapes '{filter}' matches none of {string.Join(", ", TrainBench.DefaultShapes.Select(x => $"{x.Layers}x{x.Width}").Distinct())}");
            }
            var precisions = parse.GetValue(precision)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(p => Precision.Resolve(p)).Distinct().ToList();
            if (precisions.Count == 0) throw new UserError("bench train: --precision is empty; give fp32, bf16, auto or fp32,bf16");
            // OpenBLAS reads OPENBLAS_CORETYPE when it loads: to use its fastest kernel, probe, then run again in a child.
            if (parse.GetValue(probe) && OpenBlasGemm.Available() && Environment.GetEnvironmentVariable(ProbedVariable) is null
                && BenchGemmCommand.ChildCommand("bench", "gemm") is { } gemmChild && BenchGemmCommand.ChildCommand("bench", "train") is { } self)
            {
                var err = parse.InvocationConfiguration.Error;
                var found = GemmBench.ProbeCoreTypes(gemmChild, 1, err);
                err.WriteLine($"bench train: OpenBLAS's fastest core type here: {found.WinnerCoreName ?? "none ran"}; running the bench with it (child process)");
                var psi = new ProcessStartInfo(self.File) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
                foreach (var a in self.Args) psi.ArgumentList.Add(a);
                foreach (var a in parse.Tokens.Where(x => x.Type != System.CommandLine.Parsing.TokenType.Command).Select(x => x.Value)) psi.ArgumentList.Add(a);
                psi.Environment[ProbedVariable] = "1";
                psi.Environment.Remove("OPENBLAS_L2_SIZE");
                if (found.Winner is { Length: > 0 } w) psi.Environment["OPENBLAS_CORETYPE"] = w;
                else psi.Environment.Remove("OPENBLAS_CORETYPE");
                using var child = Process.Start(psi) ?? throw new UserError("bench train: could not start the child process");
                child.ErrorDataReceived += (_, e) => { if (e.Data is not null) err.WriteLine(e.Data); };
                child.BeginErrorReadLine();
                string text = child.StandardOutput.ReadToEnd();
                child.WaitForExit();
                parse.InvocationConfiguration.Output.Write(text);
                return child.ExitCode;
            }
            string backend = parse.GetValue(gemm)!;
            var result = TrainBench.Run(rows, backend, t, n, precisions, parse.InvocationConfiguration.Error);
            return Verb.Print(parse, () => TrainBench.ToJson(result, backend, t), o => TrainBench.WriteTable(result, o));
        }, json: "rows with ms_per_step, bound_ms, ratio, tokens_per_s, mfu");
    }
}
