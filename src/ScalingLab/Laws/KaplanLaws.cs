using ScalingLab.Model;
using static ScalingLab.Laws.ChinchillaLaw;

namespace ScalingLab.Laws;

/// <summary>Kaplan et al. 2020, eq. 1.1: L(N) = (N_c / N)^α_N; published α_N = 0.076, N_c = 8.8e13 (non-embedding N).</summary>
public sealed record KaplanN(double Nc = 8.8e13, double AlphaN = 0.076) : IScalingLaw
{
    /// <inheritdoc/>
    public string Form => "kaplan-n";
    /// <inheritdoc/>
    public IReadOnlyDictionary<string, double> Parameters => new Dictionary<string, double> { ["N_c"] = Nc, ["alpha_N"] = AlphaN };
    /// <inheritdoc/>
    public double Loss(LawInput x) => Math.Pow(Nc / Need(x.N, "N"), AlphaN);
    /// <summary>∂L/∂N = −α_N L / N.</summary>
    public (double DLdN, double DLdD) Gradient(LawInput x) => (-AlphaN * Loss(x) / x.N, 0);
}

/// <summary>Kaplan et al. 2020, eq. 1.2: L(D) = (D_c / D)^α_D; published α_D = 0.095, D_c = 5.4e13 tokens.</summary>
public sealed record KaplanD(double Dc = 5.4e13, double AlphaD = 0.095) : IScalingLaw
{
    /// <inheritdoc/>
    public string Form => "kaplan-d";
    /// <inheritdoc/>
    public IReadOnlyDictionary<string, double> Parameters => new Dictionary<string, double> { ["D_c"] = Dc, ["alpha_D"] = AlphaD };
    /// <inheritdoc/>
    public double Loss(LawInput x) => Math.Pow(Dc / Need(x.D, "D"), AlphaD);
    /// <summary>∂L/∂D = −α_D L / D.</summary>
    public (double DLdN, double DLdD) Gradient(LawInput x) => (0, -AlphaD * Loss(x) / x.D);
}

/// <summary>
/// Kaplan et al. 2020, eq. 1.3: L(C_min) = (C_c / C_min)^α_C with C in PF-days; published α_C = 0.050, C_c = 3.1e8 PF-days.
/// <see cref="LawInput.C"/> is in FLOPs and converted here.
/// </summary>
public sealed record KaplanC(double CcPfDays = 3.1e8, double AlphaC = 0.050) : IScalingLaw
{
    /// <inheritdoc/>
    public string Form => "kaplan-c";
    /// <inheritdoc/>
    public IReadOnlyDictionary<string, double> Parameters => new Dictionary<string, double> { ["C_c"] = CcPfDays, ["alpha_C"] = AlphaC };
    /// <inheritdoc/>
    public double Loss(LawInput x) => Math.Pow(CcPfDays / ModelAccounting.PfDays(Need(x.C, "C")), AlphaC);
    /// <summary>Not a function of N or D: (0, 0). Use <see cref="DLdC"/>.</summary>
    public (double DLdN, double DLdD) Gradient(LawInput x) => (0, 0);
    /// <summary>∂L/∂C (per FLOP) = −α_C L / C.</summary>
    public double DLdC(double flops) => -AlphaC * Loss(new LawInput(C: flops)) / flops;
}

/// <summary>
/// Kaplan et al. 2020, eq. 1.5 (bracketed): L(N, D) = [ (N_c / N)^(α_N/α_D) + D_c / D ]^α_D;
/// published α_N = 0.076, α_D = 0.103, N_c = 6.4e13, D_c = 1.8e13.
/// </summary>
public sealed record KaplanND(double Nc = 6.4e13, double Dc = 1.8e13, double AlphaN = 0.076, double AlphaD = 0.103) : IScalingLaw
{
    /// <inheritdoc/>
    public string Form => "kaplan-nd";
    /// <inheritdoc/>
    public IReadOnlyDictionary<string, double> Parameters =>
        new Dictionary<string, double> { ["N_c"] = Nc, ["D_c"] = Dc, ["alpha_N"] = AlphaN, ["alpha_D"] = AlphaD };
    private double Inner(double n, double d) => Math.Pow(Nc / n, AlphaN / AlphaD) + Dc / d;
    /// <inheritdoc/>
    public double Loss(LawInput x) => Math.Pow(Inner(Need(x.N, "N"), Need(x.D, "D")), AlphaD);
    /// <summary>∂L/∂N = −α_N L/inner · (N_c/N)^(α_N/α_D) / N; ∂L/∂D = −α_D L/inner · D_c / D².</summary>
    public (double DLdN, double DLdD) Gradient(LawInput x)
    {
        double n = Need(x.N, "N"), d = Need(x.D, "D"), inner = Inner(n, d), l = Math.Pow(inner, AlphaD);
        return (-AlphaN * l / inner * Math.Pow(Nc / n, AlphaN / AlphaD) / n, -AlphaD * l / inner * Dc / (d * d));
    }

    /// <summary>
    /// Kaplan eq. 4.3: the overfitting penalty δL(N, D) = L(N, D)/L(N, ∞) − 1 = (1 + (N/N_c)^(α_N/α_D) D_c/D)^α_D − 1.
    /// </summary>
    public double OverfitPenalty(double n, double d) => Math.Pow(1 + Math.Pow(n / Nc, AlphaN / AlphaD) * Dc / d, AlphaD) - 1;

    /// <summary>Kaplan eq. 4.4: data needed to keep δL ≲ 0.02 (about 5e3 · N^0.74 tokens for non-embedding N).</summary>
    public static double OverfitTokenThreshold(double n) => 5e3 * Math.Pow(n, 0.74);
}

/// <summary>
/// The plain-sum variant popular in summaries (not Kaplan's eq. 1.5): L(N, D) = (N_c / N)^α_N + (D_c / D)^α_D.
/// Defaults are eq. 1.5's constants, for comparison only.
/// </summary>
public sealed record KaplanNDSum(double Nc = 6.4e13, double Dc = 1.8e13, double AlphaN = 0.076, double AlphaD = 0.103) : IScalingLaw
{
    /// <inheritdoc/>
    public string Form => "kaplan-sum";
    /// <inheritdoc/>
    public IReadOnlyDictionary<string, double> Parameters =>
        new Dictionary<string, double> { ["N_c"] = Nc, ["D_c"] = Dc, ["alpha_N"] = AlphaN, ["alpha_D"] = AlphaD };
    /// <inheritdoc/>
    public double Loss(LawInput x) => Math.Pow(Nc / Need(x.N, "N"), AlphaN) + Math.Pow(Dc / Need(x.D, "D"), AlphaD);
    /// <summary>Each term differentiates alone: −α (X_c/X)^α / X.</summary>
    public (double DLdN, double DLdD) Gradient(LawInput x) =>
        (-AlphaN * Math.Pow(Nc / x.N, AlphaN) / x.N, -AlphaD * Math.Pow(Dc / x.D, AlphaD) / x.D);
}

/// <summary>
/// Kaplan et al. 2020, eq. 1.6 / 5.6: L(N, S_min) = (N_c / N)^α_N + (S_c / S_min)^α_S, with the critical batch
/// B_crit(L) = B_* / L^(1/α_B) (eq. 1.4) and S_min = S / (1 + B_crit(L)/B) (eq. 5.4), E_min = E / (1 + B/B_crit(L)).
/// Published (Table 3): α_N = 0.077, N_c = 6.5e13, α_S = 0.76, S_c = 2.1e3, B_* = 2e8 tokens, α_B = 0.21.
/// </summary>
public sealed record KaplanNS(double Nc = 6.5e13, double AlphaN = 0.077, double Sc = 2.1e3, double AlphaS = 0.76,
                              double BStar = 2e8, double AlphaB = 0.21) : IScalingLaw
{
    /// <inheritdoc/>
    public string Form => "kaplan-ns";
    /// <inheritdoc/>
    public IReadOnlyDictionary<string, double> Parameters => new Dictionary<string, double>
    {
        ["N_c"] = Nc, ["alpha_N"] = AlphaN, ["S_c"] = Sc, ["alpha_S"] = AlphaS, ["B_star"] = BStar, ["alpha_B"] = AlphaB,
    };
    /// <summary>L(N, S_min) with <see cref="LawInput.S"/> taken as S_min.</summary>
    public double Loss(LawInput x) => Math.Pow(Nc / Need(x.N, "N"), AlphaN) + Math.Pow(Sc / Need(x.S, "S (steps)"), AlphaS);
    /// <summary>(∂L/∂N, 0); see <see cref="DLdS"/>.</summary>
    public (double DLdN, double DLdD) Gradient(LawInput x) => (-AlphaN * Math.Pow(Nc / x.N, AlphaN) / x.N, 0);
    /// <summary>∂L/∂S_min = −α_S (S_c/S_min)^α_S / S_min.</summary>
    public double DLdS(double sMin) => -AlphaS * Math.Pow(Sc / sMin, AlphaS) / sMin;
    /// <summary>B_crit(L) = B_* / L^(1/α_B), tokens.</summary>
    public double CriticalBatch(double loss) => BStar / Math.Pow(loss, 1.0 / AlphaB);
    /// <summary>S_min = S / (1 + B_crit(L)/B): the steps training would need at a very large batch.</summary>
    public double MinSteps(double steps, double batchTokens, double loss) => MinStepsAt(steps, batchTokens, CriticalBatch(loss));
    /// <summary>Kaplan eq. 5.4 with a given critical batch (tokens): S_min = S / (1 + B_crit/B).</summary>
    public static double MinStepsAt(double steps, double batchTokens, double criticalBatch) => steps / (1 + criticalBatch / batchTokens);
    /// <summary>E_min = E / (1 + B/B_crit(L)): the examples (tokens) training would need at a very small batch.</summary>
    public double MinExamples(double tokens, double batchTokens, double loss) => tokens / (1 + batchTokens / CriticalBatch(loss));
}
