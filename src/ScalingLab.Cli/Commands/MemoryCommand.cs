namespace ScalingLab.Cli.Commands;

/// <summary>
/// `scalinglab memory`: the associative-memory view of Niu et al. ("Beyond Scaling Laws"): energies and their
/// bounds, Hopfield retrieval, the nearest-neighbour radius of activations, and the loss bound. One verb per file
/// (Memory*Command); here the group and the number formatting they share.
/// </summary>
public static class MemoryCommand
{
    internal static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>The `memory` verb with its energy, retrieve, radius and bound sub-verbs.</summary>
    public static Command Create() => Verb.Group("memory",
        Verb.Help("Associative memory (Niu et al., \"Beyond Scaling Laws\"): energies and Propositions 1-3, Hopfield retrieval\n" +
        "and capacity, the nearest-neighbour radius of activations, and the cross-entropy bound / N = O(D^2).",
        "scalinglab memory energy --patterns \"-2,-0.5;0.2,-0.3;1.5,1.5\" --x 0.5,1",
        "scalinglab memory energy --figure1 --out fig1",
        "scalinglab memory retrieve --n 64 --patterns 1000 --noise 0.3",
        "scalinglab memory radius --matrix acts.f32 --dim 1024 --out radius",
        "scalinglab memory bound --n 1024 --params 3.55e8 --tokens 9e9"),
        MemoryEnergyCommand.Create(), MemoryRetrieveCommand.Create(), MemoryRadiusCommand.Create(), MemoryBoundCommand.Create());

    /// <summary>A formatted string in the invariant culture.</summary>
    internal static string F(FormattableString s) => s.ToString(Inv);

    /// <summary>A finite value, or null (JSON has no infinities).</summary>
    internal static double? Finite(double v) => double.IsFinite(v) ? v : null;
}
