using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using ScalingLab.Common;
using ScalingLab.Tensors;

namespace ScalingLab.Bench;

/// <summary>
/// GFLOP/s of the managed GEMM beside OpenBLAS's, same process, same inputs, at the transformer's shapes.
/// Each library is timed in its own phase (managed first: OpenBLAS's threads keep spinning after its calls
/// and would steal the cores). Each figure is the best of <c>repeat</c> timed calls after one warm-up call:
/// the machine is shared, so the best is the least disturbed. When OPENBLAS_CORETYPE or OPENBLAS_L2_SIZE
/// is set (some machines force an AVX2 kernel that way), the OpenBLAS phase is run again in a child process
/// with both unset, to show OpenBLAS's best kernel too.
/// <para>Beside wall-clock figures it reports CPU-time figures (2·M·K·N over the CPU seconds per thread:
/// the calling thread's clock at one thread, the process clock ÷ threads above): on a machine shared with
/// other work they estimate what a quiet machine would show, since time spent preempted is not counted.</para>
/// </summary>
public static class GemmBench
{
    /// <summary>The shapes M×K×N the issue names: attention/MLP projections, the LM head, and 512³.</summary>
    public static readonly (int M, int K, int N)[] DefaultShapes =
        [(4096, 768, 768), (4096, 768, 3072), (4096, 3072, 768), (4096, 256, 1024), (1024, 768, 50304), (512, 512, 512)];

    /// <summary>The operand layouts training uses: NN forward, NT and TN backward.</summary>
    public static readonly string[] DefaultOps = ["NN", "NT", "TN"];

    /// <summary>The environment variables that pin OpenBLAS to a kernel.</summary>
    public static readonly string[] OpenBlasKernelVariables = ["OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"];

    /// <summary>What to run.</summary>
    /// <param name="Threads">thread counts, each a separate row</param>
    /// <param name="Shapes">M×K×N shapes</param>
    /// <param name="Ops">"NN", "NT", "TN" or "TT"</param>
    /// <param name="Repeat">timed calls per figure (the best is kept)</param>
    /// <param name="Libraries">"managed", "openblas" or both</param>
    /// <param name="BestKernelChild">how to start this bench in a child process (file, leading arguments), or null for none</param>
    public sealed record Options(int[] Threads, (int M, int K, int N)[] Shapes, string[] Ops, int Repeat,
                                 string[] Libraries, (string File, string[] Args)? BestKernelChild);

    /// <summary>One shape/op/threads row; a figure is null when that library was not timed.</summary>
    public sealed record Row(int M, int K, int N, string Op, int Threads,
                             double? GflopsManaged, double? GflopsOpenBlas, double? GflopsOpenBlasBest,
                             double? CpuManaged = null, double? CpuOpenBlas = null, double? CpuOpenBlasBest = null)
    {
        /// <summary>managed ÷ OpenBLAS's best kernel, both in CPU-time GFLOP/s.</summary>
        public double? CpuRatioBest => CpuManaged / (CpuOpenBlasBest ?? CpuOpenBlas);

        /// <summary>managed ÷ OpenBLAS as configured in this process.</summary>
        public double? Ratio => GflopsManaged / GflopsOpenBlas;

        /// <summary>managed ÷ OpenBLAS's best kernel (the configured one when no variable pins it).</summary>
        public double? RatioBest => GflopsManaged / (GflopsOpenBlasBest ?? GflopsOpenBlas);
    }

    /// <summary>Runs the bench, writing progress to <paramref name="progress"/>.</summary>
    public static IReadOnlyList<Row> Run(Options o, TextWriter progress)
    {
        bool wantManaged = o.Libraries.Contains("managed");
        bool wantOpenBlas = o.Libraries.Contains("openblas") && OpenBlasGemm.Available();
        if (o.Libraries.Contains("openblas") && !OpenBlasGemm.Available())
            progress.WriteLine("gemm bench: libopenblas.so.0 not found (install libopenblas0-pthread); managed figures only");
        var keys = (from t in o.Threads from s in o.Shapes from op in o.Ops select (s.M, s.K, s.N, op, t)).ToList();
        var managed = new Dictionary<(int, int, int, string, int), (double Wall, double? Cpu)>();
        var openblas = new Dictionary<(int, int, int, string, int), (double Wall, double? Cpu)>();
        // One shape's buffers at a time (the LM head's B and C are 150–200 MB), shared by both phases.
        foreach (var shape in o.Shapes)
        {
            var (a, b, c) = Inputs(shape.M, shape.K, shape.N);
            if (wantManaged) Phase("managed", shape, a, b, c, o, managed, progress);
            if (wantOpenBlas)
            {
                Phase("openblas", shape, a, b, c, o, openblas, progress);
                Thread.Sleep(200); // let OpenBLAS's spinning threads go to sleep before managed runs again
            }
        }
        Dictionary<(int, int, int, string, int), (double Wall, double? Cpu)>? best = null;
        if (wantOpenBlas && o.BestKernelChild is { } child && OpenBlasKernelVariables.Any(v => Environment.GetEnvironmentVariable(v) is not null))
            best = RunBestKernelChild(child, o, progress);
        return keys.Select(key =>
        {
            bool hm = managed.TryGetValue(key, out var gm), ho = openblas.TryGetValue(key, out var go);
            (double Wall, double? Cpu) gb = default;
            bool hb = best is not null && best.TryGetValue(key, out gb);
            return new Row(key.M, key.K, key.N, key.op, key.t,
                hm ? gm.Wall : null, ho ? go.Wall : null, hb ? gb.Wall : null,
                hm ? gm.Cpu : null, ho ? go.Cpu : null, hb ? gb.Cpu : null);
        }).ToList();
    }

    private static void Phase(string lib, (int M, int K, int N) shape, float[] a, float[] b, float[] c,
                              Options o, Dictionary<(int, int, int, string, int), (double, double?)> into, TextWriter progress)
    {
        foreach (int t in o.Threads)
        {
            IGemm gemm = Gemm.Create(lib, t);
            foreach (string op in o.Ops)
            {
                var (g, cpu) = Measure(gemm, shape.M, shape.K, shape.N, op, a, b, c, o.Repeat, t);
                into[(shape.M, shape.K, shape.N, op, t)] = (g, cpu);
                progress.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"gemm bench: {lib,-8} {shape.M}x{shape.K}x{shape.N} {op} threads={t}: {g:0.0} GFLOP/s ({cpu:0.0} per CPU-time)"));
            }
        }
    }

    /// <summary>
    /// Best GFLOP/s of <paramref name="repeat"/> timed calls after one warm-up call: by the wall clock, and by
    /// CPU time per thread (null where the CPU clocks cannot be read).
    /// </summary>
    public static (double Wall, double? Cpu) Measure(IGemm gemm, int m, int k, int n, string op, float[] a, float[] b, float[] c,
                                                     int repeat, int threads)
    {
        bool ta = op[0] == 'T', tb = op[1] == 'T';
        int lda = ta ? m : k, ldb = tb ? k : n;
        double best = double.MaxValue, bestCpu = double.MaxValue;
        for (int r = 0; r <= repeat; r++)
        {
            double c0 = CpuClock.Seconds(threads == 1);
            long t0 = Stopwatch.GetTimestamp();
            gemm.Sgemm(ta, tb, m, n, k, 1f, a.AsSpan(0, m * k), lda, b.AsSpan(0, k * n), ldb, 0f, c.AsSpan(0, m * n), n);
            double s = Stopwatch.GetElapsedTime(t0).TotalSeconds;
            double cpu = (CpuClock.Seconds(threads == 1) - c0) / threads;
            if (r > 0)
            {
                best = Math.Min(best, s);
                bestCpu = Math.Min(bestCpu, cpu);
            }
        }
        double flops = 2.0 * m * n * k;
        return (flops / best / 1e9, CpuClock.Available && bestCpu > 0 ? flops / bestCpu / 1e9 : null);
    }

    /// <summary>
    /// The GEMM's ceiling for MFU: best GFLOP/s at a representative training shape (M = 1024·threads,
    /// K = 768, N = 3072, NN; each thread gets the same rows whatever the count), timed for about a second.
    /// </summary>
    public static double Ceiling(IGemm gemm, int threads)
    {
        int m = 1024 * Math.Max(1, threads), k = 768, n = 3072;
        var (a, b, c) = Inputs(m, k, n);
        double best = double.MaxValue;
        var total = Stopwatch.StartNew();
        for (int r = 0; r < 3 || total.Elapsed.TotalSeconds < 1.0; r++)
        {
            long t0 = Stopwatch.GetTimestamp();
            gemm.Sgemm(false, false, m, n, k, 1f, a, k, b, n, 0f, c, n);
            double s = Stopwatch.GetElapsedTime(t0).TotalSeconds;
            if (r > 0) best = Math.Min(best, s);
            if (r > 50) break;
        }
        return 2.0 * m * n * k / best / 1e9;
    }

    private static (float[] A, float[] B, float[] C) Inputs(int m, int k, int n)
    {
        var a = new float[(long)m * k]; var b = new float[(long)k * n]; var c = new float[(long)m * n];
        var rng = new Rng(2024);
        rng.FillUniform(a, -1f, 1f);
        rng.Fork(1).FillUniform(b, -1f, 1f);
        return (a, b, c);
    }

    /// <summary>
    /// Re-runs the OpenBLAS phase in a child process with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset (the
    /// variables are read when the library loads, so only a fresh process can change them).
    /// </summary>
    private static Dictionary<(int, int, int, string, int), (double, double?)>? RunBestKernelChild(
        (string File, string[] Args) child, Options o, TextWriter progress)
    {
        progress.WriteLine("gemm bench: OpenBLAS again with " + string.Join(" and ", OpenBlasKernelVariables) + " unset (child process)");
        var psi = new ProcessStartInfo(child.File) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in child.Args) psi.ArgumentList.Add(arg);
        foreach (var arg in ToArguments(o with { Libraries = ["openblas"] })) psi.ArgumentList.Add(arg);
        foreach (var v in OpenBlasKernelVariables) psi.Environment.Remove(v);
        using var p = Process.Start(psi) ?? throw new UserError($"could not start {child.File} for the OpenBLAS best-kernel phase");
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) progress.WriteLine("  (best kernel) " + e.Data); };
        p.BeginErrorReadLine();
        string stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0)
        {
            progress.WriteLine($"gemm bench: the best-kernel child exited with {p.ExitCode}; its figures are left out");
            return null;
        }
        var result = new Dictionary<(int, int, int, string, int), (double, double?)>();
        foreach (var row in JsonNode.Parse(stdout)!["rows"]!.AsArray())
        {
            var g = row!["gflops_openblas"];
            if (g is null) continue;
            result[((int)row["m"]!, (int)row["k"]!, (int)row["n"]!, (string)row["op"]!, (int)row["threads"]!)] =
                ((double)g, (double?)row["gflops_openblas_cpu"]);
        }
        return result;
    }

    /// <summary>The command-line arguments (after `bench gemm`) that reproduce <paramref name="o"/>, with --json.</summary>
    public static IEnumerable<string> ToArguments(Options o) =>
    [
        "--threads", string.Join(',', o.Threads),
        "--shapes", string.Join(',', o.Shapes.Select(s => $"{s.M}x{s.K}x{s.N}")),
        "--ops", string.Join(',', o.Ops),
        "--repeat", o.Repeat.ToString(CultureInfo.InvariantCulture),
        "--libraries", string.Join(',', o.Libraries),
        "--best-kernel", "false",
        "--json",
    ];

    /// <summary>Median of the ratios at <paramref name="threads"/> threads (best kernel or as configured), or null.</summary>
    public static double? MedianRatio(IReadOnlyList<Row> rows, int threads, bool best) =>
        Median(rows.Where(x => x.Threads == threads).Select(x => best ? x.RatioBest : x.Ratio));

    /// <summary>Median of the CPU-time ratios (vs the best kernel) at <paramref name="threads"/> threads, or null.</summary>
    public static double? MedianCpuRatio(IReadOnlyList<Row> rows, int threads) =>
        Median(rows.Where(x => x.Threads == threads).Select(x => x.CpuRatioBest));

    private static double? Median(IEnumerable<double?> values)
    {
        var r = values.Where(x => x is not null).Select(x => x!.Value).Order().ToList();
        if (r.Count == 0) return null;
        return r.Count % 2 == 1 ? r[r.Count / 2] : (r[r.Count / 2 - 1] + r[r.Count / 2]) / 2;
    }

    /// <summary>One JSON object: a row per shape/op/threads, the medians, and how it was measured.</summary>
    public static string ToJson(IReadOnlyList<Row> rows, Options o)
    {
        static double? R(double? v, int digits) => v is null ? null : Math.Round(v.Value, digits);
        var obj = new JsonObject
        {
            ["bench"] = "gemm",
            ["managed_kernel"] = ((ManagedGemm)Gemm.Create("managed", 1)).UsesVector512 ? "6x64 Vector512" : "6x16 Vector256",
            ["openblas_available"] = OpenBlasGemm.Available(),
            ["openblas_env"] = new JsonObject(OpenBlasKernelVariables.Select(v =>
                KeyValuePair.Create(v, (JsonNode?)Environment.GetEnvironmentVariable(v)))),
            ["repeat"] = o.Repeat,
            ["figure"] = "best of repeat timed calls after one warm-up (shared machine)",
            ["rows"] = new JsonArray(rows.Select(r => (JsonNode)new JsonObject
            {
                ["m"] = r.M, ["k"] = r.K, ["n"] = r.N, ["op"] = r.Op, ["threads"] = r.Threads,
                ["gflops_managed"] = R(r.GflopsManaged, 2),
                ["gflops_openblas"] = R(r.GflopsOpenBlas, 2),
                ["gflops_openblas_best"] = R(r.GflopsOpenBlasBest, 2),
                ["ratio"] = R(r.Ratio, 4),
                ["ratio_best"] = R(r.RatioBest, 4),
                ["gflops_managed_cpu"] = R(r.CpuManaged, 2),
                ["gflops_openblas_cpu"] = R(r.CpuOpenBlas, 2),
                ["gflops_openblas_best_cpu"] = R(r.CpuOpenBlasBest, 2),
                ["ratio_best_cpu"] = R(r.CpuRatioBest, 4),
            }).ToArray()),
            ["median_ratio_1thread"] = R(MedianRatio(rows, 1, best: false), 4),
            ["median_ratio_2threads"] = R(MedianRatio(rows, 2, best: false), 4),
            ["median_ratio_best_1thread"] = R(MedianRatio(rows, 1, best: true), 4),
            ["median_ratio_best_2threads"] = R(MedianRatio(rows, 2, best: true), 4),
            ["median_ratio_best_cpu_1thread"] = R(MedianCpuRatio(rows, 1), 4),
            ["median_ratio_best_cpu_2threads"] = R(MedianCpuRatio(rows, 2), 4),
        };
        return obj.ToJsonString(new JsonSerializerOptions { WriteIndented = false });
    }

    /// <summary>The human table: one line per row, ratios, and the medians per thread count.</summary>
    public static void WriteTable(IReadOnlyList<Row> rows, TextWriter w)
    {
        static string F(double? v, string fmt) => v is null ? "-" : v.Value.ToString(fmt, CultureInfo.InvariantCulture);
        bool anyBest = rows.Any(r => r.GflopsOpenBlasBest is not null);
        w.WriteLine($"{"M×K×N",-18} {"op",-3} {"thr",3} {"managed",9} {"openblas",9} {"ratio",6}" +
                    (anyBest ? $" {"oblas-best",10} {"ratio",6}" : "") + $" │ {"cpu:managed",11} {"openblas",9} {"ratio",6}");
        foreach (var r in rows)
        {
            w.WriteLine($"{$"{r.M}×{r.K}×{r.N}",-18} {r.Op,-3} {r.Threads,3} {F(r.GflopsManaged, "0.0"),9} {F(r.GflopsOpenBlas, "0.0"),9} {F(r.Ratio, "0.00"),6}" +
                        (anyBest ? $" {F(r.GflopsOpenBlasBest, "0.0"),10} {F(r.RatioBest, "0.00"),6}" : "") +
                        $" │ {F(r.CpuManaged, "0.0"),11} {F(r.CpuOpenBlasBest ?? r.CpuOpenBlas, "0.0"),9} {F(r.CpuRatioBest, "0.00"),6}");
        }
        foreach (int t in rows.Select(r => r.Threads).Distinct())
        {
            w.WriteLine($"median ratio managed/openblas, {t} thread{(t == 1 ? "" : "s")}: {F(MedianRatio(rows, t, false), "0.00")}" +
                        (anyBest ? $"  (vs best kernel: {F(MedianRatio(rows, t, true), "0.00")})" : "") +
                        $"  (by CPU time: {F(MedianCpuRatio(rows, t), "0.00")})");
        }
        w.WriteLine("GFLOP/s = 2·M·K·N / best of the timed calls (the machine is shared: the best is the least disturbed);");
        w.WriteLine("cpu: the same over CPU seconds per thread (time preempted by other work not counted; OpenBLAS's best kernel where measured).");
    }
}

/// <summary>CPU clocks from clock_gettime (Linux): the calling thread's, or the whole process's.</summary>
internal static class CpuClock
{
    private const int ProcessCpuTime = 2, ThreadCpuTime = 3;

    [System.Runtime.InteropServices.StructLayout(System.Runtime.InteropServices.LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [System.Runtime.InteropServices.DllImport("libc.so.6", EntryPoint = "clock_gettime")]
    private static extern int ClockGetTime(int clock, out TimeSpec time);

    /// <summary>True where the clocks can be read.</summary>
    public static bool Available { get; } = Probe();

    /// <summary>CPU seconds used so far by this thread (<paramref name="thread"/>) or by the process; 0 where unavailable.</summary>
    public static double Seconds(bool thread)
    {
        if (!Available || ClockGetTime(thread ? ThreadCpuTime : ProcessCpuTime, out var t) != 0) return 0;
        return t.Seconds + t.Nanoseconds * 1e-9;
    }

    private static bool Probe()
    {
        try { return OperatingSystem.IsLinux() && ClockGetTime(ThreadCpuTime, out _) == 0; }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { return false; }
    }
}
