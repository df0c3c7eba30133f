namespace ScalingLab.Cli.Commands;

/// <summary>`scalinglab sweep submit`: create the sweep folder, generate its data and register its runs.</summary>
public static class SweepSubmitCommand
{
    /// <summary>The `sweep submit` sub-verb.</summary>
    public static Command Create()
    {
        var spec = new Argument<string>("SPEC") { Description = "Sweep spec (YAML or JSON)" };
        var submit = SweepCommand.SubmitOptions.Create();
        return Verb.Printing("submit",
            "Create the sweep folder, generate its data, and register its runs (again: only new configs are added).\n\n" +
            "Example:\n  scalinglab sweep submit tiny.yaml --dir runs/tiny", [spec, submit.Dir, submit.Registry], pr =>
        {
            var (folder, added, total) = submit.Submit(pr, pr.GetValue(spec)!);
            SweepReport.RecordCommand(folder, pr.Tokens.Select(t => t.Value));
            return Verb.Print(pr,
                () => new JsonObject { ["sweep"] = folder.Name, ["dir"] = folder.Dir, ["runs"] = total, ["added"] = added }.ToJsonString(),
                o => o.WriteLine($"sweep {folder.Name}: {total} runs ({added} new) in {folder.Dir}; registry {SweepFolder.Show(folder.Registry)}"));
        }, json: "sweep, dir, runs, added");
    }
}
