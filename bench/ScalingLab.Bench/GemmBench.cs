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
/// the machine is shared, so the best is the least disturbed.
/// <para>OpenBLAS's best kernel: Debian's OpenBLAS picks a kernel family from the CPU id at load time and falls back
/// to an old one on CPUs it does not know. The bench therefore probes every core type in <see cref="OpenBlasCoreTypes"/>
/// in a child process each (OPENBLAS_CORETYPE is read at load time; a core type the CPU cannot run just makes its child
/// fail), names the fastest, and times the full table again with it (the "best" column).</para>
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

    /// <summary>
    /// The OPENBLAS_CORETYPE values the probe tries ("" = the library's own choice): the x86-64 kernel families of
    /// Debian's DYNAMIC_ARCH build from AVX-512 (Cooperlake adds bf16, SkylakeX) through AVX2 (Haswell, Zen) to AVX.
    /// </summary>
    public static readonly string[] OpenBlasCoreTypes = ["", "Cooperlake", "SkylakeX", "Haswell", "Zen", "Sandybridge"];

    /// <summary>The probe's shape (M×K×N, NN): an MLP projection of 1024 rows.</summary>
    public static readonly (int M, int K, int N) ProbeShape = (1024, 768, 3072);

    /// <summary>What the core-type probe found: GFLOP/s per core type tried (null where its child failed), and the winner.</summary>
    public sealed record CoreProbe(IReadOnlyList<(string CoreType, string? CoreName, double? Gflops)> Tried, string? Winner, string? WinnerCoreName);

    /// <summary>What to run.</summary>
    /// <param name="Threads">thread counts, each a separate row</param>
    /// <param name="Shapes">M×K×N shapes</param>
    /// <param name="Ops">"NN", "NT", "TN" or "TT"</param>
    /// <param name="Repeat">timed calls per figure (the best is kept)</param>
    /// <param name="Libraries">"managed", "openblas" or both</param>
    /// <param name="BestKernelChild">how to start this bench in a child process (file, leading arguments), or null for no
    /// core-type probe</param>
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
        if (wantOpenBlas && o.BestKernelChild is { } child)
        {
            LastProbe = ProbeCoreTypes(child, 1, progress);
            if (LastProbe.Winner is { } w && LastProbe.WinnerCoreName != OpenBlasGemm.CoreName)
                best = RunChild(child, o with { Libraries = ["openblas"] }, w, progress);
        }
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

    /// <summary>The core-type probe of the last <see cref="Run"/> (null when none ran).</summary>
    public static CoreProbe? LastProbe { get; private set; }

    /// <summary>
    /// Times OpenBLAS at <see cref="ProbeShape"/> on <paramref name="threads"/> threads under every core type of
    /// <see cref="OpenBlasCoreTypes"/>, each in its own child process, twice, and names the fastest by CPU-time GFLOP/s
    /// (wall clock where CPU clocks cannot be read). One thread: the kernel, not the threading, is being chosen.
    /// </summary>
    public static CoreProbe ProbeCoreTypes((string File, string[] Args) child, int threads, TextWriter progress)
    {
        var probe = new Options([threads], [ProbeShape], ["NN"], 3, ["openblas"], null);
        var best = new Dictionary<string, (string? Core, double? Gflops)>();
        // Two rounds over the core types, best of both: on a shared machine one child can land on a busy moment.
        for (int round = 0; round < 2; round++)
            foreach (string ct in OpenBlasCoreTypes)
            {
                var rows = RunChild(child, probe, ct, progress, quiet: true);
                // By CPU time where the clocks can be read: time preempted by other work on a shared machine is not counted.
                double? g = rows?.Values.Select(v => v.Cpu ?? v.Wall).FirstOrDefault();
                var prev = best.GetValueOrDefault(ct);
                best[ct] = (s_childCore ?? prev.Core, prev.Gflops is { } pg && (g is null || pg >= g) ? pg : g);
            }
        var tried = OpenBlasCoreTypes.Select(ct => (ct, best[ct].Core, best[ct].Gflops)).ToList();
        foreach (var (ct, core, g) in tried)
            progress.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"gemm bench: OpenBLAS core type probe {(ct == "" ? "(library's choice)" : ct)}: {(g is { } x ? $"{x:0.0} GFLOP/s by CPU time" : "failed")} (kernel {core ?? "?"})"));
        var bestTry = tried.Where(t => t.Item3 is not null).OrderByDescending(t => t.Item3).FirstOrDefault();
        return new CoreProbe(tried, bestTry.Item3 is null ? null : bestTry.Item1, bestTry.Item2);
    }

    private static string? s_childCore;

    /// <summary>
    /// Runs this bench in a child process with OPENBLAS_CORETYPE = <paramref name="coreType"/> ("" = unset) and
    /// OPENBLAS_L2_SIZE unset (both are read when the library loads, so only a fresh process can change them).
    /// </summary>
    private static Dictionary<(int, int, int, string, int), (double Wall, double? Cpu)>? RunChild(
        (string File, string[] Args) child, Options o, string coreType, TextWriter progress, bool quiet = false)
    {
        s_childCore = null;
        if (!quiet) progress.WriteLine($"gemm bench: OpenBLAS again with OPENBLAS_CORETYPE={coreType} (child process)");
        var psi = new ProcessStartInfo(child.File) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in child.Args) psi.ArgumentList.Add(arg);
        foreach (var arg in ToArguments(o)) psi.ArgumentList.Add(arg);
        foreach (var v in OpenBlasKernelVariables) psi.Environment.Remove(v);
        if (coreType != "") psi.Environment["OPENBLAS_CORETYPE"] = coreType;
        using var p = Process.Start(psi) ?? throw new UserError($"could not start {child.File} for the OpenBLAS best-kernel phase");
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null && !quiet) progress.WriteLine("  (best kernel) " + e.Data); };
        p.BeginErrorReadLine();
        string stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0)
        {
            if (!quiet) progress.WriteLine($"gemm bench: the best-kernel child exited with {p.ExitCode}; its figures are left out");
            return null;
        }
        var result = new Dictionary<(int, int, int, string, int), (double, double?)>();
        var root = JsonNode.Parse(stdout)!;
        s_childCore = (string?)root["openblas_core"];
        foreach (var row in root["rows"]!.AsArray())
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
            ["openblas_core"] = OpenBlasGemm.CoreName,
            ["openblas_best_core"] = LastProbe?.WinnerCoreName,
            ["openblas_probe"] = LastProbe is null ? null : new JsonArray(LastProbe.Tried.Select(t => (JsonNode)new JsonObject
            {
                ["coretype"] = t.CoreType, ["core"] = t.CoreName, ["gflops"] = R(t.Gflops, 2),
            }).ToArray()),
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
        if (OpenBlasGemm.Available())
            w.WriteLine($"OpenBLAS kernel in this process: {OpenBlasGemm.CoreName ?? "?"}" + (LastProbe is { } pr
                ? $"; fastest core type by probe ({ProbeShape.M}×{ProbeShape.K}×{ProbeShape.N} NN): {pr.WinnerCoreName ?? "none ran"}" +
                  (pr.WinnerCoreName == OpenBlasGemm.CoreName ? " (the same: the openblas column is the best kernel)" : " (the oblas-best column)")
                : ""));
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
