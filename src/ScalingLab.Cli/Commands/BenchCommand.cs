namespace ScalingLab.Cli.Commands;

/// <summary>`scalinglab bench`: throughput programs that print our figure beside the reference's.</summary>
public static class BenchCommand
{
    /// <summary>The `bench` verb and its sub-verbs (one per bench).</summary>
    public static Command Create() => Verb.Group("bench",
        "Measure throughput: our figure and the reference's side by side, as a ratio.\n\n" +
        "Example:\n  scalinglab bench gemm --threads 2",
        BenchGemmCommand.Create(), BenchFitCommand.Create(), BenchCkaCommand.Create(), BenchRadiusCommand.Create(),
        BenchDataCommand.Create(), BenchTrainCommand.Create());
}
