using System.Diagnostics;
using System.Globalization;
using ScalingLab.Common;
using ScalingLab.Reports;
using ScalingLab.Sweeps;

namespace ScalingLab.Experiments;

/// <summary>How `reproduce` runs: the output folder, CI size or full, the scale, the command line for the record.</summary>
public sealed record ReproduceOptions(string OutDir, bool Quick = false, double Scale = 1, string Command = "scalinglab reproduce");

/// <summary>
/// What the runner needs from its host to turn a sweep folder into finished runs: writing a generated data set into a
/// folder, and training the pending runs (local workers, or waiting for a cluster). Returns false when a run failed.
/// </summary>
public sealed record SweepHost(Action<DataSource, string> Generate, Func<SweepFolder, CancellationToken, bool> Train);

/// <summary>
/// Runs one experiment: writes its built-in sweep spec into OUT/NAME (OUT/NAME-quick for --quick, OUT/NAME-xK at a
/// scale), submits it like any sweep (finished runs are reused, interrupted ones resume), trains, analyses, applies
/// the verdict rule and saves the result beside the sweep.
/// </summary>
public static class ExperimentRunner
{
    /// <summary>The experiment's folder under <paramref name="o"/>.OutDir.</summary>
    public static string FolderOf(IExperiment e, ReproduceOptions o) =>
        Path.Combine(Path.GetFullPath(o.OutDir), e.Name + (o.Quick ? "-quick" : "") +
                     (o.Scale == 1 ? "" : "-x" + o.Scale.ToString("0.###", CultureInfo.InvariantCulture)));

    /// <summary>
    /// Generated data sets are shared by the experiments of one output folder (the English corpus takes minutes to
    /// tokenise): each is written once into OUT/data/GENERATOR-HASH8 and linked from the sweep folder.
    /// </summary>
    private static void GenerateShared(DataSource d, string target, ReproduceOptions o, SweepHost host)
    {
        string shared = Path.Combine(Path.GetFullPath(o.OutDir), "data",
                                     $"{d.Generator}-{Canonical.Hash(System.Text.Json.Nodes.JsonValue.Create(d.Key))[..8]}");
        if (!File.Exists(Path.Combine(shared, Data.DataManifest.FileName))) host.Generate(d, shared);
        var existing = new DirectoryInfo(target);
        if (existing.LinkTarget is not null) existing.Delete();                    // a stale link: only the link goes
        else if (existing.Exists) existing.Delete(recursive: true);                // a half-written folder
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        Directory.CreateSymbolicLink(target, shared);
    }

    /// <summary>Runs <paramref name="e"/> to its verdict.</summary>
    public static ExperimentResult Run(IExperiment e, ReproduceOptions o, SweepHost host, TextWriter log, CancellationToken cancel)
    {
        var clock = Stopwatch.StartNew();
        string dir = FolderOf(e, o);
        Directory.CreateDirectory(dir);
        string specPath = Path.Combine(dir, "spec.yaml");
        AtomicFile.WriteAllText(specPath, e.Sweep(o.Quick).ToYaml(o.Scale));
        var folder = SweepFolder.Create(specPath, Path.Combine(dir, "sweep"));
        var runs = folder.Expand((d, target) => GenerateShared(d, target, o, host));
        int added;
        using (var reg = folder.OpenRegistry()) added = reg.Submit(folder.Dir, runs);
        SweepReport.RecordCommand(folder, o.Command.Split(' ').Skip(1));
        log.WriteLine($"reproduce {e.Name}: {runs.Count} runs ({added} new) in {folder.Dir}");
        var trainClock = Stopwatch.StartNew();
        bool ok = host.Train(folder, cancel);
        double trainSeconds = trainClock.Elapsed.TotalSeconds;
        // Every run reused from an earlier invocation: the training happened then, so its recorded time is the one to report.
        string resultPath = Path.Combine(dir, ExperimentResult.FileName);
        double earlierTraining = added == 0 && File.Exists(resultPath) ? ExperimentResult.Load(resultPath).TrainSeconds : 0;
        cancel.ThrowIfCancellationRequested();
        var done = SweepReport.Collect(folder, out var all);
        if (!ok || done.Count < all.Count)
            throw new UserError($"reproduce {e.Name}: {all.Count - done.Count} of {all.Count} runs did not finish; see 'scalinglab sweep status {folder.Dir}', then run the same command again");
        var findings = e.Analyze(new ExperimentContext(folder, done, dir, o.Quick, o.Scale, log));
        var result = new ExperimentResult
        {
            Name = e.Name, Title = e.Title, Claim = e.Claim, Rule = e.Rule, Reference = e.Reference,
            Verdict = findings.Verdict, Summary = findings.Summary, TableHead = findings.TableHead, TableRows = findings.TableRows,
            Figures = findings.Figures, Dir = dir, SweepDir = folder.Dir, Runs = done.Count, Quick = o.Quick, Scale = o.Scale,
            TrainSeconds = trainSeconds + earlierTraining, WallSeconds = clock.Elapsed.TotalSeconds + earlierTraining, Cores = Environment.ProcessorCount,
            Command = o.Command,
        };
        result.Save(resultPath);
        result.Save(Path.Combine(folder.Dir, ExperimentResult.SweepFileName));
        return result;
    }
}
