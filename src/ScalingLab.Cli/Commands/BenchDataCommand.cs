namespace ScalingLab.Cli.Commands;

/// <summary>`scalinglab bench data`: BPE encoding and shard writing throughput (routine: <see cref="DataBench"/>).</summary>
public static class BenchDataCommand
{
    /// <summary>The `bench data` sub-verb.</summary>
    public static Command Create()
    {
        var mb = new Option<double>("--mb") { Description = "size of the generated corpus in MB", DefaultValueFactory = _ => 50.0 };
        var merges = new Option<int>("--merges") { Description = "BPE merges (vocabulary = 256 + merges + 1)", DefaultValueFactory = _ => 4096 };
        var threads = SharedOptions.Threads("encoding threads", 2);
        return Verb.Printing("data",
            Verb.Help("BPE encoding throughput (MB/s of UTF-8 text) beside the textbook GPT-2 encoder, and shard writing\n" +
            "throughput beside a plain file write, on a synthetic corpus generated here.",
            "scalinglab bench data                      # 50 MB, 4096 merges, 2 threads",
            "scalinglab bench data --mb 10 --merges 1024 --json"), [mb, merges, threads], parse =>
        {
            double size = parse.GetValue(mb);
            int m = parse.GetValue(merges), t = parse.GetValue(threads);
            if (!(size > 0) || size > 4000) throw new UserError($"--mb {size} must be in (0, 4000]");
            if (m < 1) throw new UserError($"--merges {m} must be at least 1");
            if (t < 1) throw new UserError($"--threads {t} must be at least 1");
            var r = DataBench.Run(new DataBench.Options(size, m, t, Math.Min(8, size), Math.Min(5, size)), parse.InvocationConfiguration.Error);
            return Verb.Print(parse, () => DataBench.ToJson(r), o => DataBench.WriteTable(r, o));
        });
    }
}
