namespace ScalingLab.Cli.Commands;

/// <summary>`scalinglab sweep export --slurm`: a Slurm job-array script whose tasks run `sweep work`.</summary>
public static class SweepExportCommand
{
    /// <summary>The `sweep export` sub-verb.</summary>
    public static Command Create()
    {
        var dir = new Argument<string>("SWEEP_DIR") { Description = "The sweep folder (on a file system every node sees)" };
        var slurm = new Option<bool>("--slurm") { Description = "Write a Slurm job-array script", Required = true };
        var registry = SweepCommand.RegistryOption();
        var output = SharedOptions.Out("Script path (default SWEEP/slurm.sh)");
        var tasks = new Option<int>("--tasks") { Description = "Array size = concurrent workers (default: the number of runs)" };
        var cpus = new Option<int>("--cpus-per-task") { Description = "CPUs per task (default: the spec's threads_per_run)" };
        var time = new Option<string>("--time") { Description = "Time limit per task", DefaultValueFactory = _ => "24:00:00" };
        var partition = new Option<string?>("--partition") { Description = "Slurm partition" };
        var exe = new Option<string>("--scalinglab") { Description = "How the nodes run ScalingLab", DefaultValueFactory = _ => "scalinglab" };
        return Verb.Create("export",
            "Write a Slurm job-array script whose tasks each run `scalinglab sweep work` against the shared registry.\n" +
            "Across machines use PostgreSQL: submit with --registry postgresql://..., then export.\n\n" +
            "Example:\n  scalinglab sweep export runs/tiny --slurm --tasks 8 --time 02:00:00",
            [dir, slurm, registry, output, tasks, cpus, time, partition, exe], pr =>
        {
            var folder = SweepFolder.Open(pr.GetValue(dir)!);
            string reg = pr.GetValue(registry) ?? folder.Registry;
            int runs;
            using (var r = folder.OpenRegistry()) runs = r.List(folder.Name).Count;
            if (runs == 0) throw new UserError($"sweep export: the sweep has no runs yet; submit first (scalinglab sweep submit SPEC --dir {folder.Dir})");
            if (reg != folder.Registry)
                pr.InvocationConfiguration.Error.WriteLine(
                    $"note: the tasks use {SweepFolder.Show(reg)}, not the sweep's registry; submit there first: " +
                    $"scalinglab sweep submit {folder.SpecPath} --dir {folder.Dir} --registry ...");
            int n = pr.GetValue(tasks);
            if (n < 0) throw new UserError($"sweep export: --tasks must be ≥ 1 (got {n})");
            int c = pr.GetValue(cpus);
            if (c < 0) throw new UserError($"sweep export: --cpus-per-task must be ≥ 1 (got {c})");
            if (c == 0) c = folder.LoadSpec().Grids.Max(g => g.ThreadsPerRun);
            string t = pr.GetValue(time)!;
            if (!System.Text.RegularExpressions.Regex.IsMatch(t, @"^(\d+-)?\d{1,3}(:\d{2}){0,2}$"))
                throw new UserError($"sweep export: --time '{t}' is not a Slurm time (e.g. 02:00:00 or 1-00:00:00)");
            string script = SlurmScript.Build(folder, reg, n == 0 ? runs : n, c, t, pr.GetValue(exe)!, pr.GetValue(partition));
            string path = Path.GetFullPath(pr.GetValue(output) ?? Path.Combine(folder.Dir, "slurm.sh"));
            AtomicFile.WriteAllText(path, script);
            // Slurm opens the tasks' --output files before the script runs: their folder must exist (else the tasks fail at once).
            Directory.CreateDirectory(Path.Combine(folder.Dir, "logs"));
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, File.GetUnixFileMode(path) | UnixFileMode.UserExecute);
            pr.InvocationConfiguration.Output.WriteLine($"wrote {path}: {(n == 0 ? runs : n)} tasks; submit with: sbatch {path}");
            return 0;
        });
    }
}
