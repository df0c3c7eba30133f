namespace ScalingLab.Cli.Commands;

/// <summary>`scalinglab bench gemm`: managed GEMM vs OpenBLAS, GFLOP/s side by side (routine: <see cref="GemmBench"/>).</summary>
public static class BenchGemmCommand
{
    /// <summary>The `bench gemm` sub-verb.</summary>
    public static Command Create()
    {
        var threads = new Option<string>("--threads") { Description = "thread counts, comma-separated", DefaultValueFactory = _ => "1,2" };
        var shapes = new Option<string>("--shapes")
        {
            Description = "shapes MxKxN, comma-separated",
            DefaultValueFactory = _ => string.Join(',', GemmBench.DefaultShapes.Select(s => $"{s.M}x{s.K}x{s.N}")),
        };
        var ops = new Option<string>("--ops") { Description = "operand layouts (NN, NT, TN, TT), comma-separated", DefaultValueFactory = _ => "NN,NT,TN" };
        var repeat = new Option<int>("--repeat") { Description = "timed calls per figure after one warm-up; the best is kept", DefaultValueFactory = _ => 3 };
        var libraries = new Option<string>("--libraries") { Description = "which to time: managed, openblas or both", DefaultValueFactory = _ => "managed,openblas" };
        var bestKernel = new Option<bool>("--best-kernel")
        {
            Description = "probe OpenBLAS's core types (one child process each) and time the fastest too (the oblas-best column)",
            DefaultValueFactory = _ => true,
        };
        return Verb.Printing("gemm",
            Verb.Help("GFLOP/s of the managed GEMM and OpenBLAS side by side (same process, same inputs), at the transformer's\n" +
            "shapes, NN/NT/TN, 1 and 2 threads; the ratio per row and the median ratio. Each figure is the best of\n" +
            "--repeat calls (the machine is shared). Without OpenBLAS it reports the managed figures alone.",
            "scalinglab bench gemm                                   # the full table (a few minutes)",
            "scalinglab bench gemm --threads 2 --shapes 4096x768x3072 --ops NN --repeat 5",
            "scalinglab bench gemm --json > gemm.json                # one JSON object"),
            [threads, shapes, ops, repeat, libraries, bestKernel], parse =>
        {
            int rep = parse.GetValue(repeat);
            if (rep < 1) throw new UserError($"--repeat must be ≥ 1, got {rep}");
            var options = new GemmBench.Options(
                ParseThreads(parse.GetValue(threads)!), ParseShapes(parse.GetValue(shapes)!), ParseOps(parse.GetValue(ops)!),
                rep,
                ParseLibraries(parse.GetValue(libraries)!),
                parse.GetValue(bestKernel) ? ChildCommand("bench", "gemm") : null);
            var rows = GemmBench.Run(options, parse.InvocationConfiguration.Error);
            return Verb.Print(parse, () => GemmBench.ToJson(rows, options), o => GemmBench.WriteTable(rows, o));
        }, json: "rows with gflops_managed, gflops_openblas; median_ratio_2threads");
    }

    /// <summary>How to start this CLI again: the apphost itself, or `dotnet ScalingLab.Cli.dll`; then <paramref name="verb"/>.</summary>
    internal static (string File, string[] Args)? ChildCommand(params string[] verb)
    {
        string? exe = Environment.ProcessPath;
        string dll = typeof(CliApp).Assembly.Location;
        if (exe is null || dll.Length == 0) return null;
        string name = Path.GetFileNameWithoutExtension(exe);
        if (name == "dotnet") return (exe, [dll, .. verb]);
        if (name == "ScalingLab.Cli") return (exe, verb);
        return null; // hosted elsewhere (a test runner): no child
    }

    private static int[] ParseThreads(string s)
    {
        var list = Split(s).Select(x => int.TryParse(x, NumberStyles.None, CultureInfo.InvariantCulture, out int t) && t >= 1 && t <= 256
            ? t : throw new UserError($"--threads: '{x}' is not a thread count; give counts like 1,2")).Distinct().ToArray();
        return list.Length > 0 ? list : throw new UserError("--threads is empty; give counts like 1,2");
    }

    private static (int M, int K, int N)[] ParseShapes(string s)
    {
        var list = Split(s).Select(x =>
        {
            var d = x.ToLowerInvariant().Split('x');
            if (d.Length == 3 && d.All(v => int.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out int q) && q >= 1 && q <= 1 << 20))
            {
                var (m, k, n) = (int.Parse(d[0], CultureInfo.InvariantCulture), int.Parse(d[1], CultureInfo.InvariantCulture), int.Parse(d[2], CultureInfo.InvariantCulture));
                if ((long)m * k <= int.MaxValue && (long)k * n <= int.MaxValue && (long)m * n <= int.MaxValue) return (m, k, n);
            }
            throw new UserError($"--shapes: '{x}' is not a shape; write MxKxN, e.g. 4096x768x3072");
        }).ToArray();
        return list.Length > 0 ? list : throw new UserError("--shapes is empty; write MxKxN, e.g. 4096x768x3072");
    }

    private static string[] ParseOps(string s)
    {
        var list = Split(s).Select(x => x.ToUpperInvariant() is "NN" or "NT" or "TN" or "TT"
            ? x.ToUpperInvariant() : throw new UserError($"--ops: '{x}' is not NN, NT, TN or TT")).Distinct().ToArray();
        return list.Length > 0 ? list : throw new UserError("--ops is empty; give e.g. NN,NT,TN");
    }

    private static string[] ParseLibraries(string s)
    {
        var list = Split(s).Select(x => x.ToLowerInvariant() is "managed" or "openblas"
            ? x.ToLowerInvariant() : throw new UserError($"--libraries: '{x}' is not managed or openblas")).Distinct().ToArray();
        return list.Length > 0 ? list : throw new UserError("--libraries is empty; give managed, openblas or both");
    }

    private static IEnumerable<string> Split(string s) => s.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
