using ScalingLab.Laws;
using ScalingLab.Tensors;

namespace ScalingLab.Tests.Laws;

public class LawFitAnalysisTests
{
    private static readonly FitOptions TwoThreads = new() { Threads = 2 };

    [Fact]
    public void IdentifiableEIsRecoveredInsideItsInterval()
    {
        // Three decades of N and of D with 0.3% noise: every parameter of Hoffmann's law is pinned down.
        var truth = ChinchillaLaw.Hoffmann;
        var points = HuberFitTests.Synthetic(truth, 0.003, 21);
        var r = LawFitAnalysis.Run(new LawFitOptions { Points = points, Bootstrap = 60, Seed = 3, Fit = TwoThreads });
        Assert.True(r.AllIdentified, string.Join("; ", r.Profiles.Select(p => $"{p.Parameter}: flat [{p.FlatLo}, {p.FlatHi}]")));
        var e = r.Quantity("E");
        Assert.NotNull(e.Interval);
        Assert.Null(e.NotIdentifiedRange);
        Assert.InRange(truth.E, e.Interval!.Lo, e.Interval.Hi);
        Assert.True(e.Interval.Hi - e.Interval.Lo < 0.5, $"E interval [{e.Interval.Lo}, {e.Interval.Hi}] is not informative");
        Assert.Equal(60, r.Bootstrap!.Converged + r.Bootstrap.Unconverged);
        Assert.All(r.Derived, d => Assert.True(d.Identified));
    }

    [Fact]
    public void EIsFlaggedWhenTheDesignCannotTellItFromTheExponent()
    {
        // The demo's old design: one decade of N, three data sizes, and a shallow N term: over one decade A/N^α with a
        // small α is nearly a constant, so E trades against A and α and any E from ~0 to well above the truth fits.
        var truth = new ChinchillaLaw(2.19, 3, 200, 0.05, 0.45);
        var rng = new Rng(5);
        var points = new List<FitPoint>();
        foreach (double n in new[] { 12288.0, 24576, 55296, 147456 })
            foreach (double d in new[] { 1e5, 3e5, 8e5 })
                points.Add(new FitPoint(n, d, truth.Loss(n, d) * Math.Exp(0.005 * rng.NextNormal())));
        var r = LawFitAnalysis.Run(new LawFitOptions { Points = points, Bootstrap = 30, Fit = TwoThreads with { MaxIterations = 3000 } });
        var e = r.Quantity("E");
        Assert.False(e.Identified, string.Join("\n", r.Profiles.Select(p => $"{p.Parameter} tol {p.Tolerance} min {r.Objective}: " + string.Join(" ", p.Points.Select(q => $"{q.Value:G3}:{q.Rise / r.Objective:0.###}")))));
        Assert.Null(e.Interval);
        Assert.NotNull(e.NotIdentifiedRange);
        Assert.True(e.NotIdentifiedRange!.Hi / e.NotIdentifiedRange.Lo > 10, $"flat range [{e.NotIdentifiedRange.Lo}, {e.NotIdentifiedRange.Hi}]");
        Assert.True(e.NotIdentifiedRange.Lo < 0.01 * truth.E, "the flat region reaches down to E ≈ 0");
        Assert.Contains("not identified", e.IntervalText(x => x.ToString("G4")));
        // The JSON carries the same verdict, and no interval for E.
        using var doc = System.Text.Json.JsonDocument.Parse(r.ToJson());
        var je = doc.RootElement.GetProperty("parameters").EnumerateArray().Single(p => p.GetProperty("name").GetString() == "E");
        Assert.False(je.GetProperty("identified").GetBoolean());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, je.GetProperty("interval").ValueKind);
    }

    [Fact]
    public void ProfileOfAnIdentifiedParameterRisesOnBothSidesAndIsMinimalAtTheEstimate()
    {
        var points = HuberFitTests.Synthetic(ChinchillaLaw.Hoffmann, 0.003, 22);
        var form = new ChinchillaFit();
        var fit = HuberFit.Fit(form, points, TwoThreads);
        var profiles = ParameterProfiles.Compute(form, points, fit, TwoThreads);
        foreach (var p in profiles)
        {
            Assert.True(p.Points[0].Rise > p.Tolerance && p.Points[^1].Rise > p.Tolerance, p.Parameter);
            Assert.All(p.Points, q => Assert.True(q.Objective >= fit.Objective * (1 - 1e-9), $"{p.Parameter} at {q.Value}: {q.Objective} < {fit.Objective}"));
            // Fixing a parameter at its estimate and refitting the others gives the fit's objective back.
            Assert.Contains(p.Points, q => q.Value == p.Estimate && Math.Abs(q.Objective - fit.Objective) <= 1e-12);
        }
    }

    [Fact]
    public void BootstrapIntervalsUseConvergedRefitsOnly()
    {
        var points = HuberFitTests.Synthetic(ChinchillaLaw.Hoffmann, 0.01, 23);
        var form = new ChinchillaFit();
        var options = new FitOptions { Threads = 2, MaxIterations = 3 }; // too few iterations: most refits stop unconverged
        var fit = HuberFit.Fit(form, points, new FitOptions { Threads = 2 });
        var bs = Bootstrap.Run(form, points, fit, 20, 1, options);
        Assert.True(bs.Unconverged > 0);
        Assert.Equal(bs.Unconverged, bs.Samples["E"].Count(double.IsNaN));
        Assert.Equal(bs.Converged, bs.Samples["E"].Count(double.IsFinite));
    }
}
