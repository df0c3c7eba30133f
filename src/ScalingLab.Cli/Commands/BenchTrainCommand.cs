using System.CommandLine;
using ScalingLab.Bench;
using ScalingLab.Common;

namespace ScalingLab.Cli.Commands;

/// <summary>`scalinglab bench train`: training throughput and MFU per model shape (routine: <see cref="TrainBench"/>).</summary>
public static class BenchTrainCommand
{
    /// <summary>The `bench train` sub-verb.</summary>
    public static Command Create()
    {
        var threads = new Option<int>("--threads") { Description = "threads for GEMM, kernels and AdamW", DefaultValueFactory = _ => 2 };
        var gemm = new Option<string>("--gemm") { Description = "GEMM backend: auto, managed, openblas", DefaultValueFactory = _ => "auto" };
        var steps = new Option<int>("--steps") { Description = "timed steps per shape after one warm-up; the median is kept", DefaultValueFactory = _ => 3 };
        var shapes = new Option<string?>("--shapes") { Description = "only these rows, e.g. \"2x128,6x384\" (default: all)" };
        var json = new Option<bool>("--json") { Description = "print one JSON object (rows with tokens_per_s, mfu, gemm_ceiling_gflops, peak_rss_mb)" };
        var cmd = new Command("train",
            "Training throughput per model shape: ms/step, tokens/s, and MFU against the GEMM ceiling measured in the same\n" +
            "process; peak RSS beside the analytic memory estimate; llm.c's tokens/s beside ours where the issue gives it.\n" +
            "Shapes: 2x128 (V4096 B32 T128), 4x256 (V50304 B4 T256), 6x384 (V4096 B8 T256), 12x768 (V50304 B4 T64 and T256).\n\n" +
            "Examples:\n" +
            "  scalinglab bench train                         # the full table (a few minutes)\n" +
            "  scalinglab bench train --shapes 2x128 --steps 5\n" +
            "  scalinglab bench train --json > train.json");
        foreach (var o in new Option[] { threads, gemm, steps, shapes, json }) cmd.Options.Add(o);
        cmd.SetAction(parse =>
        {
            int n = parse.GetValue(steps), t = parse.GetValue(threads);
            if (n < 1) throw new UserError($"bench train: --steps must be ≥ 1, got {n}");
            if (t < 1) throw new UserError($"bench train: --threads must be ≥ 1, got {t}");
            var rows = TrainBench.DefaultShapes.AsEnumerable();
            if (parse.GetValue(shapes) is { } filter)
            {
                var wanted = filter.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(StringComparer.OrdinalIgnoreCase);
                rows = rows.Where(s => wanted.Contains($"{s.Layers}x{s.Width}")).ToList();
                if (!rows.Any()) throw new UserError($"bench train: --shapes '{filter}' matches none of 2x128, 4x256, 6x384, 12x768");
            }
            string backend = parse.GetValue(gemm)!;
            var result = TrainBench.Run(rows, backend, t, n, parse.InvocationConfiguration.Error);
            var output = parse.InvocationConfiguration.Output;
            if (parse.GetValue(json)) output.WriteLine(TrainBench.ToJson(result, backend, t));
            else TrainBench.WriteTable(result, output);
            return 0;
        });
        return cmd;
    }
}
