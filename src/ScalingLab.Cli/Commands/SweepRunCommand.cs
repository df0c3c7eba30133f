namespace ScalingLab.Cli.Commands;

/// <summary>`scalinglab sweep run`: submit (given a spec) and train every pending run with local workers.</summary>
public static class SweepRunCommand
{
    /// <summary>The `sweep run` sub-verb.</summary>
    public static Command Create()
    {
        var target = new Argument<string>("SPEC_OR_DIR") { Description = "A sweep spec to submit and run, or an existing sweep folder to finish" };
        var submit = SweepCommand.SubmitOptions.Create();
        var workers = SharedOptions.Workers("Worker processes (default: cores / threads per run)");
        var retry = new Option<bool>("--retry-failed") { Description = "Put failed runs back in the queue first" };
        return Verb.Printing("run",
            Verb.Help("Submit (when given a spec) and train every pending run with local worker processes, showing live progress.\n" +
            "Interrupted (Ctrl-C, kill -9, a crash)? Run it again: finished runs stay done, the others resume from their\n" +
            "newest checkpoint.",
            "scalinglab sweep run tiny.yaml --dir runs/tiny --workers 2",
            "scalinglab sweep run runs/tiny"),
            [target, submit.Dir, submit.Registry, workers, retry], (pr, cancel) =>
        {
            var output = pr.InvocationConfiguration.Output;
            var error = pr.InvocationConfiguration.Error;
            string t = pr.GetValue(target)!;
            SweepFolder folder = Directory.Exists(t) && File.Exists(Path.Combine(t, SweepFolder.FileName))
                ? SweepFolder.Open(t)
                : submit.Submit(pr, t).Folder;
            if (Directory.Exists(t)) SweepCommand.SubmitFolder(folder, error); // the spec may have grown since
            SweepReport.RecordCommand(folder, pr.Tokens.Select(tok => tok.Value));
            if (pr.GetValue(retry))
            {
                using var reg = folder.OpenRegistry();
                reg.RetryFailed(folder.Name);
            }
            int threads = folder.LoadSpec().Grids.Max(g => g.ThreadsPerRun);
            int n = SharedOptions.WorkerCount(pr, workers, "sweep run", threads);
            bool ok = SweepLocalRun.Run(folder, n, output, error, cancel);
            SweepStatusCommand.Print(folder, output, Verb.WantsJson(pr));
            return ok ? 0 : 1;
        }, json: SweepStatusCommand.Json);
    }
}
