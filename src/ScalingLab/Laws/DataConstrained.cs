namespace ScalingLab.Laws;

/// <summary>
/// Muennighoff et al. 2023, "Scaling Data-Constrained Language Models", eqs. 5–6: repeated data is worth less than
/// fresh data. With U unique tokens seen for R extra epochs (D = U (1 + R)), the effective data is
/// D' = U + U R* (1 − e^(−R/R*)), R*_D ≈ 15.4; likewise excess parameters N' = U_N + U_N R*_N (1 − e^(−R_N/R*_N)),
/// R*_N ≈ 5.3. D' (and N') replace D (and N) in the Chinchilla form.
/// </summary>
public sealed record DataConstrainedLaw(ChinchillaLaw Base, double RStarD = 15.4, double RStarN = 5.3) : IScalingLaw
{
    /// <summary>Muennighoff et al.'s fitted decay constants on top of Hoffmann's published Chinchilla fit.</summary>
    public static DataConstrainedLaw Published { get; } = new(ChinchillaLaw.Hoffmann);

    /// <summary>Effective data D' for <paramref name="unique"/> tokens repeated for <paramref name="extraEpochs"/> more epochs.</summary>
    public static double Effective(double unique, double extraEpochs, double rStar) =>
        unique + unique * rStar * (1 - Math.Exp(-extraEpochs / rStar));

    /// <summary>∂D'/∂R = U e^(−R/R*).</summary>
    public static double EffectiveDerivative(double unique, double extraEpochs, double rStar) =>
        unique * Math.Exp(-extraEpochs / rStar);

    /// <inheritdoc/>
    public string Form => "data-constrained";

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, double> Parameters
    {
        get
        {
            var p = new Dictionary<string, double>(Base.Parameters) { ["R_star_D"] = RStarD, ["R_star_N"] = RStarN };
            return p;
        }
    }

    /// <summary>
    /// Loss for D tokens drawn from U unique ones (R_D = D/U − 1, no penalty when D ≤ U) and N parameters where
    /// U_N is the compute-optimal size for U unique tokens; pass <paramref name="uniqueParams"/> = N to leave N as is.
    /// </summary>
    public double Loss(double n, double d, double uniqueTokens, double uniqueParams)
    {
        double rD = Math.Max(0, d / uniqueTokens - 1), rN = Math.Max(0, n / uniqueParams - 1);
        double dEff = rD > 0 ? Effective(uniqueTokens, rD, RStarD) : d;
        double nEff = rN > 0 ? Effective(uniqueParams, rN, RStarN) : n;
        return Base.Loss(nEff, dEff);
    }

    /// <summary>Uses <see cref="LawInput.C"/> as the unique-token count U_D (N is not penalised).</summary>
    public double Loss(LawInput x) =>
        Loss(ChinchillaLaw.Need(x.N, "N"), ChinchillaLaw.Need(x.D, "D"), ChinchillaLaw.Need(x.C, "unique tokens (in C)"), x.N);

    /// <summary>∂L/∂N and ∂L/∂D with U_D in <see cref="LawInput.C"/> (chain rule through D').</summary>
    public (double DLdN, double DLdD) Gradient(LawInput x)
    {
        double n = ChinchillaLaw.Need(x.N, "N"), d = ChinchillaLaw.Need(x.D, "D"), u = ChinchillaLaw.Need(x.C, "unique tokens (in C)");
        double rD = Math.Max(0, d / u - 1);
        double dEff = rD > 0 ? Effective(u, rD, RStarD) : d;
        var (gn, gd) = Base.Gradient(new LawInput(N: n, D: dEff));
        double dDeffdD = rD > 0 ? EffectiveDerivative(u, rD, RStarD) / u : 1; // dR/dD = 1/U
        return (gn, gd * dDeffdD);
    }
}
