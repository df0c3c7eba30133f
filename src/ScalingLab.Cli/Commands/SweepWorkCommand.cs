namespace ScalingLab.Cli.Commands;

/// <summary>`scalinglab sweep work`: one worker that claims, trains and records runs until none is pending.</summary>
public static class SweepWorkCommand
{
    /// <summary>The `sweep work` sub-verb.</summary>
    public static Command Create()
    {
        var registry = new Option<string>("--registry") { Description = "The registry to claim runs from (SQLite file or PostgreSQL connection string)", Required = true };
        var sweepName = new Option<string?>("--sweep") { Description = "Only runs of this sweep (default: any)" };
        var maxRuns = new Option<int>("--max-runs") { Description = "Stop after this many runs (default: until none is pending)", DefaultValueFactory = _ => int.MaxValue };
        var stale = new Option<double>("--stale") { Description = "Seconds without a heartbeat after which a running run is re-queued", DefaultValueFactory = _ => 60 };
        var heartbeat = new Option<double>("--heartbeat") { Description = "Seconds between heartbeats", DefaultValueFactory = _ => 2 };
        var tag = new Option<string?>("--worker-tag") { Description = "A label added to this worker's id (e.g. the Slurm task)" };
        return Verb.Create("work",
            Verb.Help("One worker: claim a pending run, train it (resuming from its newest checkpoint), heartbeat, record the result;\n" +
            "repeat until no run is pending. Start as many as you like, on as many machines as share the registry.",
            "scalinglab sweep work --registry runs/tiny/registry.db",
            "scalinglab sweep work --registry 'Host=db;Database=sweeps;Username=me' --sweep tiny"),
            [registry, sweepName, maxRuns, stale, heartbeat, tag], (pr, cancel) =>
        {
            double st = pr.GetValue(stale), hb = pr.GetValue(heartbeat);
            if (!(hb > 0) || !(st > hb)) throw new UserError($"sweep work: need 0 < --heartbeat ({hb}) < --stale ({st})");
            string reg = pr.GetValue(registry)!;
            if (!RunRegistry.IsPostgres(reg) && !File.Exists(reg))
                throw new UserError($"sweep work: registry '{reg}' does not exist; submit the sweep first (scalinglab sweep submit)");
            var worker = new SweepWorker(reg, pr.GetValue(sweepName), WorkerId.ForThisProcess(pr.GetValue(tag)), SweepCommand.Trainer)
            {
                Stale = TimeSpan.FromSeconds(st),
                HeartbeatEvery = TimeSpan.FromSeconds(hb),
            };
            int done = worker.Run(pr.InvocationConfiguration.Output, pr.GetValue(maxRuns), cancel);
            pr.InvocationConfiguration.Output.WriteLine($"worker {worker.Id}: {done} runs finished");
            return 0;
        });
    }
}
