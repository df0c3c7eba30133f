using System.CommandLine;

namespace ScalingLab.Cli.Commands;

/// <summary>`scalinglab bench`: throughput programs that print our figure beside the reference's.</summary>
public static class BenchCommand
{
    /// <summary>The `bench` verb and its sub-verbs (one per bench).</summary>
    public static Command Create()
    {
        var bench = new Command("bench",
            "Measure throughput: our figure and the reference's side by side, as a ratio.\n\n" +
            "Example:\n  scalinglab bench gemm --threads 2");
        bench.Subcommands.Add(BenchGemmCommand.Create());
        bench.Subcommands.Add(BenchFitCommand.Create());
        bench.Subcommands.Add(DynamicsCommand.CreateBench());
        bench.Subcommands.Add(BenchRadiusCommand.Create());
        bench.Subcommands.Add(BenchDataCommand.Create());
        bench.Subcommands.Add(BenchTrainCommand.Create());
        return bench;
    }
}
