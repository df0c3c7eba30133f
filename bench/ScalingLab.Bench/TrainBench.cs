using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using ScalingLab.Model;
using ScalingLab.Tensors;
using ScalingLab.Training;

namespace ScalingLab.Bench;

/// <summary>
/// Training throughput: tokens/s, ms/step and MFU = (training FLOPs per token × tokens/s) / GEMM ceiling, where the
/// FLOPs per token are <see cref="ModelAccounting.TrainingFlopsExact"/> (3 × Kaplan's forward count with the context
/// term and the de-embedding) and the ceiling is <see cref="GemmBench.Ceiling"/> measured in the same process. A step
/// is what the trainer does: zero gradients, forward, backward, global norm, AdamW. Peak RSS is printed beside the
/// analytic estimate (parameters, gradients, two AdamW moments, activations and their gradients). The ceiling is
/// measured beside each shape, so a row's MFU compares figures taken under the same load.
/// </summary>
public static class TrainBench
{
    /// <summary>One shape to time: layers × width, vocabulary, batch B and sequence T.</summary>
    public sealed record Shape(int Layers, int Width, int Vocab, int Batch, int Seq, double? ReferenceTokensPerS = null, string? Reference = null)
    {
        /// <summary>"12x768 V50304 B4 T64".</summary>
        public override string ToString() => $"{Layers}x{Width} V{Vocab} B{Batch} T{Seq}";
    }

    /// <summary>
    /// The shapes, smallest first (peak RSS is a process high-water mark, so it rises with each row), plus
    /// 4×256 B4 T256, the second shape the issue gives llm.c's time for. References: llm.c's CPU trainer (C, OpenMP,
    /// -Ofast) on this machine, ≈ 2.8 s per 12×768 B4 T64 step (≈ 93 tok/s) and ≈ 2.2 s per 4×256 B4 T256 step (≈ 465 tok/s).
    /// </summary>
    public static readonly Shape[] DefaultShapes =
    [
        new(2, 128, 4096, 32, 128),
        new(4, 256, 50304, 4, 256, 465, "llm.c"),
        new(6, 384, 4096, 8, 256),
        new(12, 768, 50304, 4, 64, 93, "llm.c"),
        new(12, 768, 50304, 4, 256),
    ];

    /// <summary>One measured row.</summary>
    /// <summary>
    /// One measured row. The Cpu* figures divide by CPU seconds per thread instead of wall seconds (best step, and the
    /// ceiling measured the same way): on a shared machine they estimate what a quiet one would show.
    /// </summary>
    public sealed record Row(Shape Shape, double MsPerStep, double TokensPerS, double FlopsPerToken, double Mfu,
                             double GemmCeilingGflops, double PeakRssMb, double EstimateMb, long Params,
                             double? CpuMsPerStep, double? CpuMfu, double? CpuCeilingGflops);

    /// <summary>Times <paramref name="steps"/> steps per shape after one warm-up step; the median step time is kept.</summary>
    public static IReadOnlyList<Row> Run(IEnumerable<Shape> shapes, string backend, int threads, int steps, TextWriter progress)
    {
        var gemm = Gemm.Create(backend, threads);
        var rows = new List<Row>();
        foreach (var s in shapes)
        {
            // Free the previous shape's model first: peak RSS is a process high-water mark.
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
            // The ceiling is measured again beside each shape: on a shared machine the load changes from minute to minute.
            double ceiling = GemmBench.Ceiling(gemm, threads);
            double? cpuCeiling = CpuCeiling(gemm, threads);
            progress.WriteLine(string.Format(CultureInfo.InvariantCulture, "bench train: {0}: GEMM ceiling {1:F0} GFLOP/s ({2}, {3} threads; by CPU time {4:F0})",
                                             s, ceiling, gemm.Name, threads, cpuCeiling));
            var cfg = ModelConfig.FromShape($"{s.Layers}x{s.Width}", s.Vocab, s.Seq);
            var model = new TransformerLm(cfg, s.Batch, s.Seq, gemm, threads);
            model.InitializeWeights(1);
            var opt = new AdamW(model.Parameters.Length, model.Params.Select(p => (p.Offset, p.Length, p.Decay)), threads: threads);
            var inputs = new int[s.Batch * s.Seq];
            var targets = new int[s.Batch * s.Seq];
            var rng = new Rng(2);
            var times = new List<double>();
            double bestCpu = double.MaxValue;
            for (int i = 0; i <= steps; i++)
            {
                for (int j = 0; j < inputs.Length; j++) { inputs[j] = rng.NextInt(s.Vocab); targets[j] = rng.NextInt(s.Vocab); }
                double c0 = CpuClock.Seconds(thread: false);
                long t0 = Stopwatch.GetTimestamp();
                model.ZeroGradients();
                model.Forward(inputs, targets, s.Batch);
                model.Backward();
                double norm = Trainer.GlobalNorm(model.Gradients);
                opt.Update(model.Parameters, model.Gradients, 1e-4f, (float)Trainer.ClipScale(norm, 1.0));
                double ms = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
                double stepCpuMs = (CpuClock.Seconds(thread: false) - c0) * 1000 / threads;
                if (i > 0) { times.Add(ms); bestCpu = Math.Min(bestCpu, stepCpuMs); } // step 0 warms up the JIT and the caches
                progress.WriteLine(string.Format(CultureInfo.InvariantCulture, "  {0}: step {1} {2:F0} ms{3}", s, i, ms, i == 0 ? " (warm-up)" : ""));
            }
            times.Sort();
            double msPerStep = times[times.Count / 2];
            double tps = s.Batch * s.Seq / (msPerStep / 1000);
            double flopsPerToken = ModelAccounting.TrainingFlopsExact(cfg, 1);
            double mfu = flopsPerToken * tps / (ceiling * 1e9);
            double rss = Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0;
            double? cpuMs = CpuClock.Available && bestCpu > 0 ? bestCpu : null;
            double? cpuMfu = cpuMs is { } cm && cpuCeiling is { } cc ? flopsPerToken * (s.Batch * s.Seq / (cm / 1000)) / (cc * 1e9) : null;
            rows.Add(new Row(s, msPerStep, tps, flopsPerToken, mfu, ceiling, rss, EstimateBytes(cfg, s.Batch, s.Seq) / 1048576.0,
                             model.Parameters.LongLength, cpuMs, cpuMfu, cpuCeiling));
        }
        return rows;
    }

    /// <summary>The ceiling's shape (1024·threads × 768 × 3072, NN) timed by CPU seconds per thread; null without CPU clocks.</summary>
    private static double? CpuCeiling(IGemm gemm, int threads)
    {
        int m = 1024 * threads, k = 768, n = 3072;
        var rng = new Rng(3);
        var a = new float[m * k]; var b = new float[k * n]; var c = new float[m * n];
        rng.FillUniform(a, -1, 1);
        rng.FillUniform(b, -1, 1);
        return GemmBench.Measure(gemm, m, k, n, "NN", a, b, c, 5, threads).Cpu;
    }

    /// <summary>
    /// Bytes the training step must hold: 4 float32 copies of the parameters (weights, gradients, AdamW m and v) and
    /// the activations kept for backward and their gradients, counted per token as in llm.c: per layer two
    /// LayerNorm outputs (2C) and their statistics, q/k/v (3C), attention output (C), two residuals (2C), the MLP's
    /// hidden before and after GELU (2·d_ff), the two projections (2C), and the attention scores and probabilities
    /// (2·heads·T); then the final LayerNorm (C) and the logits and probabilities (2V).
    /// </summary>
    public static double EstimateBytes(ModelConfig c, int batch, int seq)
    {
        double p = ModelAccounting.TrainableParams(c);
        double perLayer = 10.0 * c.DModel + 2.0 * c.DFf + 4 + 2.0 * c.NHead * seq;
        double perToken = c.NLayer * perLayer + c.DModel + 2.0 * c.VocabSize;
        double acts = (double)batch * seq * perToken;
        return 4 * (4 * p + 2 * acts);
    }

    /// <summary>The human table: our figures, MFU, and the reference's tokens/s beside ours as a ratio.</summary>
    public static void WriteTable(IReadOnlyList<Row> rows, TextWriter o)
    {
        var ci = CultureInfo.InvariantCulture;
        o.WriteLine(string.Format(ci, "{0,-22} {1,10} {2,10} {3,8} {4,7} {5,10} {6,10} {7,18} │ {8,9} {9,9} {10,7}",
            "shape", "ms/step", "tokens/s", "GFLOP/s", "MFU", "RSS MB", "est. MB", "vs reference", "cpu ms", "tokens/s", "MFU"));
        foreach (var r in rows)
        {
            string reference = r.Shape.ReferenceTokensPerS is { } rt
                ? string.Format(ci, "{0:F1}x {1} ({2:F0})", r.TokensPerS / rt, r.Shape.Reference, rt) : "";
            double? cpuTps = r.CpuMsPerStep is { } cm ? r.Shape.Batch * r.Shape.Seq / (cm / 1000) : null;
            o.WriteLine(string.Format(ci, "{0,-22} {1,10:F1} {2,10:F0} {3,8:F0} {4,6:F1}% {5,10:F0} {6,10:F0} {7,18} │ {8,9:F1} {9,9:F0} {10,6:F1}%",
                r.Shape, r.MsPerStep, r.TokensPerS, r.FlopsPerToken * r.TokensPerS / 1e9, 100 * r.Mfu, r.PeakRssMb, r.EstimateMb, reference,
                r.CpuMsPerStep, cpuTps, 100 * r.CpuMfu));
        }
        if (rows.Count > 0)
        {
            o.WriteLine("GEMM ceiling per row (GemmBench.Ceiling, same process, just before the row): " +
                string.Join(", ", rows.Select(r => string.Format(ci, "{0:F0} ({1:F0} by CPU time)", r.GemmCeilingGflops, r.CpuCeilingGflops))) + " GFLOP/s");
            o.WriteLine("MFU = training FLOPs/token (ModelAccounting.TrainingFlopsExact) × tokens/s ÷ ceiling.");
            o.WriteLine("ms/step: median wall clock; cpu: best step by CPU seconds per thread (time preempted by other work not counted).");
        }
    }

    /// <summary>One JSON object: a row per shape with tokens_per_s, ms_per_step, mfu, gemm_ceiling_gflops, peak_rss_mb.</summary>
    public static string ToJson(IReadOnlyList<Row> rows, string gemm, int threads) => JsonSerializer.Serialize(new
    {
        gemm,
        threads,
        rows = rows.Select(r => new Dictionary<string, object?>
        {
            ["shape"] = $"{r.Shape.Layers}x{r.Shape.Width}", ["vocab"] = r.Shape.Vocab, ["batch"] = r.Shape.Batch, ["seq"] = r.Shape.Seq,
            ["params"] = r.Params, ["ms_per_step"] = r.MsPerStep, ["tokens_per_s"] = r.TokensPerS,
            ["training_flops_per_token"] = r.FlopsPerToken, ["mfu"] = r.Mfu, ["gemm_ceiling_gflops"] = r.GemmCeilingGflops,
            ["peak_rss_mb"] = r.PeakRssMb, ["estimate_mb"] = r.EstimateMb,
            ["cpu_ms_per_step"] = r.CpuMsPerStep, ["mfu_cpu"] = r.CpuMfu, ["gemm_ceiling_gflops_cpu"] = r.CpuCeilingGflops,
            ["reference"] = r.Shape.Reference, ["reference_tokens_per_s"] = r.Shape.ReferenceTokensPerS,
        }),
    });
}
