using System.Globalization;
using ScalingLab.Laws;
using ScalingLab.Reports;

namespace ScalingLab.Experiments;

/// <summary>
/// `english-law`: a Kaplan-style ladder on the offline English corpus: L(N, D) fitted in Kaplan's form (eq. 1.5,
/// [(N_c/N)^(α_N/α_D) + D_c/D]^α_D) and in Chinchilla's, set beside the published exponents; Kaplan's overfitting
/// threshold D ≳ 5·10³ N^0.74 beside the fitted penalty δL per run; the held-out largest run.
/// </summary>
public sealed class EnglishLaw : IExperiment
{
    /// <summary>Rule thresholds, fixed before the run.</summary>
    public const double MinR2 = 0.95, Factor = 2, FactorContradicts = 4;
    /// <summary>Kaplan et al. 2020, eq. 1.5 (Table 2): α_N and α_D of L(N, D).</summary>
    public const double KaplanAlphaN = 0.076, KaplanAlphaD = 0.103;

    /// <inheritdoc/>
    public string Name => "english-law";
    /// <inheritdoc/>
    public string Title => "Kaplan's L(N, D) on English text";
    /// <inheritdoc/>
    public string Claim =>
        "Kaplan et al. (2020) fit L(N, D) = [(N_c/N)^(α_N/α_D) + D_c/D]^α_D on WebText2 with models of 7·10²–1.5·10⁹ " +
        "non-embedding parameters and 2·10⁷–2.3·10¹⁰ tokens: α_N = 0.076, α_D = 0.103 (0.076 and 0.095 for the separate " +
        "L(N) and L(D) laws); Hoffmann et al. (2022) fit α = 0.34, β = 0.28 in their additive form. Here: five sizes from " +
        "5.5·10⁴ to 2.7·10⁶ non-embedding parameters, four data sizes of 2·10⁵–1.6·10⁶ tokens of the offline English corpus " +
        "(one epoch), 1,000–10,000 times smaller in each direction.";
    /// <inheritdoc/>
    public string Rule => Verdict.RuleText(
        reproducedWhen: $"the Kaplan-form fit has R² of log loss ≥ {MinR2}, α_N and α_D are both identified, and each lies " +
                        $"within a factor {Factor} of Kaplan's ({KaplanAlphaN}, {KaplanAlphaD})",
        contradictedWhen: $"both are identified and either lies outside a factor {FactorContradicts}");
    /// <inheritdoc/>
    public IReadOnlyList<PaperValue> Reference { get; } =
    [
        new("α_N, α_D of L(N, D) (eq. 1.5)", "0.076, 0.103; N_c = 6.4e13, D_c = 1.8e13", "Kaplan et al. 2020, §4, Table 2"),
        new("α_N of L(N); α_D of L(D)", "0.076; 0.095", "Kaplan et al. 2020, eq. 1.1–1.2"),
        new("overfitting threshold (δL ≈ 0.02)", "D ≳ 5·10³ N^0.74", "Kaplan et al. 2020, eq. 4.4"),
        new("E, α, β (Chinchilla form)", "1.69, 0.34, 0.28", "Hoffmann et al. 2022, eq. 10"),
    ];

    /// <inheritdoc/>
    public ExperimentSweep Sweep(bool quick) => ExperimentSweep.Of(Name, quick,
    [
        new ExperimentGrid
        {
            Name = "english",
            Data = _ => ExperimentData.English(quick),
            HeadSize = quick ? 8 : 32,
            Train = quick ? "batch: 8, seq: 32, lr: 3e-3, eval_windows: 16, ckpt_every: 0, ckpt_log_until: 0"
                          : "batch: 16, seq: 128, lr: 1e-3, eval_windows: 128, ckpt_every: 0, ckpt_log_until: 0",
            Models = quick ? [new(1, 8), new(1, 16), new(1, 24), new(2, 24), new(2, 32)]
                           : [new(2, 48), new(2, 96), new(4, 128), new(4, 192), new(6, 192)],
            DataSizes = quick ? [8_000, 16_000, 32_000, 64_000] : [200_000, 400_000, 800_000, 1_600_000],
        },
    ]);

    /// <summary>What the rule is applied to.</summary>
    public sealed record Measurement(double R2, double AlphaN, bool AlphaNIdentified, double AlphaD, bool AlphaDIdentified);

    /// <summary>The verdict rule (fixed before the run).</summary>
    public static Verdict Judge(Measurement m)
    {
        static bool Within(double x, double target, double f) => x > 0 && x <= target * f && x >= target / f;
        var checks = new List<VerdictCheck>
        {
            new("R² of log loss (Kaplan form)", m.R2, $"≥ {MinR2}", m.R2 >= MinR2),
            new("α_N", m.AlphaN, $"identified and within ×{Factor} of {KaplanAlphaN}", m.AlphaNIdentified && Within(m.AlphaN, KaplanAlphaN, Factor)),
            new("α_D", m.AlphaD, $"identified and within ×{Factor} of {KaplanAlphaD}", m.AlphaDIdentified && Within(m.AlphaD, KaplanAlphaD, Factor)),
        };
        bool contradicted = m.AlphaNIdentified && m.AlphaDIdentified &&
                            (!Within(m.AlphaN, KaplanAlphaN, FactorContradicts) || !Within(m.AlphaD, KaplanAlphaD, FactorContradicts));
        return Verdict.AllOf(new EnglishLaw().Rule, checks, contradicted);
    }

    /// <inheritdoc/>
    public ExperimentFindings Analyze(ExperimentContext ctx)
    {
        var points = ctx.Runs.Select(r => new FitPoint(r.N, r.Config.DataTokens, r.FinalValLoss, Name: r.Config.Name))
                             .Where(p => double.IsFinite(p.Loss)).ToList();
        int boot = ctx.Quick ? 50 : 200;
        ctx.Log.WriteLine($"reproduce {Name}: fitting {points.Count} runs (Kaplan and Chinchilla forms), profiles and bootstrap");
        var kaplan = LawFitAnalysis.Run(new LawFitOptions { Points = points, Form = "kaplan-nd", Bootstrap = boot, Seed = 7UL });
        var chin = LawFitAnalysis.Run(new LawFitOptions { Points = points, Form = "chinchilla", Bootstrap = boot, Seed = 7UL });
        QuantityEstimate K(string n) => kaplan.Parameters.First(q => q.Name == n);
        QuantityEstimate C(string n) => chin.Parameters.First(q => q.Name == n);
        var an = K("alpha_N"); var ad = K("alpha_D");
        var verdict = Judge(new Measurement(kaplan.R2LogLoss, an.Estimate, an.Identified, ad.Estimate, ad.Identified));
        string F4(double x) => x.ToString("0.0000", CultureInfo.InvariantCulture);
        string I(QuantityEstimate q) => $"{F4(q.Estimate)} {q.IntervalText(F4)}";
        var law = (KaplanND)kaplan.Law;
        var rows = points.Select((p, i) =>
        {
            double threshold = KaplanND.OverfitTokenThreshold(p.N);
            double delta = law.OverfitPenalty(p.N, p.D);
            return new[] { p.Name ?? "", SweepReport.F(p.N), SweepReport.F(p.D), F4(p.Loss), F4(kaplan.Points[i].Predicted),
                           (p.D / threshold).ToString("0.###", CultureInfo.InvariantCulture), F4(delta) };
        }).ToList();
        var chart = new Chart("English: final validation loss against non-embedding parameters, per data size", "N", "loss (nats/token)", AxisScale.Log, AxisScale.Log);
        int ci = 0;
        foreach (var g in points.GroupBy(p => p.D).OrderBy(g => g.Key))
        {
            var s = g.OrderBy(p => p.N).ToList();
            string color = Palette.Category(ci++);
            chart.Scatter($"D = {SweepReport.F(g.Key)}", s.Select(p => p.N).ToArray(), s.Select(p => p.Loss).ToArray(), color);
            chart.Series.Add(new Series($"Kaplan fit, D = {SweepReport.F(g.Key)}", s.Select(p => p.N).ToArray(), s.Select(p => law.Loss(new LawInput(N: p.N, D: p.D))).ToArray())
                             { Color = color, Dashed = true, InLegend = false });
        }
        chart.Save(Path.Combine(ctx.OutDir, "english-law.svg"));
        return new ExperimentFindings
        {
            Verdict = verdict,
            Summary =
            [
                $"Kaplan form: α_N = {I(an)}, α_D = {I(ad)} (Kaplan: 0.076, 0.103); R² {kaplan.R2LogLoss:0.0000}; held-out largest run " +
                $"({kaplan.HeldOut?.Run ?? "none"}) error {(kaplan.HeldOut?.RelativeError ?? double.NaN):P2}.",
                $"Chinchilla form: E = {I(C("E"))}, α = {I(C("alpha"))}, β = {I(C("beta"))} (Hoffmann: 1.69, 0.34, 0.28); R² {chin.R2LogLoss:0.0000}; " +
                $"held-out error {(chin.HeldOut?.RelativeError ?? double.NaN):P2}.",
                $"Kaplan's overfitting threshold 5·10³ N^0.74: {rows.Count(r => double.Parse(r[5], CultureInfo.InvariantCulture) < 1)} of {rows.Count} runs have fewer tokens " +
                "(the table gives D / threshold and the penalty δL of eq. 4.3 under our fitted constants; single-epoch runs cannot over-fit by repetition).",
            ],
            TableHead = ["run", "N", "D", "val loss", "Kaplan fit", "D / 5e3·N^0.74", "δL (fitted)"],
            TableRows = rows,
            Figures = [new FigureRef("english-law.svg", "Final validation loss against N per data size, with the fitted Kaplan L(N, D) (dashed)")],
        };
    }
}
