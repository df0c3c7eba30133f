using ScalingLab.Common;

namespace ScalingLab.Laws;

/// <summary>
/// Hoffmann et al. 2022, "Training Compute-Optimal Large Language Models", eq. 2 (Approach 3):
/// L(N, D) = E + A / N^α + B / D^β, with N parameters and D training tokens.
/// </summary>
public sealed record ChinchillaLaw(double E, double A, double B, double Alpha, double Beta) : IScalingLaw
{
    /// <summary>Hoffmann et al.'s published fit: E 1.69, A 406.4, B 410.7, α 0.34, β 0.28.</summary>
    public static ChinchillaLaw Hoffmann { get; } = new(1.69, 406.4, 410.7, 0.34, 0.28);

    /// <summary>Besiroglu et al. 2024 ("Chinchilla Scaling: A replication attempt", eq. 3): E 1.82, A 482.01, B 2085.43, α 0.3478, β 0.3658.</summary>
    public static ChinchillaLaw Besiroglu { get; } = new(1.82, 482.01, 2085.43, 0.3478, 0.3658);

    /// <inheritdoc/>
    public string Form => "chinchilla";

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, double> Parameters =>
        new Dictionary<string, double> { ["E"] = E, ["A"] = A, ["B"] = B, ["alpha"] = Alpha, ["beta"] = Beta };

    /// <summary>L(N, D).</summary>
    public double Loss(double n, double d) => E + A / Math.Pow(n, Alpha) + B / Math.Pow(d, Beta);

    /// <inheritdoc/>
    public double Loss(LawInput x) => Loss(Need(x.N, "N"), Need(x.D, "D"));

    /// <summary>∂L/∂N = −α A N^(−α−1), ∂L/∂D = −β B D^(−β−1).</summary>
    public (double DLdN, double DLdD) Gradient(LawInput x)
    {
        double n = Need(x.N, "N"), d = Need(x.D, "D");
        return (-Alpha * A * Math.Pow(n, -Alpha - 1), -Beta * B * Math.Pow(d, -Beta - 1));
    }

    /// <summary>G = (αA / (βB))^(1/(α+β)) of the compute-optimal allocation (Hoffmann eq. 4).</summary>
    public double G => Math.Pow(Alpha * A / (Beta * B), 1.0 / (Alpha + Beta));

    /// <summary>N_opt(C) = G (C/6)^(β/(α+β)): the loss-minimising size under C = 6ND (Hoffmann eq. 4).</summary>
    public double OptimalN(double flops) => G * Math.Pow(flops / 6.0, Beta / (Alpha + Beta));

    /// <summary>D_opt(C) = G⁻¹ (C/6)^(α/(α+β)).</summary>
    public double OptimalD(double flops) => Math.Pow(flops / 6.0, Alpha / (Alpha + Beta)) / G;

    /// <summary>D_opt / N_opt at compute C: Chinchilla's "tokens per parameter" (≈ 20 in the paper's text).</summary>
    public double TokensPerParameter(double flops) => OptimalD(flops) / OptimalN(flops);

    internal static double Need(double v, string name) =>
        double.IsFinite(v) ? v : throw new UserError($"this law needs {name}; give it a value");
}
