namespace ScalingLab.Memory;

/// <summary>
/// One side-by-side evaluation of an inequality Lower ≤ Value ≤ Upper (either side may be ±∞ when the
/// statement is one-sided), so a proposition can be checked on any input and printed.
/// </summary>
public readonly record struct BoundCheck(string Name, double Lower, double Value, double Upper)
{
    /// <summary>
    /// True when both sides hold up to float64 rounding: a slack of <paramref name="relTol"/> times the
    /// largest finite magnitude involved (at least 1).
    /// </summary>
    public bool Holds(double relTol = 1e-10)
    {
        if (double.IsNaN(Value) || double.IsNaN(Lower) || double.IsNaN(Upper)) return false;
        double scale = 1.0;
        foreach (double v in (ReadOnlySpan<double>)[Lower, Value, Upper])
            if (double.IsFinite(v)) scale = Math.Max(scale, Math.Abs(v));
        double slack = relTol * scale;
        return Value >= Lower - slack && Value <= Upper + slack;
    }

    /// <inheritdoc />
    public override string ToString() => $"{Name}: {Lower:G6} ≤ {Value:G6} ≤ {Upper:G6} ({(Holds() ? "holds" : "FAILS")})";
}
