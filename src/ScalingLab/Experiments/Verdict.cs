using System.Globalization;

namespace ScalingLab.Experiments;

/// <summary>What a pre-registered rule concluded about a paper's finding at the scale that was run.</summary>
public enum VerdictKind
{
    /// <summary>Every criterion of the rule held.</summary>
    Reproduced,
    /// <summary>The finding neither held nor was refuted at this scale (e.g. too few sizes, loss still falling).</summary>
    NotReproducedAtThisScale,
    /// <summary>The measurement points the other way from the paper's claim.</summary>
    Contradicted,
}

/// <summary>One criterion of a verdict rule: a measured figure, the rule it is held to, and whether it passed.</summary>
public sealed record VerdictCheck(string Name, double Measured, string Rule, bool Pass)
{
    /// <summary>"name = measured (rule: …) pass|FAIL".</summary>
    public override string ToString() =>
        $"{Name} = {Fmt(Measured)} (rule: {Rule}) {(Pass ? "pass" : "FAIL")}";

    /// <summary>Four significant digits, invariant culture; NaN as "n/a".</summary>
    public static string Fmt(double x) => double.IsNaN(x) ? "n/a" : x.ToString("G4", CultureInfo.InvariantCulture);
}

/// <summary>The outcome of a verdict rule: the kind, the rule as text, and every check with its measured figure.</summary>
public sealed record Verdict(VerdictKind Kind, string Criterion, IReadOnlyList<VerdictCheck> Checks)
{
    /// <summary>"reproduced", "not reproduced at this scale" or "contradicted".</summary>
    public string Label => Kind switch
    {
        VerdictKind.Reproduced => "reproduced",
        VerdictKind.NotReproducedAtThisScale => "not reproduced at this scale",
        _ => "contradicted",
    };

    /// <summary>The line printed with the result: the label, the rule and each measured figure.</summary>
    public string Line => $"{Label.ToUpperInvariant()} — rule: {Criterion}; measured: {string.Join("; ", Checks)}";

    /// <summary>
    /// The text of the usual rule shape (<see cref="AllOf"/>): "[definitions; ]reproduced when …; contradicted when …;
    /// otherwise not reproduced at this scale." The three outcomes are worded here once for every experiment.
    /// </summary>
    public static string RuleText(string reproducedWhen, string contradictedWhen, string? definitions = null) =>
        $"{(definitions is null ? "" : definitions + "; ")}reproduced when {reproducedWhen}; contradicted when {contradictedWhen}; " +
        "otherwise not reproduced at this scale.";

    /// <summary>
    /// The usual rule shape: reproduced when every check passes; contradicted when <paramref name="contradicted"/>
    /// holds (the measurement points the other way); otherwise not reproduced at this scale.
    /// </summary>
    public static Verdict AllOf(string criterion, IReadOnlyList<VerdictCheck> checks, bool contradicted = false) =>
        new(checks.All(c => c.Pass) && checks.Count > 0 ? VerdictKind.Reproduced
            : contradicted ? VerdictKind.Contradicted : VerdictKind.NotReproducedAtThisScale,
            criterion, checks);
}
