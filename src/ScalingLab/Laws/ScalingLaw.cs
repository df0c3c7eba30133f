namespace ScalingLab.Laws;

/// <summary>
/// What a law is evaluated at. A form reads what it needs: N parameters (non-embedding for Kaplan), D tokens,
/// C compute (FLOPs; Kaplan's L(C) uses PF-days, converted inside), S optimisation steps and B batch tokens.
/// </summary>
public readonly record struct LawInput(double N = double.NaN, double D = double.NaN, double C = double.NaN,
                                       double S = double.NaN, double B = double.NaN);

/// <summary>A scaling law with named parameters: evaluation and derivatives of the loss.</summary>
public interface IScalingLaw
{
    /// <summary>Catalog name of the form, e.g. "chinchilla", "kaplan-nd".</summary>
    string Form { get; }

    /// <summary>Parameters by their paper names (E, A, B, alpha, beta; N_c, alpha_N, ...).</summary>
    IReadOnlyDictionary<string, double> Parameters { get; }

    /// <summary>Predicted loss (nats per token).</summary>
    double Loss(LawInput x);

    /// <summary>∂L/∂N and ∂L/∂D; 0 for a variable the form does not use (L(C) and L(N,S) document their own derivatives).</summary>
    (double DLdN, double DLdD) Gradient(LawInput x);
}
