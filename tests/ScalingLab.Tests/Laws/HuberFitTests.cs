using ScalingLab.Laws;
using ScalingLab.Tensors;

namespace ScalingLab.Tests.Laws;

public class HuberFitTests
{
    /// <summary>Runs on a 6×6 grid of N and D, loss from <paramref name="law"/>, times e^(σ·z).</summary>
    internal static List<FitPoint> Synthetic(IScalingLaw law, double sigma, ulong seed, double nLo = 1e7, double dLo = 1e8)
    {
        var rng = new Rng(seed);
        var points = new List<FitPoint>();
        for (int i = 0; i < 6; i++)
            for (int j = 0; j < 6; j++)
            {
                double n = nLo * Math.Pow(10, i * 0.6), d = dLo * Math.Pow(10, j * 0.6);
                double loss = law.Loss(new LawInput(N: n, D: d)) * Math.Exp(sigma * rng.NextNormal());
                points.Add(new FitPoint(n, d, loss));
            }
        return points;
    }

    public static TheoryData<string> FitForms => new() { "chinchilla", "kaplan-nd", "kaplan-sum", "kaplan-n", "kaplan-d", "kaplan-c" };

    [Theory]
    [MemberData(nameof(FitForms))]
    public void ObjectiveGradientMatchesFiniteDifferences(string name)
    {
        var form = FitForm.ByName(name);
        var data = new FitData(Synthetic(ChinchillaLaw.Hoffmann, 0.05, 7));
        // A θ away from the optimum, so residuals fall on both sides of δ (both Huber branches).
        double[] theta = name switch
        {
            "chinchilla" => [6.0, 6.5, 0.6, 0.33, 0.3],
            "kaplan-nd" or "kaplan-sum" => [30.0, 28.0, 0.08, 0.1],
            _ => [20.0, 0.07],
        };
        foreach (double delta in new[] { 1e-3, 0.05 })
        {
            var grad = new double[form.Dim];
            var scratch = new double[form.Dim];
            HuberFit.Objective(form, data, default, delta, theta, grad, scratch);
            for (int k = 0; k < form.Dim; k++)
            {
                double h = 1e-6 * Math.Max(1, Math.Abs(theta[k]));
                var tp = (double[])theta.Clone(); tp[k] += h;
                var tm = (double[])theta.Clone(); tm[k] -= h;
                double fd = (HuberFit.Objective(form, data, default, delta, tp, new double[form.Dim], scratch)
                             - HuberFit.Objective(form, data, default, delta, tm, new double[form.Dim], scratch)) / (2 * h);
                Assert.Equal(fd, grad[k], Math.Abs(fd) * 1e-5 + 1e-9);
            }
            // The form's own (possibly SIMD) objective must agree with the reference loop, weights included.
            var weights = Enumerable.Range(0, data.Count).Select(i => (double)(i % 3)).ToArray();
            var g1 = new double[form.Dim]; var g2 = new double[form.Dim];
            double f1 = HuberFit.Objective(form, data, weights, delta, theta, g1, scratch);
            double f2 = form.CreateObjective(data, weights, delta)(theta, g2);
            Assert.Equal(f1, f2, Math.Abs(f1) * 1e-12);
            for (int k = 0; k < form.Dim; k++) Assert.Equal(g1[k], g2[k], Math.Abs(g1[k]) * 1e-10 + 1e-15);
        }
    }

    [Fact]
    public void LogPredictAgreesWithTheNamedLaw()
    {
        var data = new FitData([new FitPoint(3e8, 2e10, 2.5, 4e19)]);
        var g = new double[5];
        foreach (var (name, theta) in new (string, double[])[]
                 {
                     ("chinchilla", [6.0, 7.0, 0.5, 0.34, 0.28]), ("kaplan-nd", [31.0, 30.0, 0.076, 0.103]),
                     ("kaplan-sum", [31.0, 30.0, 0.076, 0.103]), ("kaplan-n", [31.0, 0.076]),
                     ("kaplan-d", [30.0, 0.095]), ("kaplan-c", [19.0, 0.05]),
                 })
        {
            var form = FitForm.ByName(name);
            double viaForm = Math.Exp(form.LogPredict(theta, data, 0, g));
            double viaLaw = form.ToLaw(theta).Loss(new LawInput(N: 3e8, D: 2e10, C: 4e19));
            Assert.Equal(viaLaw, viaForm, viaLaw * 1e-12);
        }
    }

    [Fact]
    public void ChinchillaRecoversKnownParametersWithoutNoise()
    {
        var truth = new ChinchillaLaw(1.69, 406.4, 410.7, 0.34, 0.28);
        var fit = HuberFit.Fit(new ChinchillaFit(), Synthetic(truth, 0, 1), new FitOptions { Threads = 2 });
        var law = (ChinchillaLaw)fit.Law;
        Assert.True(fit.Converged);
        Assert.Equal(1.69, law.E, 1.69 * 1e-4);
        Assert.Equal(406.4, law.A, 406.4 * 1e-3);
        Assert.Equal(410.7, law.B, 410.7 * 1e-3);
        Assert.Equal(0.34, law.Alpha, 1e-4);
        Assert.Equal(0.28, law.Beta, 1e-4);
        Assert.True(fit.Objective < 1e-12);
    }

    // A 3-value grid around Hoffmann's range keeps the noisy tests fast (243 starts).
    private static readonly double[][] SmallGrid = [[0, 5, 10], [0, 5, 10], [-0.5, 0.5, 1], [0.2, 0.5, 1], [0.2, 0.5, 1]];

    [Theory]
    [InlineData(11UL)]
    [InlineData(12UL)]
    [InlineData(13UL)]
    public void ChinchillaRecoversKnownParametersWithNoise(ulong seed)
    {
        // 0.3% log-normal noise on 36 runs: exponents within ±0.03, E within 3%, allocation exponent within ±0.03,
        // and the fit is at least as good as the true parameters (the optimiser found the minimum, not just near truth).
        var truth = new ChinchillaLaw(1.69, 406.4, 410.7, 0.34, 0.28);
        var points = Synthetic(truth, 0.003, seed);
        var fit = HuberFit.Fit(new ChinchillaFit(), points, new FitOptions { Threads = 2, Grid = SmallGrid });
        var law = (ChinchillaLaw)fit.Law;
        Assert.True(fit.Converged);
        double[] trueTheta = [Math.Log(406.4), Math.Log(410.7), Math.Log(1.69), 0.34, 0.28];
        double atTruth = HuberFit.Objective(new ChinchillaFit(), new FitData(points), default, 1e-3, trueTheta, new double[5], new double[5]);
        Assert.True(fit.Objective <= atTruth, $"fit {fit.Objective} vs truth {atTruth}");
        Assert.Equal(0.34, law.Alpha, 0.03);
        Assert.Equal(0.28, law.Beta, 0.03);
        Assert.Equal(1.69, law.E, 1.69 * 0.03);
        Assert.Equal(0.28 / 0.62, law.Beta / (law.Alpha + law.Beta), 0.03);
    }

    [Theory]
    [InlineData("kaplan-nd", 0.0, 1e-3)]
    [InlineData("kaplan-nd", 0.003, 0.1)]
    [InlineData("kaplan-sum", 0.0, 1e-3)]
    [InlineData("kaplan-sum", 0.003, 0.1)]
    public void KaplanFormsRecoverKnownExponents(string name, double sigma, double relTol)
    {
        IScalingLaw truth = name == "kaplan-nd" ? new KaplanND(6.4e13, 1.8e13, 0.076, 0.103) : new KaplanNDSum(6.4e13, 1.8e13, 0.076, 0.103);
        // Small models on little data: both terms matter over this range.
        var points = Synthetic(truth, sigma, 5, nLo: 1e5, dLo: 1e6);
        var fit = HuberFit.Fit(FitForm.ByName(name), points, new FitOptions { Threads = 2 });
        var p = fit.Law.Parameters;
        Assert.True(fit.Converged);
        Assert.Equal(0.076, p["alpha_N"], 0.076 * relTol);
        Assert.Equal(0.103, p["alpha_D"], 0.103 * relTol);
    }

    [Fact]
    public void ResultDoesNotDependOnThreadCount()
    {
        var points = Synthetic(ChinchillaLaw.Hoffmann, 0.02, 3);
        var a = HuberFit.Fit(new ChinchillaFit(), points, new FitOptions { Threads = 1, Grid = SmallGrid });
        var b = HuberFit.Fit(new ChinchillaFit(), points, new FitOptions { Threads = 2, Grid = SmallGrid });
        Assert.Equal(a.Theta, b.Theta);
        Assert.Equal(a.Objective, b.Objective);
    }

    [Fact]
    public void TooFewPointsAndBadValuesAreUserErrors()
    {
        var few = Synthetic(ChinchillaLaw.Hoffmann, 0, 1).Take(5).ToList();
        var e = Assert.Throws<ScalingLab.Common.UserError>(() => HuberFit.Fit(new ChinchillaFit(), few));
        Assert.Contains("5 points for 5 parameters", e.Message);
        Assert.Throws<ScalingLab.Common.UserError>(() => new FitData([new FitPoint(1e6, double.NaN, 3)]));
        Assert.Throws<ScalingLab.Common.UserError>(() => new FitData([new FitPoint(-1, 1e9, 3)]));
        Assert.Throws<ScalingLab.Common.UserError>(() => new FitData([new FitPoint(1e6, 1e9, 0)]));
    }

    [Fact]
    public void GridEdgeIsReported()
    {
        // A grid that cannot bracket α = 0.34: the fit leaves it and says so.
        var grid = new[] { new[] { 5.0, 6.0 }, [5.0, 6.0], [0.4, 0.6], [1.0, 1.5], [0.25, 0.3] };
        var fit = HuberFit.Fit(new ChinchillaFit(), Synthetic(ChinchillaLaw.Hoffmann, 0, 1), new FitOptions { Threads = 2, Grid = grid });
        Assert.Contains("alpha", fit.OutsideGrid);
    }
}
