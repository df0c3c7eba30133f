using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using ScalingLab.Common;

namespace ScalingLab.Laws;

/// <summary>What to fit and how: the points, the law form, the bootstrap, the budgets and the profile tolerance.</summary>
public sealed record LawFitOptions
{
    /// <summary>The runs (N, D, loss; C and a name optional).</summary>
    public required IReadOnlyList<FitPoint> Points { get; init; }
    /// <summary>Law form to fit (see <see cref="LawCatalog"/>): chinchilla, kaplan-nd, kaplan-sum, kaplan-n/d/c.</summary>
    public string Form { get; init; } = "chinchilla";
    /// <summary>Bootstrap resamples over runs (0 = none).</summary>
    public int Bootstrap { get; init; } = 1000;
    /// <summary>Bootstrap seed.</summary>
    public ulong Seed { get; init; }
    /// <summary>Compute budgets (FLOPs) for N_opt, D_opt and tokens per parameter.</summary>
    public IReadOnlyList<double> Budgets { get; init; } = [1e21, 1e23, 1e25];
    /// <summary>Huber δ, threads, iteration limits, grid.</summary>
    public FitOptions Fit { get; init; } = new();
    /// <summary>
    /// A parameter whose objective profile rises by at most this fraction of the minimum is not identified;
    /// null = <see cref="ParameterProfiles.DefaultTolerance"/> (1.92/(n − p), a 95% likelihood-ratio test).
    /// </summary>
    public double? ProfileTolerance { get; init; }
    /// <summary>Bootstrap progress (refits done); called from worker threads.</summary>
    [JsonIgnore] public Action<int>? Progress { get; init; }
}

/// <summary>A two-sided percentile interval.</summary>
public sealed record IntervalRange(double Lo, double Hi);

/// <summary>
/// One fitted or derived quantity. <see cref="Identified"/> false means its profile (or, for a derived quantity, the
/// profile of a parameter it depends on) is flat: then <see cref="Interval"/> is null and
/// <see cref="NotIdentifiedRange"/> says over which values the data cannot tell it apart.
/// </summary>
public sealed record QuantityEstimate
{
    /// <summary>Name (E, alpha, N_opt@1e23, ...).</summary>
    public required string Name { get; init; }
    /// <summary>The full-data estimate.</summary>
    public required double Estimate { get; init; }
    /// <summary>Whether the data pin it down (see <see cref="ParameterProfile"/>).</summary>
    public required bool Identified { get; init; }
    /// <summary>Bootstrap 95% percentile interval over converged refits; null when not identified or not bootstrapped.</summary>
    public IntervalRange? Interval { get; init; }
    /// <summary>For a parameter that is not identified: the range over which its profile stays flat.</summary>
    public IntervalRange? NotIdentifiedRange { get; init; }
    /// <summary>For a derived quantity that is not identified: the parameters it depends on that are not.</summary>
    public IReadOnlyList<string>? DependsOnUnidentified { get; init; }

    /// <summary>
    /// The interval as people read it: "[lo, hi]", or "not identified: ..." with the flat range (never an interval for
    /// a quantity that is not identified); <paramref name="format"/> writes one number.
    /// </summary>
    public string IntervalText(Func<double, string> format) => this switch
    {
        { Identified: false, NotIdentifiedRange: { } r } => $"not identified: the objective is flat for {Name} anywhere in [{format(r.Lo)}, {format(r.Hi)}]",
        { Identified: false } => $"not identified ({string.Join(", ", DependsOnUnidentified ?? [])} not identified)",
        { Interval: { } iv } => $"[{format(iv.Lo)}, {format(iv.Hi)}]",
        _ => "",
    };
}

/// <summary>Compute-optimal allocation of the fitted law at one budget (Chinchilla form only).</summary>
public sealed record AllocationAtBudget(double Compute, double NOpt, double DOpt, double TokensPerParam);

/// <summary>An allocation exponent pair N_opt ∝ C^a, D_opt ∝ C^b from one of Hoffmann et al.'s approaches.</summary>
public sealed record AllocationExponents(string Approach, double NExponent, double DExponent, int Points);

/// <summary>One run as fitted: measured and predicted loss, and Kaplan's overfitting check.</summary>
public sealed record FittedPoint(string? Name, double N, double D, double C, double Loss, double Predicted, double LogResidual,
                                 double KaplanTokenThreshold, double KaplanDeltaL);

/// <summary>How the bootstrap ran.</summary>
public sealed record BootstrapSummary(int Resamples, int Converged, int Unconverged, ulong Seed, double Level, double Seconds, string Method);

/// <summary>The held-out-largest-compute-run check.</summary>
public sealed record HeldOutCheck(string Run, double RelativeError);

/// <summary>
/// Everything a law fit found, as one typed record: the `fit` verb prints it as a table or serialises it as JSON, and
/// the report composes it. Parameters and derived quantities carry their identifiability; intervals exist only for
/// identified ones.
/// </summary>
public sealed record LawFitResult
{
    /// <summary>Law form.</summary>
    public required string Form { get; init; }
    /// <summary>Number of runs fitted.</summary>
    public required int Runs { get; init; }
    /// <summary>Σ Huber_δ(ln L̂ − ln L) at the optimum.</summary>
    public required double Objective { get; init; }
    /// <summary>What the objective is.</summary>
    public string ObjectiveNormalisation => "sum over runs of Huber_delta(ln L_hat - ln L)";
    /// <summary>Huber δ.</summary>
    public required double Delta { get; init; }
    /// <summary>The best start stopped on a tolerance.</summary>
    public required bool Converged { get; init; }
    /// <summary>Why the best start stopped.</summary>
    public required string Stop { get; init; }
    /// <summary>Starts run.</summary>
    public required int Starts { get; init; }
    /// <summary>Starts that converged.</summary>
    public required int StartsConverged { get; init; }
    /// <summary>θ entries that ended outside the initial grid.</summary>
    public required IReadOnlyList<string> OutsideGrid { get; init; }
    /// <summary>The fitted θ (log-space parameters).</summary>
    public required IReadOnlyList<double> Theta { get; init; }
    /// <summary>Seconds of the full-grid fit.</summary>
    public required double FitSeconds { get; init; }
    /// <summary>The fitted parameters, with identifiability and intervals.</summary>
    public required IReadOnlyList<QuantityEstimate> Parameters { get; init; }
    /// <summary>N_opt, D_opt, tokens per parameter at each budget (Chinchilla form), with intervals.</summary>
    public required IReadOnlyList<QuantityEstimate> Derived { get; init; }
    /// <summary>The objective profile of every parameter.</summary>
    public required IReadOnlyList<ParameterProfile> Profiles { get; init; }
    /// <summary>The relative tolerance of the profiles (a rise below it × the minimum objective is flat).</summary>
    public required double ProfileTolerance { get; init; }
    /// <summary>How the tolerance was chosen.</summary>
    public string ProfileRule => "flat = the objective rises by at most profile_tolerance x its minimum up to an end of the scanned range; " +
                                 "default tolerance 1.92/(runs - parameters): a 95% likelihood-ratio test on the Huber (~ Laplace) objective";
    /// <summary>Allocation of the fitted law at the budgets (empty unless Chinchilla form).</summary>
    public required IReadOnlyList<AllocationAtBudget> Allocation { get; init; }
    /// <summary>Approaches 3, 2, 1 (those the runs allow).</summary>
    public required IReadOnlyList<AllocationExponents> Approaches { get; init; }
    /// <summary>R² of ln L.</summary>
    public required double R2LogLoss { get; init; }
    /// <summary>Root-mean-square log residual.</summary>
    public required double RmsLogResidual { get; init; }
    /// <summary>The held-out largest-compute run (null with too few runs).</summary>
    public HeldOutCheck? HeldOut { get; init; }
    /// <summary>Bootstrap settings and counts (null when not bootstrapped).</summary>
    public BootstrapSummary? Bootstrap { get; init; }
    /// <summary>Runs with D below Kaplan's 5e3·N^0.74 (overfitting ≳ 2% expected).</summary>
    public required int KaplanOverfitRuns { get; init; }
    /// <summary>Every run, fitted.</summary>
    public required IReadOnlyList<FittedPoint> Points { get; init; }
    /// <summary>The fitted law (for plots).</summary>
    [JsonIgnore] public IScalingLaw Law { get; init; } = null!;

    /// <summary>The parameter or derived quantity called <paramref name="name"/>.</summary>
    public QuantityEstimate Quantity(string name) =>
        Parameters.Concat(Derived).FirstOrDefault(q => q.Name == name) ?? throw new KeyNotFoundException(name);

    /// <summary>True when every parameter is identified.</summary>
    [JsonIgnore] public bool AllIdentified => Parameters.All(p => p.Identified);

    /// <summary>The JSON the `fit --json` verb prints (snake_case; NaN and ±Infinity as strings).</summary>
    public string ToJson(bool indented = false) => JsonSerializer.Serialize(this, indented ? IndentedOptions : CompactOptions);

    private static readonly JsonSerializerOptions CompactOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };
    private static readonly JsonSerializerOptions IndentedOptions = new(CompactOptions) { WriteIndented = true };
}

/// <summary>
/// The Laws area's one entry point: fit a law to runs (Hoffmann et al. 2022 Approach 3: Huber on log residuals,
/// L-BFGS from a grid), profile the objective of each parameter to find the ones the data do not pin down, bootstrap
/// intervals over converged refits, compute-optimal allocation at budgets, Approaches 1–3, R² and the held-out
/// largest-run error — all in one <see cref="LawFitResult"/>.
/// </summary>
public static class LawFitAnalysis
{
    /// <summary>Runs the whole analysis. Bad input (too few points, unknown form) is a <see cref="UserError"/>.</summary>
    public static LawFitResult Run(LawFitOptions o)
    {
        var form = FitForm.ByName(o.Form);
        var points = o.Points;
        FitPoint.Validate(points);
        HuberFit.CheckCount(form, points.Count);
        if (o.Bootstrap < 0) throw new UserError($"bootstrap must be ≥ 0 resamples (got {o.Bootstrap})");
        double tolerance = o.ProfileTolerance ?? ParameterProfiles.DefaultTolerance(points.Count, form.Dim);
        if (!(tolerance > 0)) throw new UserError($"the profile tolerance must be > 0 (got {tolerance})");
        var budgets = o.Budgets.ToArray();
        var sw = System.Diagnostics.Stopwatch.StartNew();
        var fit = HuberFit.Fit(form, points, o.Fit);
        double fitSeconds = sw.Elapsed.TotalSeconds;
        var diag = FitDiagnostics.Compute(form, points, fit, o.Fit);
        var profiles = ParameterProfiles.Compute(form, points, fit, o.Fit, tolerance);
        var unidentified = profiles.Where(p => !p.Identified).Select(p => p.Parameter).ToHashSet();

        Bootstrap.Derive? derive = fit.Law is ChinchillaLaw ? law => Derived((ChinchillaLaw)law, budgets) : null;
        BootstrapResult? bs = o.Bootstrap > 0 ? Laws.Bootstrap.Run(form, points, fit, o.Bootstrap, o.Seed, o.Fit, derive, progress: o.Progress) : null;

        IntervalRange? Iv(string name, double estimate) => IntervalOf(bs, name, estimate);
        var parameters = Estimates(profiles, bs);
        // Every derived figure (N_opt, D_opt, D/N) depends on A, B, α, β; E drops out of the allocation.
        var allocationInputs = new[] { "A", "B", "alpha", "beta" }.Where(unidentified.Contains).ToList();
        var derived = (derive?.Invoke(fit.Law) ?? []).Select(d => new QuantityEstimate
        {
            Name = d.Name, Estimate = d.Value, Identified = allocationInputs.Count == 0,
            Interval = allocationInputs.Count == 0 ? Iv(d.Name, d.Value) : null,
            DependsOnUnidentified = allocationInputs.Count == 0 ? null : allocationInputs,
        }).ToList();

        var a1 = ComputeOptimal.LowerEnvelope(points);
        var a2 = ComputeOptimal.IsoFlop(points);
        var a3 = fit.Law is ChinchillaLaw cl ? ComputeOptimal.FromChinchilla(cl) : null;
        var approaches = new[] { a3, a2, a1 }.Where(a => a is not null)
            .Select(a => new AllocationExponents(a!.Approach, a.A, a.B, a.Points)).ToList();
        var allocation = fit.Law is ChinchillaLaw law
            ? budgets.Select(c => new AllocationAtBudget(c, law.OptimalN(c), law.OptimalD(c), law.TokensPerParameter(c))).ToList()
            : [];
        var kaplan = new KaplanND();
        return new LawFitResult
        {
            Form = fit.Form, Runs = points.Count, Objective = fit.Objective, Delta = o.Fit.Delta, Converged = fit.Converged,
            Stop = fit.Stop.ToString(), Starts = fit.Starts, StartsConverged = fit.StartsConverged, OutsideGrid = fit.OutsideGrid,
            Theta = fit.Theta, FitSeconds = fitSeconds, Parameters = parameters, Derived = derived, Profiles = profiles,
            ProfileTolerance = tolerance, Allocation = allocation, Approaches = approaches,
            R2LogLoss = diag.R2LogLoss, RmsLogResidual = diag.RmsLogResidual,
            HeldOut = diag.HeldOutRun is null ? null : new HeldOutCheck(diag.HeldOutRun, diag.HeldOutRelativeError),
            Bootstrap = bs is null ? null : new BootstrapSummary(bs.Resamples, bs.Converged, bs.Unconverged, o.Seed, 0.95, bs.Seconds,
                "resample runs with replacement; refit from the full-data optimum and the 7 best full-grid starts; intervals over converged refits only"),
            KaplanOverfitRuns = points.Count(p => p.D < KaplanND.OverfitTokenThreshold(p.N)),
            Points = points.Select((p, i) => new FittedPoint(p.Name, p.N, p.D, p.Compute, p.Loss, diag.Predicted[i], diag.LogResiduals[i],
                KaplanND.OverfitTokenThreshold(p.N), kaplan.OverfitPenalty(p.N, p.D))).ToList(), // eq. 4.3, Kaplan's published constants
            Law = fit.Law,
        };
    }

    /// <summary>The bootstrap interval of <paramref name="name"/>, or null (not bootstrapped, or no converged refit).</summary>
    internal static IntervalRange? IntervalOf(BootstrapResult? bs, string name, double estimate)
    {
        if (bs is null || !bs.Samples.ContainsKey(name)) return null;
        var iv = bs.IntervalOf(name, estimate);
        return double.IsFinite(iv.Lo) ? new IntervalRange(iv.Lo, iv.Hi) : null;
    }

    /// <summary>Each profiled parameter as a quantity: an interval when identified, the flat range when not.</summary>
    internal static List<QuantityEstimate> Estimates(IReadOnlyList<ParameterProfile> profiles, BootstrapResult? bs) =>
        profiles.Select(p => new QuantityEstimate
        {
            Name = p.Parameter, Estimate = p.Estimate, Identified = p.Identified,
            Interval = p.Identified ? IntervalOf(bs, p.Parameter, p.Estimate) : null,
            NotIdentifiedRange = p.Identified ? null : new IntervalRange(p.FlatLo, p.FlatHi),
        }).ToList();

    /// <summary>N_opt, D_opt and tokens per parameter at each budget (bootstrapped alongside the parameters).</summary>
    private static IEnumerable<(string, double)> Derived(ChinchillaLaw law, double[] budgets)
    {
        foreach (double c in budgets)
        {
            string k = BudgetLabel(c);
            yield return ($"N_opt@{k}", law.OptimalN(c));
            yield return ($"D_opt@{k}", law.OptimalD(c));
            yield return ($"tokens_per_param@{k}", law.TokensPerParameter(c));
        }
    }

    /// <summary>A budget as it appears in derived names ("1e23").</summary>
    public static string BudgetLabel(double c) => c.ToString("0.##e0", CultureInfo.InvariantCulture);
}
