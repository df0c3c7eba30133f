using MathNet.Numerics;

namespace ScalingLab.Memory;

/// <summary>
/// Volumes and Gaussian masses of n-balls, in log space (π^{n/2} and Γ(n/2) overflow double at n = 1024).
/// Niu et al. v2 Sec. 5 / App. D: the ball integral Eq. (12), the layer partition function Eq. (13), the
/// bounds Eq. (14) and the radius r = √(n/(2πe)); Proposition 4's loss floor log Z + 1/Z.
/// </summary>
public static class BallMass
{
    /// <summary>log Vₙ(r), Vₙ(r) = π^{n/2} rⁿ / Γ(1 + n/2), the volume of the n-ball of radius r.</summary>
    public static double LogVolume(double n, double r) =>
        0.5 * n * Math.Log(Math.PI) + n * Math.Log(r) - SpecialFunctions.GammaLn(0.5 * n + 1);

    /// <summary>log A_{n−1}, A_{n−1} = 2π^{n/2}/Γ(n/2), the area of the unit sphere S^{n−1}.</summary>
    public static double LogSphereArea(double n) =>
        Math.Log(2) + 0.5 * n * Math.Log(Math.PI) - SpecialFunctions.GammaLn(0.5 * n);

    /// <summary>
    /// The radius at which Vₙ(r) is O(1) (Niu et al. Sec. 5, via Stirling): r = √(n/(2πe)); stored
    /// patterns are then predicted to sit about 2r apart (r(1024) = 7.743, 2r = 15.49).
    /// </summary>
    public static double PredictedRadius(double n) => Math.Sqrt(n / (2 * Math.PI * Math.E));

    /// <summary>
    /// log mₙ(r), mₙ(r) = ∫_{‖y‖&lt;r} e^{−‖y‖²} dy = π^{n/2} P(n/2, r²), P the regularised lower incomplete
    /// gamma. This is the correct closed form of Niu et al. Eq. (12) ([DERIVED] in the spec: the paper's
    /// last line swaps e^{−t²} for e^{−t}; see <see cref="PaperLogBallIntegral"/>).
    /// </summary>
    public static double LogGaussianBallMass(double n, double r) =>
        0.5 * n * Math.Log(Math.PI) + LogRegularizedLowerGamma(0.5 * n, r * r);

    /// <summary>
    /// The ball integral as the paper prints it (Eq. 12, v2): log(2π^{n/2} γ(n, r) / Γ(n/2)). Kept to
    /// reproduce the paper's numbers; <see cref="LogGaussianBallMass"/> is the correct value.
    /// </summary>
    public static double PaperLogBallIntegral(double n, double r) =>
        LogSphereArea(n) + LogLowerIncompleteGamma(n, r);

    /// <summary>log γ(a, x), γ(a, x) = ∫₀ˣ t^{a−1} e^{−t} dt, the (unregularised) lower incomplete gamma.</summary>
    public static double LogLowerIncompleteGamma(double a, double x) =>
        SpecialFunctions.GammaLn(a) + LogRegularizedLowerGamma(a, x);

    /// <summary>
    /// log P(a, x), P(a, x) = γ(a, x)/Γ(a). For x &lt; a + 1 the series
    /// P = x^a e^{−x}/Γ(a+1) · Σₖ xᵏ/((a+1)⋯(a+k)) is summed in log space, so tiny values (e^{−60} at
    /// n = 1024) keep full precision; above it, log(1 − Q) with Q from MathNet.
    /// </summary>
    public static double LogRegularizedLowerGamma(double a, double x)
    {
        if (!(a > 0)) throw new ArgumentOutOfRangeException(nameof(a), "a must be positive");
        if (x <= 0) return double.NegativeInfinity;
        if (x < a + 1)
        {
            double sum = 1, term = 1;
            for (int k = 1; k < 10_000; k++)
            {
                term *= x / (a + k);
                sum += term;
                if (term < sum * 1e-17) break;
            }
            return a * Math.Log(x) - x - SpecialFunctions.GammaLn(a + 1) + Math.Log(sum);
        }
        return double.LogP1(-SpecialFunctions.GammaUpperRegularized(a, x));
    }

    /// <summary>
    /// Proposition 4's loss floor (Niu et al. v2, Sec. 5): f(Z) = log Z + 1/Z, f ≥ 1 with equality only at
    /// Z = 1 (f(0.5) = 1.306853, f(2) = 1.193147). Taken from log Z so huge or tiny Z stay finite.
    /// </summary>
    public static double LossFloorFromLogZ(double logZ) => logZ + Math.Exp(-logZ);

    /// <summary>f(Z) = log Z + 1/Z (see <see cref="LossFloorFromLogZ"/>).</summary>
    public static double LossFloor(double z) => LossFloorFromLogZ(Math.Log(z));
}
