namespace ScalingLab.Cli.Commands;

/// <summary>
/// `scalinglab sweep`: submit a grid of runs to a registry, run it with local workers or Slurm, watch it. One verb per
/// file (<see cref="SweepSubmitCommand"/>, <see cref="SweepRunCommand"/>, <see cref="SweepWorkCommand"/>,
/// <see cref="SweepStatusCommand"/>, <see cref="SweepExportCommand"/>); here the group, the options they share and
/// the submit step two of them (and `demo`) take.
/// </summary>
public static class SweepCommand
{
    /// <summary>The training routine workers use; tests swap in a stand-in to exercise the machinery quickly.</summary>
    internal static TrainRun Trainer { get; set; } = SweepTraining.Train;

    /// <summary>The `sweep` verb and its sub-verbs.</summary>
    public static Command Create() => Verb.Group("sweep",
        Verb.Help("Train a grid of models (shapes × data sizes × seeds) from a spec, resumably, on local workers or a cluster.\n\n" +
        "A spec (YAML or JSON):\n" +
        "  name: tiny\n" +
        "  data: { generator: markov, options: { order: 2, vocab: 64, tokens: 2M } }   # or data: { dir: DATA_DIR }\n" +
        "  model: { flavour: gpt2, head_size: 32 }\n" +
        "  train: { batch: 8, seq: 64, lr: 1e-3, eval_windows: 16 }\n" +
        "  axes: { models: [2x64, 4x128], data_sizes: [200k, 0.5], seeds: [1] }\n" +
        "  threads_per_run: 1",
        "scalinglab sweep run tiny.yaml --dir runs/tiny         # submit and train with local workers",
        "scalinglab sweep status runs/tiny                      # the table of runs",
        "scalinglab sweep run runs/tiny                         # after a crash or Ctrl-C: finishes the rest",
        "scalinglab sweep export runs/tiny --slurm --registry postgresql://host/db   # a Slurm job array"),
        SweepSubmitCommand.Create(), SweepRunCommand.Create(), SweepWorkCommand.Create(), SweepStatusCommand.Create(), SweepExportCommand.Create());

    /// <summary>--registry of submit, run and export.</summary>
    internal static Option<string?> RegistryOption() => new("--registry")
    { Description = "Registry: a SQLite file (default SWEEP/registry.db) or a PostgreSQL connection string (Host=...;Database=... or postgresql://...)" };

    /// <summary>
    /// What `sweep submit` and `sweep run` (given a spec) both take to submit: --dir and --registry, and the
    /// submit step itself (<see cref="Submit"/>).
    /// </summary>
    internal sealed record SubmitOptions(Option<string?> Dir, Option<string?> Registry)
    {
        /// <summary>Fresh option objects (an option belongs to one command).</summary>
        public static SubmitOptions Create() =>
            new(new Option<string?>("--dir") { Description = "Sweep folder (default: ./sweeps/NAME)" }, RegistryOption());

        /// <summary>Submits <paramref name="specPath"/> with the folder and registry the command line gave.</summary>
        public (SweepFolder Folder, int Added, int Total) Submit(ParseResult pr, string specPath) =>
            SubmitSpec(specPath, pr.GetValue(Dir), pr.GetValue(Registry), pr.InvocationConfiguration.Error);
    }

    /// <summary>Creates the folder, writes generated data, registers the runs.</summary>
    internal static (SweepFolder Folder, int Added, int Total) SubmitSpec(string specPath, string? dir, string? registry, TextWriter error)
    {
        var spec = SweepSpec.Load(specPath);
        var folder = SweepFolder.Create(specPath, dir ?? Path.Combine("sweeps", spec.Name), registry);
        var (added, total) = SubmitFolder(folder, error);
        return (folder, added, total);
    }

    internal static (int Added, int Total) SubmitFolder(SweepFolder folder, TextWriter error)
    {
        var runs = folder.Expand(error);
        using var reg = folder.OpenRegistry();
        int added = reg.Submit(folder.Dir, runs);
        return (added, runs.Count);
    }
}
