using ScalingLab.Common;

namespace ScalingLab.Laws;

/// <summary>Every law form by name, with its published constants: the names <c>scalinglab fit --form</c> takes.</summary>
public static class LawCatalog
{
    /// <summary>Form names with a one-line description.</summary>
    public static IReadOnlyList<(string Name, string Description)> Forms { get; } =
    [
        ("chinchilla", "Hoffmann et al. 2022: E + A/N^alpha + B/D^beta"),
        ("kaplan-nd", "Kaplan et al. 2020 eq. 1.5: [(N_c/N)^(alpha_N/alpha_D) + D_c/D]^alpha_D"),
        ("kaplan-sum", "plain sum (N_c/N)^alpha_N + (D_c/D)^alpha_D (not Kaplan's eq. 1.5)"),
        ("kaplan-n", "Kaplan eq. 1.1: (N_c/N)^alpha_N"),
        ("kaplan-d", "Kaplan eq. 1.2: (D_c/D)^alpha_D"),
        ("kaplan-c", "Kaplan eq. 1.3: (C_c/C)^alpha_C, C in PF-days"),
        ("kaplan-ns", "Kaplan eq. 1.6: (N_c/N)^alpha_N + (S_c/S_min)^alpha_S (fitted from learning curves by the report, LearningCurveAnalysis)"),
        ("data-constrained", "Muennighoff et al. 2023: Chinchilla with effective data D' (evaluation only)"),
    ];

    /// <summary>The form <paramref name="name"/> with its published constants; unknown names are a <see cref="UserError"/>.</summary>
    public static IScalingLaw Published(string name) => name switch
    {
        "chinchilla" => ChinchillaLaw.Hoffmann,
        "kaplan-nd" => new KaplanND(),
        "kaplan-sum" => new KaplanNDSum(),
        "kaplan-n" => new KaplanN(),
        "kaplan-d" => new KaplanD(),
        "kaplan-c" => new KaplanC(),
        "kaplan-ns" => new KaplanNS(),
        "data-constrained" => DataConstrainedLaw.Published,
        _ => throw Unknown(name),
    };

    internal static UserError Unknown(string name) =>
        new($"unknown law form '{name}'; choose one of: {string.Join(", ", Forms.Select(f => f.Name))}");
}
