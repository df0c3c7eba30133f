using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using ScalingLab.Model;
using ScalingLab.Tensors;
using ScalingLab.Training;

namespace ScalingLab.Bench;

/// <summary>
/// Training throughput per model shape, against the matmul-only bound of that exact step measured in the same run.
/// A step is what the trainer does (<see cref="Trainer.TrainStep"/>: forward, backward, global norm, AdamW). The
/// bound: the step's own sequence of layer and LM-head GEMMs (recorded through <see cref="StepGemms.Recorder"/>)
/// replayed alone through every available library — the managed GEMM and OpenBLAS (with whatever kernel it loaded;
/// `scalinglab bench train` first probes OpenBLAS's core types and runs with the fastest) in float32, oneDNN in bf16 —
/// and the fastest library's time is the bound. Our steps and the replays alternate, repetition by repetition; times
/// are medians, and the ratio is the median of per-repetition ratios (a step ÷ the replay right after it), so ratios
/// compare figures taken under the same load on a shared machine. MFU = training FLOPs
/// per token (<see cref="ModelAccounting.TrainingFlopsExact"/>) × tokens/s ÷ the GEMM ceiling
/// (<see cref="GemmBench.Ceiling"/>, measured beside each shape). Peak RSS is printed beside the analytic estimate.
/// </summary>
public static class TrainBench
{
    /// <summary>One shape to time: layers × width, vocabulary, batch B and sequence T.</summary>
    public sealed record Shape(int Layers, int Width, int Vocab, int Batch, int Seq)
    {
        /// <summary>"12x768 V50304 B4 T64".</summary>
        public override string ToString() => $"{Layers}x{Width} V{Vocab} B{Batch} T{Seq}";
    }

    /// <summary>
    /// The sweep regime first (small models, where fixed per-operation costs dominate: d 32–256, 1–6 layers, vocab
    /// 32–4096, batch 8–32, seq 32–256), then GPT-2-sized steps: 4×256 B4 T256 and 12×768 B4 T64 (the 124M model).
    /// Smallest first: peak RSS is a process high-water mark, so it rises with each row.
    /// </summary>
    public static readonly Shape[] DefaultShapes =
    [
        new(1, 32, 32, 8, 32),
        new(2, 32, 256, 16, 64),
        new(3, 64, 512, 16, 128),
        new(2, 128, 4096, 32, 128),
        new(4, 192, 4096, 16, 128),
        new(6, 256, 4096, 8, 256),
        new(4, 256, 50304, 4, 256),
        new(6, 384, 4096, 8, 256),
        new(12, 768, 50304, 4, 64),
    ];

    /// <summary>
    /// One measured row (one shape at one precision). Times are medians over the timed repetitions, in ms.
    /// <c>Bounds</c>: the replayed GEMM sequence per library; <c>Bound</c>/<c>BoundLibrary</c> the fastest of those at
    /// this precision; <c>GemmInStep</c>: wall time inside the step's own GEMM calls; <c>RepRatios</c>: per repetition,
    /// that repetition's step ÷ the bound library's replay right after it.
    /// </summary>
    public sealed record Row(Shape Shape, string Precision, string Gemm, double MsPerStep, double TokensPerS, double FlopsPerToken,
                             double Mfu, double GemmCeilingGflops, double GemmInStepMs, IReadOnlyDictionary<string, double> BoundsMs,
                             double BoundMs, string BoundLibrary, double StepGemmGflop, double PeakRssMb, double EstimateMb, long Params,
                             IReadOnlyList<double> RepRatios)
    {
        /// <summary>
        /// Our step ÷ its matmul-only bound: the median of the per-repetition ratios, each taken between a step and the
        /// replay timed right after it, so a slow drift of the machine's speed (a shared VM) cancels within a pair.
        /// </summary>
        public double Ratio => Median(RepRatios.ToList());

        /// <summary>The lowest and highest per-repetition ratio: the run-to-run spread the median hides.</summary>
        public (double Low, double High) RatioRange => (RepRatios.Min(), RepRatios.Max());
    }

    /// <summary>
    /// Times <paramref name="steps"/> repetitions per shape (after one warm-up) of our step at each precision and of the
    /// step's GEMM sequence through each library, interleaved; medians are kept.
    /// </summary>
    public static IReadOnlyList<Row> Run(IEnumerable<Shape> shapes, string backend, int threads, int steps, IReadOnlyList<string> precisions,
                                         TextWriter progress)
    {
        var fp32 = Gemm.Create(backend, threads);
        var gemms = precisions.Distinct().ToDictionary(p => p, p => p == "bf16" ? Bf16Gemm.Create(threads) : fp32);
        // The libraries the bound is taken over, per precision.
        var bound = new Dictionary<string, List<IGemm>> { ["fp32"] = [Gemm.Create("managed", threads)], ["bf16"] = [Bf16Gemm.Create(threads)] };
        if (OpenBlasGemm.Available()) bound["fp32"].Add(Gemm.Create("openblas", threads));
        progress.WriteLine($"bench train: {Precision.Describe()}");
        if (OpenBlasGemm.Available()) progress.WriteLine($"bench train: OpenBLAS kernel {OpenBlasGemm.CoreName ?? "?"}");
        var rows = new List<Row>();
        foreach (var s in shapes)
        {
            // Free the previous shape's model first: peak RSS is a process high-water mark.
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
            double ceiling = GemmBench.Ceiling(fp32, threads);
            progress.WriteLine(string.Format(CultureInfo.InvariantCulture, "bench train: {0}: GEMM ceiling {1:F0} GFLOP/s ({2}, {3} threads)",
                                             s, ceiling, fp32.Name, threads));
            var cfg = ModelConfig.FromShape($"{s.Layers}x{s.Width}", s.Vocab, s.Seq);
            var recorder = new StepGemms.Recorder(fp32);
            var model = new TransformerLm(cfg, s.Batch, s.Seq, recorder, threads);
            model.InitializeWeights(1);
            var opt = new AdamW(model.Parameters.Length, model.Params.Select(p => (p.Offset, p.Length, p.Decay)), threads: threads);
            var inputs = new int[s.Batch * s.Seq];
            var targets = new int[s.Batch * s.Seq];
            var rng = new Rng(2);
            double Step(string precision)
            {
                for (int j = 0; j < inputs.Length; j++) { inputs[j] = rng.NextInt(s.Vocab); targets[j] = rng.NextInt(s.Vocab); }
                recorder.Inner = gemms[precision];
                long t0 = Stopwatch.GetTimestamp();
                Trainer.TrainStep(model, opt, inputs, targets, s.Batch, 1e-4f, 1.0);
                return Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
            }
            recorder.Recording = true;
            Step(precisions[0]); // warm-up: JIT, caches, and the step's GEMM sequence
            recorder.Recording = false;
            foreach (var p in precisions.Skip(1)) Step(p);
            var calls = recorder.Calls.ToList();
            double rss = Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0; // the step's memory, before the replay's buffers
            var plan = new StepGemms.Plan(calls);
            var libs = precisions.SelectMany(p => bound[p].Select(g => (p, g))).Distinct().ToList();
            foreach (var (_, g) in libs) Replay(g, plan); // warm-up (oneDNN builds its primitives)
            var stepMs = precisions.ToDictionary(p => p, _ => new List<double>());
            var inStepMs = precisions.ToDictionary(p => p, _ => new List<double>());
            var replayMs = libs.ToDictionary(x => x, _ => new List<double>());
            for (int i = 0; i < steps; i++)
            {
                foreach (var p in precisions)
                {
                    recorder.Seconds = 0;
                    recorder.Timing = true;
                    stepMs[p].Add(Step(p));
                    recorder.Timing = false;
                    inStepMs[p].Add(recorder.Seconds * 1000);
                }
                foreach (var x in libs) replayMs[x].Add(Replay(x.g, plan));
                progress.WriteLine(string.Format(CultureInfo.InvariantCulture, "  {0}: rep {1}: step {2}; GEMMs alone {3}", s, i + 1,
                    string.Join(", ", precisions.Select(p => $"{p} {stepMs[p][^1]:F1} ms")),
                    string.Join(", ", libs.Select(x => $"{LibraryName(x.g, x.p)} {replayMs[x][^1]:F1} ms"))));
            }
            double flopsPerToken = ModelAccounting.TrainingFlopsExact(cfg, 1);
            foreach (var p in precisions)
            {
                double ms = Median(stepMs[p]);
                var bounds = libs.Where(x => x.p == p).ToDictionary(x => LibraryName(x.g, p), x => Median(replayMs[x]));
                var best = bounds.MinBy(kv => kv.Value);
                var bestReplays = replayMs[libs.First(x => x.p == p && LibraryName(x.g, p) == best.Key)];
                var repRatios = stepMs[p].Select((t, i) => t / bestReplays[i]).ToList();
                double tps = s.Batch * s.Seq / (ms / 1000);
                rows.Add(new Row(s, p, gemms[p].Name, ms, tps, flopsPerToken, flopsPerToken * tps / (ceiling * 1e9), ceiling,
                                 Median(inStepMs[p]), bounds, best.Value, best.Key, StepGemms.Flops(calls) / 1e9, rss,
                                 EstimateBytes(cfg, s.Batch, s.Seq) / 1048576.0, model.Parameters.LongLength, repRatios));
            }
        }
        return rows;
    }

    private static string LibraryName(IGemm g, string precision) =>
        g is OpenBlasGemm ? $"openblas:{OpenBlasGemm.CoreName ?? "?"}" : precision == "bf16" ? g.Name : g.Name;

    private static double Replay(IGemm g, StepGemms.Plan plan)
    {
        double ms = plan.Replay(g) * 1000;
        if (g is OpenBlasGemm) Thread.Sleep(20); // OpenBLAS's threads spin for a while after a call: let them sleep first
        return ms;
    }

    private static double Median(List<double> xs)
    {
        var s = xs.Order().ToList();
        return s.Count % 2 == 1 ? s[s.Count / 2] : (s[s.Count / 2 - 1] + s[s.Count / 2]) / 2;
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

    /// <summary>The human table: per shape and precision our step, its matmul-only bound and the ratio; then notes.</summary>
    public static void WriteTable(IReadOnlyList<Row> rows, TextWriter o)
    {
        var ci = CultureInfo.InvariantCulture;
        o.WriteLine(string.Format(ci, "{0,-22} {1,-5} {2,9} {3,9} {4,6} {5,9} {6,-22} {7,6} {8,-11} {9,9} {10,9} {11,8}",
            "shape", "prec", "ms/step", "tokens/s", "MFU", "bound ms", "bound library", "ratio", "range", "GEMM in", "other ms", "RSS MB"));
        foreach (var r in rows)
            o.WriteLine(string.Format(ci, "{0,-22} {1,-5} {2,9:F1} {3,9:F0} {4,5:F1}% {5,9:F1} {6,-22} {7,6:F2} {8,-11} {9,9:F1} {10,9:F1} {11,8:F0}",
                r.Shape, r.Precision, r.MsPerStep, r.TokensPerS, 100 * r.Mfu, r.BoundMs, r.BoundLibrary, r.Ratio,
                string.Format(ci, "{0:F2}-{1:F2}", r.RatioRange.Low, r.RatioRange.High), r.GemmInStepMs, r.MsPerStep - r.GemmInStepMs, r.PeakRssMb));
        if (rows.Count == 0) return;
        foreach (var g in rows.GroupBy(r => r.Shape))
        {
            var fp = g.FirstOrDefault(r => r.Precision == "fp32");
            var bf = g.FirstOrDefault(r => r.Precision == "bf16");
            string speed = fp is not null && bf is not null ? string.Format(ci, "; bf16 step {0:F2}× the speed of the fp32 step", fp.MsPerStep / bf.MsPerStep) : "";
            o.WriteLine(string.Format(ci, "{0}: GEMMs alone (ms) {1}{2}", g.Key,
                string.Join(", ", g.SelectMany(r => r.BoundsMs).DistinctBy(kv => kv.Key).Select(kv => string.Format(ci, "{0} {1:F1}", kv.Key, kv.Value))), speed));
        }
        o.WriteLine("bound: the step's own layer and LM-head GEMM sequence replayed alone through each library, the fastest at that precision;");
        o.WriteLine("ratio = step ÷ bound, the median over repetitions of a step's time ÷ the bound library's replay right after it");
        o.WriteLine("(range: lowest and highest of those). GEMM in: time inside the step's GEMM calls; other = the rest (attention,");
        o.WriteLine("LayerNorm, GELU, cross-entropy, norm, AdamW). Steps and replays alternate per repetition; times are medians.");
        o.WriteLine("MFU = training FLOPs/token (ModelAccounting.TrainingFlopsExact) × tokens/s ÷ GEMM ceiling: " +
                    string.Join(", ", rows.DistinctBy(r => r.Shape).Select(r => string.Format(ci, "{0:F0}", r.GemmCeilingGflops))) + " GFLOP/s per shape.");
        o.WriteLine(Precision.Describe());
    }

    /// <summary>One JSON object: a row per shape and precision with ms_per_step, bound_ms, ratio, tokens_per_s, mfu.</summary>
    public static string ToJson(IReadOnlyList<Row> rows, string gemm, int threads) => JsonSerializer.Serialize(new
    {
        gemm,
        threads,
        cpu = Precision.Describe(),
        openblas_core = OpenBlasGemm.CoreName,
        rows = rows.Select(r => new Dictionary<string, object?>
        {
            ["shape"] = $"{r.Shape.Layers}x{r.Shape.Width}", ["vocab"] = r.Shape.Vocab, ["batch"] = r.Shape.Batch, ["seq"] = r.Shape.Seq,
            ["precision"] = r.Precision, ["gemm"] = r.Gemm, ["params"] = r.Params, ["ms_per_step"] = r.MsPerStep,
            ["tokens_per_s"] = r.TokensPerS, ["training_flops_per_token"] = r.FlopsPerToken, ["mfu"] = r.Mfu,
            ["gemm_ceiling_gflops"] = r.GemmCeilingGflops, ["gemm_in_step_ms"] = r.GemmInStepMs, ["bound_ms"] = r.BoundMs,
            ["bound_library"] = r.BoundLibrary, ["bounds_ms"] = r.BoundsMs, ["ratio"] = r.Ratio, ["ratio_low"] = r.RatioRange.Low,
            ["ratio_high"] = r.RatioRange.High, ["rep_ratios"] = r.RepRatios, ["step_gemm_gflop"] = r.StepGemmGflop,
            ["peak_rss_mb"] = r.PeakRssMb, ["estimate_mb"] = r.EstimateMb,
        }),
    });
}
