namespace ScalingLab.Cli.Commands;

/// <summary>`scalinglab bench fit`: time of a full-grid Approach-3 fit and of bootstrap refits (routine: <see cref="FitBench"/>).</summary>
public static class BenchFitCommand
{
    /// <summary>The default location of the Chinchilla points, relative to the repository root.</summary>
    public const string DefaultCsv = "../shared/data/chinchilla/svg_extracted_data.csv";

    /// <summary>The `bench fit` sub-verb.</summary>
    public static Command Create()
    {
        var csv = new Option<string>("--csv") { Description = "the Chinchilla points (Epoch AI's svg_extracted_data.csv)", DefaultValueFactory = _ => DefaultCsv };
        var resamples = new Option<int>("--resamples") { Description = "bootstrap refits to time", DefaultValueFactory = _ => 1000 };
        var threads = SharedOptions.Threads("worker threads");
        return Verb.Printing("fit",
            Verb.Help("Time one Approach-3 fit from Hoffmann's full 4,500-start grid and 1,000 bootstrap refits on the\n" +
            "Chinchilla points (drop 5 highest-loss, D = C/(6N)); MathNet's L-BFGS on every 10th start as the reference.",
            "scalinglab bench fit --threads 2",
            "scalinglab bench fit --resamples 200 --json"), [csv, resamples, threads], parse =>
        {
            int b = parse.GetValue(resamples);
            if (b < 1) throw new UserError($"--resamples must be ≥ 1 (got {b})");
            var points = PointsCsv.DropHighest(PointsCsv.Read(parse.GetValue(csv)!,
                new CsvColumns(N: "Model Size", D: null, C: "Training FLOP", Loss: "loss")), 5);
            var r = FitBench.Run(points, b, parse.GetValue(threads), parse.InvocationConfiguration.Error);
            return Verb.Print(parse, () => FitBench.ToJson(r), o => FitBench.WriteTable(r, o));
        });
    }
}
