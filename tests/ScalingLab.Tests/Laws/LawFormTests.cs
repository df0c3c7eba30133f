using ScalingLab.Laws;

namespace ScalingLab.Tests.Laws;

public class LawFormTests
{
    [Fact]
    public void KaplanPublishedConstantsGiveTheirDefiningValues()
    {
        // L(N) = (N_c/N)^α is 1 at N = N_c and 2^0.076 at N_c/2 (independent arithmetic).
        Assert.Equal(1.0, new KaplanN().Loss(new LawInput(N: 8.8e13)), 12);
        Assert.Equal(Math.Pow(2, 0.076), new KaplanN().Loss(new LawInput(N: 4.4e13)), 12);
        Assert.Equal(Math.Pow(10, 0.095), new KaplanD().Loss(new LawInput(D: 5.4e12)), 12);
        // L(C): C_c = 3.1e8 PF-days = 3.1e8 · 8.64e19 FLOPs.
        Assert.Equal(1.0, new KaplanC().Loss(new LawInput(C: 3.1e8 * 8.64e19)), 12);
        // Eq. 1.5 with D → ∞ is (N_c/N)^α_N with its own N_c.
        var nd = new KaplanND();
        Assert.Equal(Math.Pow(6.4e13 / 1e9, 0.076), nd.Loss(new LawInput(N: 1e9, D: 1e300)), 10);
        // The plain sum differs from the bracket (the reason both exist).
        Assert.NotEqual(nd.Loss(new LawInput(N: 1e9, D: 1e10)), new KaplanNDSum().Loss(new LawInput(N: 1e9, D: 1e10)), 3);
        // B_crit(L) = 2e8 / L^(1/0.21); at L = 1 it is B_*.
        var ns = new KaplanNS();
        Assert.Equal(2e8, ns.CriticalBatch(1.0), 6);
        Assert.Equal(2e8 / Math.Pow(2, 1 / 0.21), ns.CriticalBatch(2.0), 6);
        // At B = B_crit, training takes twice the minimum steps and twice the minimum examples.
        double bc = ns.CriticalBatch(3.0);
        Assert.Equal(500.0, ns.MinSteps(1000, bc, 3.0), 9);
        Assert.Equal(5e9, ns.MinExamples(1e10, bc, 3.0), 3);
        // Overfitting: eq. 4.4 threshold and δL(N, D) → 0 for D → ∞.
        Assert.Equal(5e3 * Math.Pow(1e9, 0.74), KaplanND.OverfitTokenThreshold(1e9), 3);
        Assert.Equal(0.0, nd.OverfitPenalty(1e9, 1e300), 12);
        Assert.InRange(nd.OverfitPenalty(1e9, KaplanND.OverfitTokenThreshold(1e9)), 0.005, 0.05); // "≈ 0.02"
    }

    public static TheoryData<string> AllLaws => new() { "chinchilla", "kaplan-nd", "kaplan-sum", "kaplan-n", "kaplan-d", "data-constrained", "kaplan-ns" };

    [Theory]
    [MemberData(nameof(AllLaws))]
    public void LossDerivativesMatchFiniteDifferences(string name)
    {
        var law = LawCatalog.Published(name);
        var x = new LawInput(N: 3e8, D: 2e10, C: 5e9, S: 1e4);
        var (gn, gd) = law.Gradient(x);
        double hn = 3e8 * 1e-6, hd = 2e10 * 1e-6;
        double fdN = (law.Loss(x with { N = x.N + hn }) - law.Loss(x with { N = x.N - hn })) / (2 * hn);
        double fdD = (law.Loss(x with { D = x.D + hd }) - law.Loss(x with { D = x.D - hd })) / (2 * hd);
        Assert.Equal(fdN, gn, Math.Abs(fdN) * 1e-6 + 1e-25);
        Assert.Equal(fdD, gd, Math.Abs(fdD) * 1e-6 + 1e-25);
        Assert.Equal(law.Form, name);
    }

    [Fact]
    public void KaplanCAndNSSideDerivativesMatchFiniteDifferences()
    {
        var lc = new KaplanC();
        double c = 1e21, h = 1e15;
        Assert.Equal((lc.Loss(new LawInput(C: c + h)) - lc.Loss(new LawInput(C: c - h))) / (2 * h), lc.DLdC(c), 1e-30);
        var ns = new KaplanNS();
        double s = 5000, hs = 1e-3;
        double fd = (ns.Loss(new LawInput(N: 1e8, S: s + hs)) - ns.Loss(new LawInput(N: 1e8, S: s - hs))) / (2 * hs);
        Assert.Equal(fd, ns.DLdS(s), Math.Abs(fd) * 1e-6);
    }

    [Fact]
    public void UnknownFormIsAOneLineUserError()
    {
        var e = Assert.Throws<ScalingLab.Common.UserError>(() => LawCatalog.Published("kaplan-xyz"));
        Assert.Contains("kaplan-xyz", e.Message);
        Assert.Contains("chinchilla", e.Message);
        Assert.Throws<ScalingLab.Common.UserError>(() => FitForm.ByName("nope"));
    }

    [Fact]
    public void ChinchillaAllocationMinimisesLossOnTheIsoFlopLine()
    {
        var law = ChinchillaLaw.Hoffmann;
        foreach (double c in new[] { 1e20, 1e23 })
        {
            double nOpt = law.OptimalN(c), dOpt = law.OptimalD(c);
            Assert.Equal(c, 6 * nOpt * dOpt, c * 1e-10);
            // Independent check: golden-section search of L(N, C/(6N)) over ln N.
            double lo = Math.Log(1e6), hi = Math.Log(1e14), g = (Math.Sqrt(5) - 1) / 2;
            double F(double ln) => law.Loss(Math.Exp(ln), c / (6 * Math.Exp(ln)));
            for (int i = 0; i < 200; i++)
            {
                double a = hi - g * (hi - lo), b = lo + g * (hi - lo);
                if (F(a) < F(b)) hi = b; else lo = a;
            }
            Assert.Equal(Math.Log(nOpt), (lo + hi) / 2, 1e-5);
            Assert.Equal(dOpt / nOpt, law.TokensPerParameter(c), 1e-9);
        }
    }

    [Fact]
    public void EffectiveDataFollowsMuennighoffLimits()
    {
        // No repetition: D' = U. Infinite repetition: D' → U (1 + R*). Small R: D' ≈ U (1 + R).
        Assert.Equal(1e9, DataConstrainedLaw.Effective(1e9, 0, 15.4), 1e-3);
        Assert.Equal(1e9 * 16.4, DataConstrainedLaw.Effective(1e9, 1e6, 15.4), 1);
        Assert.Equal(1e9 * 1.01, DataConstrainedLaw.Effective(1e9, 0.01, 15.4), 1e9 * 1e-5);
        double h = 1e-5, r = 4;
        double fd = (DataConstrainedLaw.Effective(1e9, r + h, 15.4) - DataConstrainedLaw.Effective(1e9, r - h, 15.4)) / (2 * h);
        Assert.Equal(fd, DataConstrainedLaw.EffectiveDerivative(1e9, r, 15.4), Math.Abs(fd) * 1e-7);
        // Four epochs of 1e9 unique tokens are worth less than 4e9 fresh tokens.
        var dc = DataConstrainedLaw.Published;
        Assert.True(dc.Loss(1e9, 4e9, 1e9, 1e9) > ChinchillaLaw.Hoffmann.Loss(1e9, 4e9));
        Assert.Equal(ChinchillaLaw.Hoffmann.Loss(1e9, 4e9), dc.Loss(1e9, 4e9, 4e9, 1e9), 12);
    }
}
