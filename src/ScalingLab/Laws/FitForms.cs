using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using ScalingLab.Model;

namespace ScalingLab.Laws;

/// <summary>
/// A law written for fitting in log space: θ holds logs of scale constants and the exponents, and the form
/// predicts ln L with its gradient in θ. The Huber objective (<see cref="HuberFit"/>) is the same for every form.
/// Each form's <see cref="ToLaw"/> gives the named law of ScalingLaw.cs; tests check the two agree.
/// </summary>
public abstract class FitForm
{
    /// <summary>Catalog name (see <see cref="LawCatalog"/>).</summary>
    public abstract string Name { get; }

    /// <summary>Names of the entries of θ.</summary>
    public abstract string[] ThetaNames { get; }

    /// <summary>Number of fitted parameters.</summary>
    public int Dim => ThetaNames.Length;

    /// <summary>The law parameter (a key of <see cref="IScalingLaw.Parameters"/>) that θ entry <paramref name="k"/> stands for.</summary>
    public virtual string ParameterName(int k) => IsLogScale(k) ? ThetaNames[k][3..] : ThetaNames[k];

    /// <summary>True when θ entry <paramref name="k"/> is the natural log of its parameter (a scale constant), false for an exponent.</summary>
    public virtual bool IsLogScale(int k) => ThetaNames[k].StartsWith("ln_", StringComparison.Ordinal);

    /// <summary>The parameter's value for θ entry <paramref name="k"/> = <paramref name="theta"/>.</summary>
    public double Natural(int k, double theta) => IsLogScale(k) ? Math.Exp(theta) : theta;

    /// <summary>Initial values per θ entry; the fit starts from every point of their Cartesian product.</summary>
    public abstract double[][] DefaultGrid { get; }

    /// <summary>Predicted ln L at point <paramref name="i"/>; writes ∂(ln L)/∂θ into <paramref name="grad"/>.</summary>
    public abstract double LogPredict(ReadOnlySpan<double> theta, FitData data, int i, Span<double> grad);

    /// <summary>The law with natural parameters for θ.</summary>
    public abstract IScalingLaw ToLaw(ReadOnlySpan<double> theta);

    /// <summary>
    /// The Huber objective over <paramref name="data"/> as a closure with its own buffers (one per thread).
    /// The default goes point by point through <see cref="LogPredict"/>; a form may override it with a faster
    /// loop that must agree with <see cref="HuberFit.Objective"/> (tests check it).
    /// </summary>
    public virtual ObjectiveFunction CreateObjective(FitData data, double[]? weights, double delta)
    {
        var scratch = new double[Dim];
        return (x, g) => HuberFit.Objective(this, data, weights, delta, x, g, scratch);
    }

    /// <summary>The fit form for <paramref name="name"/>; unknown (or evaluation-only) names are a UserError.</summary>
    public static FitForm ByName(string name) => name switch
    {
        "chinchilla" => new ChinchillaFit(),
        "kaplan-nd" => new KaplanNDFit(),
        "kaplan-sum" => new KaplanSumFit(),
        "kaplan-n" => new KaplanPowerFit(KaplanPowerFit.Variable.N),
        "kaplan-d" => new KaplanPowerFit(KaplanPowerFit.Variable.D),
        "kaplan-c" => new KaplanPowerFit(KaplanPowerFit.Variable.C),
        "kaplan-ns" => throw new Common.UserError(
            "form 'kaplan-ns' is fitted from learning curves (steps), not (N, D, loss) points: `scalinglab report` fits it when the runs logged them; fit 'chinchilla' or a kaplan form here"),
        "data-constrained" => throw new Common.UserError(
            $"form '{name}' can be evaluated but not fitted from (N, D, loss) points; fit 'chinchilla' or a kaplan form"),
        _ => throw LawCatalog.Unknown(name),
    };

    /// <summary>log-sum-exp of three values and their softmax weights.</summary>
    protected static double Lse3(double u1, double u2, double u3, out double w1, out double w2, out double w3)
    {
        double m = Math.Max(u1, Math.Max(u2, u3));
        double e1 = Math.Exp(u1 - m), e2 = Math.Exp(u2 - m), e3 = Math.Exp(u3 - m), s = e1 + e2 + e3;
        w1 = e1 / s; w2 = e2 / s; w3 = e3 / s;
        return m + Math.Log(s);
    }

    /// <summary>log-sum-exp of two values and their softmax weights.</summary>
    protected static double Lse2(double u1, double u2, out double w1, out double w2)
    {
        double m = Math.Max(u1, u2);
        double e1 = Math.Exp(u1 - m), e2 = Math.Exp(u2 - m), s = e1 + e2;
        w1 = e1 / s; w2 = e2 / s;
        return m + Math.Log(s);
    }
}

/// <summary>
/// Hoffmann et al. 2022, Approach 3: ln L = LSE(a − α ln N, b − β ln D, e) with A = e^a, B = e^b, E = e^e.
/// θ = (a, b, e, α, β); the default grid is Hoffmann's: α, β ∈ {0, 0.5, …, 2}, e ∈ {−1, −0.5, …, 1},
/// a, b ∈ {0, 5, …, 25} (4,500 starts).
/// </summary>
public sealed class ChinchillaFit : FitForm
{
    /// <inheritdoc/>
    public override string Name => "chinchilla";
    /// <inheritdoc/>
    public override string[] ThetaNames { get; } = ["a", "b", "e", "alpha", "beta"];
    /// <inheritdoc/>
    public override string ParameterName(int k) => Names[k];
    private static readonly string[] Names = ["A", "B", "E", "alpha", "beta"];
    /// <inheritdoc/>
    public override bool IsLogScale(int k) => k < 3;
    /// <inheritdoc/>
    public override double[][] DefaultGrid { get; } =
    [
        [0, 5, 10, 15, 20, 25], [0, 5, 10, 15, 20, 25], [-1, -0.5, 0, 0.5, 1], [0, 0.5, 1, 1.5, 2], [0, 0.5, 1, 1.5, 2],
    ];

    /// <inheritdoc/>
    public override double LogPredict(ReadOnlySpan<double> t, FitData data, int i, Span<double> grad)
    {
        double lnN = data.LogN[i], lnD = data.LogD[i];
        double lse = Lse3(t[0] - t[3] * lnN, t[1] - t[4] * lnD, t[2], out double w1, out double w2, out double w3);
        grad[0] = w1; grad[1] = w2; grad[2] = w3; grad[3] = -w1 * lnN; grad[4] = -w2 * lnD;
        return lse;
    }

    /// <inheritdoc/>
    public override IScalingLaw ToLaw(ReadOnlySpan<double> t) => new ChinchillaLaw(Math.Exp(t[2]), Math.Exp(t[0]), Math.Exp(t[1]), t[3], t[4]);

    /// <summary>
    /// The same objective as <see cref="HuberFit.Objective"/>, with the exponentials and logs done over all points
    /// at once by TensorPrimitives (SIMD): the fit's 4,500 starts spend nearly all their time here.
    /// </summary>
    public override ObjectiveFunction CreateObjective(FitData data, double[]? weights, double delta)
    {
        int n = data.Count;
        double[] u1 = new double[n], u2 = new double[n], u3 = new double[n], m = new double[n], s = new double[n], ls = new double[n];
        double[] lnN = data.LogN, lnD = data.LogD, lnL = data.LogL;
        // Fully optimised from the first call: a fit is over before tiered JIT would promote it.
        return [MethodImpl(MethodImplOptions.AggressiveOptimization)] (t, g) =>
        {
            double a = t[0], b = t[1], e = t[2], al = t[3], be = t[4];
            for (int i = 0; i < n; i++)
            {
                double x1 = a - al * lnN[i], x2 = b - be * lnD[i];
                double mx = Math.Max(x1, Math.Max(x2, e));
                m[i] = mx; u1[i] = x1 - mx; u2[i] = x2 - mx; u3[i] = e - mx;
            }
            TensorPrimitives.Exp(u1, u1);
            TensorPrimitives.Exp(u2, u2);
            TensorPrimitives.Exp(u3, u3);
            TensorPrimitives.Add(u1, u2, s);
            TensorPrimitives.Add(s, u3, s);
            TensorPrimitives.Log(s, ls); // lse = m + ln Σe
            double f = 0, ga = 0, gb = 0, ge = 0, gal = 0, gbe = 0;
            for (int i = 0; i < n; i++)
            {
                double w = weights is null ? 1 : weights[i];
                double r = m[i] + ls[i] - lnL[i];
                double ar = Math.Abs(r);
                f += w * (ar <= delta ? 0.5 * r * r : delta * (ar - 0.5 * delta));
                // ψ(r)/Σe: the softmax weights are e_k / Σe.
                double psi = w * Math.Clamp(r, -delta, delta) / s[i];
                double p1 = psi * u1[i], p2 = psi * u2[i];
                ga += p1; gb += p2; ge += psi * u3[i];
                gal -= p1 * lnN[i]; gbe -= p2 * lnD[i];
            }
            g[0] = ga; g[1] = gb; g[2] = ge; g[3] = gal; g[4] = gbe;
            return f;
        };
    }
}

/// <summary>
/// Kaplan eq. 1.5 in log space: ln L = α_D · LSE(p (n_c − ln N), d_c − ln D), p = α_N/α_D, n_c = ln N_c, d_c = ln D_c.
/// θ = (n_c, d_c, α_N, α_D).
/// </summary>
public sealed class KaplanNDFit : FitForm
{
    /// <inheritdoc/>
    public override string Name => "kaplan-nd";
    /// <inheritdoc/>
    public override string[] ThetaNames { get; } = ["ln_N_c", "ln_D_c", "alpha_N", "alpha_D"];
    /// <inheritdoc/>
    public override double[][] DefaultGrid { get; } = [[10, 20, 30, 40], [10, 20, 30, 40], [0.05, 0.1, 0.3, 0.6], [0.05, 0.1, 0.3, 0.6]];

    /// <inheritdoc/>
    public override double LogPredict(ReadOnlySpan<double> t, FitData data, int i, Span<double> grad)
    {
        double an = t[2], ad = t[3], p = an / ad;
        double xn = t[0] - data.LogN[i], u1 = p * xn, u2 = t[1] - data.LogD[i];
        double s = Lse2(u1, u2, out double w1, out double w2);
        grad[0] = an * w1;          // αD · w1 · p
        grad[1] = ad * w2;
        grad[2] = w1 * xn;          // αD · w1 · xn / αD
        grad[3] = s - w1 * u1;      // S + αD · w1 · (−αN/αD²) xn
        return ad * s;
    }

    /// <inheritdoc/>
    public override IScalingLaw ToLaw(ReadOnlySpan<double> t) => new KaplanND(Math.Exp(t[0]), Math.Exp(t[1]), t[2], t[3]);
}

/// <summary>The plain-sum form in log space: ln L = LSE(α_N (n_c − ln N), α_D (d_c − ln D)). θ = (n_c, d_c, α_N, α_D).</summary>
public class KaplanSumFit : FitForm
{
    /// <inheritdoc/>
    public override string Name => "kaplan-sum";
    /// <inheritdoc/>
    public override string[] ThetaNames { get; } = ["ln_N_c", "ln_D_c", "alpha_N", "alpha_D"];
    /// <inheritdoc/>
    public override double[][] DefaultGrid { get; } = [[10, 20, 30, 40], [10, 20, 30, 40], [0.05, 0.1, 0.3, 0.6], [0.05, 0.1, 0.3, 0.6]];

    /// <inheritdoc/>
    public override double LogPredict(ReadOnlySpan<double> t, FitData data, int i, Span<double> grad)
    {
        double xn = t[0] - data.LogN[i], xd = t[1] - data.LogD[i];
        double s = Lse2(t[2] * xn, t[3] * xd, out double w1, out double w2);
        grad[0] = w1 * t[2]; grad[1] = w2 * t[3]; grad[2] = w1 * xn; grad[3] = w2 * xd;
        return s;
    }

    /// <inheritdoc/>
    public override IScalingLaw ToLaw(ReadOnlySpan<double> t) => new KaplanNDSum(Math.Exp(t[0]), Math.Exp(t[1]), t[2], t[3]);
}

/// <summary>
/// Kaplan eq. 1.6 / 5.6, L(N, S_min) = (N_c/N)^α_N + (S_c/S_min)^α_S: the plain-sum form with steps in place of tokens.
/// The points' D holds S_min (steps at a very large batch); <see cref="LearningCurveAnalysis"/> builds them. Not in
/// <see cref="FitForm.ByName"/>: a points CSV has no steps. θ = (n_c, s_c, α_N, α_S); the fitted law carries no B_*
/// or α_B (NaN), which come from <see cref="NoiseScaleAnalysis"/>.
/// </summary>
public sealed class KaplanNSFit : KaplanSumFit
{
    /// <inheritdoc/>
    public override string Name => "kaplan-ns";
    /// <inheritdoc/>
    public override string[] ThetaNames { get; } = ["ln_N_c", "ln_S_c", "alpha_N", "alpha_S"];
    /// <inheritdoc/>
    public override double[][] DefaultGrid { get; } = [[10, 20, 30, 40], [0, 4, 8, 12], [0.05, 0.1, 0.3, 0.6], [0.1, 0.3, 0.6, 1.0]];
    /// <inheritdoc/>
    public override IScalingLaw ToLaw(ReadOnlySpan<double> t) =>
        new KaplanNS(Math.Exp(t[0]), t[2], Math.Exp(t[1]), t[3], BStar: double.NaN, AlphaB: double.NaN);
}

/// <summary>
/// One-variable Kaplan power laws L(X) = (X_c / X)^α_X for X = N, D or C (C in PF-days, eqs. 1.1–1.3):
/// ln L = α (x_c − ln X). θ = (x_c, α).
/// </summary>
public sealed class KaplanPowerFit(KaplanPowerFit.Variable variable) : FitForm
{
    /// <summary>Which variable the law is in.</summary>
    public enum Variable
    {
        /// <summary>Parameters.</summary>
        N,
        /// <summary>Tokens.</summary>
        D,
        /// <summary>Compute, PF-days.</summary>
        C,
    }

    private static readonly double LnPfDay = Math.Log(ModelAccounting.FlopsPerPfDay);

    /// <inheritdoc/>
    public override string Name => variable switch { Variable.N => "kaplan-n", Variable.D => "kaplan-d", _ => "kaplan-c" };
    /// <inheritdoc/>
    public override string[] ThetaNames { get; } = variable switch
    {
        Variable.N => ["ln_N_c", "alpha_N"], Variable.D => ["ln_D_c", "alpha_D"], _ => ["ln_C_c", "alpha_C"],
    };
    /// <inheritdoc/>
    public override double[][] DefaultGrid { get; } = [[0, 10, 20, 30, 40], [0.02, 0.05, 0.1, 0.3, 0.6]];

    /// <inheritdoc/>
    public override double LogPredict(ReadOnlySpan<double> t, FitData data, int i, Span<double> grad)
    {
        double lnX = variable switch { Variable.N => data.LogN[i], Variable.D => data.LogD[i], _ => data.LogC[i] - LnPfDay };
        double x = t[0] - lnX;
        grad[0] = t[1]; grad[1] = x;
        return t[1] * x;
    }

    /// <inheritdoc/>
    public override IScalingLaw ToLaw(ReadOnlySpan<double> t) => variable switch
    {
        Variable.N => new KaplanN(Math.Exp(t[0]), t[1]),
        Variable.D => new KaplanD(Math.Exp(t[0]), t[1]),
        _ => new KaplanC(Math.Exp(t[0]), t[1]),
    };
}
