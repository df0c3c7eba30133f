namespace ScalingLab.Cli;

/// <summary>
/// The options many verbs share, defined once: <c>--gemm</c> (listing the backends <see cref="Tensors.Gemm"/> really
/// has, and accepting only those), <c>--threads</c>, <c>--json</c> and <c>--out</c>. A verb states only what differs
/// (what the threads do, what the JSON holds, what goes into the folder).
/// </summary>
internal static class SharedOptions
{
    /// <summary>--gemm: one of <see cref="Tensors.Gemm.Backends"/>.</summary>
    public static Option<string> Gemm(string? use = null, string fallback = "auto")
    {
        var o = new Option<string>("--gemm")
        {
            Description = $"GEMM backend{(use is null ? "" : " " + use)}; auto picks the faster of managed and OpenBLAS on this machine, a named one gives the same bits everywhere",
            DefaultValueFactory = _ => fallback,
        };
        o.AcceptOnlyFromAmong([.. Tensors.Gemm.Backends]);
        return o;
    }

    /// <summary>--threads with <paramref name="fallback"/> (0 = all cores where the default is 0).</summary>
    public static Option<int> Threads(string what, int fallback = 0) => new("--threads")
    {
        Description = fallback == 0 ? $"{what} (0 = all cores)" : what,
        DefaultValueFactory = _ => fallback,
    };

    /// <summary>--json: print the verb's result record as one JSON object.</summary>
    public static Option<bool> Json(string? holds = null) => new("--json")
    {
        Description = "print the result as one JSON object" + (holds is null ? "" : $" ({holds})"),
    };

    /// <summary>--out, required: a folder the verb creates.</summary>
    public static Option<string> OutRequired(string what) => new("--out") { Description = what, Required = true };

    /// <summary>--out, optional.</summary>
    public static Option<string?> Out(string what) => new("--out") { Description = what };

    /// <summary>--out with a default folder.</summary>
    public static Option<string> Out(string what, string fallback) => new("--out") { Description = what, DefaultValueFactory = _ => fallback };

    /// <summary>--workers of the verbs that train with local worker processes (sweep run, demo, reproduce); 0 = the default.</summary>
    public static Option<int> Workers(string what) => new("--workers") { Description = what };

    /// <summary>
    /// The --workers value: as given, or when 0 the cores divided by the threads each run takes (at least 1); a negative
    /// value is a one-line error naming the verb.
    /// </summary>
    public static int WorkerCount(ParseResult parse, Option<int> workers, string verb, int threadsPerRun = 1)
    {
        int n = parse.GetValue(workers);
        if (n < 0) throw new Common.UserError($"{verb}: --workers must be ≥ 1 (got {n})");
        return n > 0 ? n : Math.Max(1, Environment.ProcessorCount / threadsPerRun);
    }

    /// <summary>--out of the data generators: the data folder to create.</summary>
    public static Option<string> DataOut() => OutRequired("data folder to create (replaced if it exists)");
}
