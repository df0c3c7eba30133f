namespace ScalingLab.Cli.Commands;

/// <summary>`scalinglab sweep status`: the runs of a sweep and their state.</summary>
public static class SweepStatusCommand
{
    /// <summary>The `sweep status` sub-verb.</summary>
    public static Command Create()
    {
        var dir = new Argument<string>("SWEEP_DIR") { Description = "The sweep folder" };
        return Verb.Printing("status", "The runs of a sweep: state, attempts, worker, losses.\n\nExample:\n  scalinglab sweep status runs/tiny --json", [dir], pr =>
        {
            Print(SweepFolder.Open(pr.GetValue(dir)!), pr.InvocationConfiguration.Output, Verb.WantsJson(pr));
            return 0;
        }, json: Json);
    }

    /// <summary>What --json prints for `sweep status` and `sweep run` (<see cref="Print"/>).</summary>
    internal const string Json = "the sweep, its counts, and a row per run with state and metrics";

    /// <summary>The table of runs (or one JSON object with a row per run).</summary>
    internal static void Print(SweepFolder folder, TextWriter output, bool json)
    {
        using var reg = folder.OpenRegistry();
        var runs = reg.List(folder.Name);
        if (json)
        {
            var arr = new JsonArray();
            foreach (var r in runs)
            {
                arr.Add(new JsonObject
                {
                    ["id"] = r.Id, ["name"] = r.Name, ["hash"] = r.Hash, ["state"] = RunStateText(r.State), ["attempts"] = r.Attempts,
                    ["worker"] = r.Worker, ["run_dir"] = r.RunDir, ["error"] = r.Error,
                    ["metrics"] = r.MetricsJson is null ? null : JsonNode.Parse(r.MetricsJson),
                });
            }
            output.WriteLine(new JsonObject
            {
                ["sweep"] = folder.Name, ["dir"] = folder.Dir, ["registry"] = SweepFolder.Show(folder.Registry),
                ["total"] = runs.Count, ["done"] = runs.Count(r => r.State == RunState.Done),
                ["failed"] = runs.Count(r => r.State == RunState.Failed), ["runs"] = arr,
            }.ToJsonString());
            return;
        }
        output.WriteLine($"sweep {folder.Name} ({folder.Dir}), registry {SweepFolder.Show(folder.Registry)}");
        output.WriteLine($"{"run",-28} {"state",-8} {"tries",5} {"N",10} {"D",9} {"val loss",9} {"min val",9}");
        foreach (var r in runs)
        {
            var m = r.Summary;
            static string F(double? d) => d is double x && double.IsFinite(x) ? x.ToString("0.0000", CultureInfo.InvariantCulture) : "-";
            var c = r.Config;
            output.WriteLine($"{r.Name,-28} {RunStateText(r.State),-8} {r.Attempts,5} " +
                             $"{Model.ModelAccounting.NonEmbeddingParams(c.Model),10} {Canonical.Count(c.DataTokens),9} {F(m?.FinalValLoss),9} {F(m?.MinValLoss),9}" +
                             (r.Error is not null && r.State == RunState.Failed ? $"  {r.Error}" : ""));
        }
        output.WriteLine($"{runs.Count(r => r.State == RunState.Done)}/{runs.Count} done, " +
                         $"{runs.Count(r => r.State == RunState.Failed)} failed, {runs.Count(r => r.State == RunState.Pending)} pending, " +
                         $"{runs.Count(r => r.State == RunState.Running)} running");
    }

    private static string RunStateText(RunState s) => s.ToString().ToLowerInvariant();
}
