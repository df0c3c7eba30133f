using System.Globalization;

namespace ScalingLab.Reports;

/// <summary>How an axis maps data to position.</summary>
public enum AxisScale
{
    /// <summary>Equal steps in value.</summary>
    Linear,
    /// <summary>Equal steps in log10(value); only positive values are drawn.</summary>
    Log,
}

/// <summary>One tick on an axis: its value, its label (empty for a minor tick) and whether it is major.</summary>
public readonly record struct Tick(double Value, string Label, bool Major);

/// <summary>
/// Ticks for log axes, which ScottPlot lacks (it draws log10 of the data; <see cref="ChartRenderer"/> hands it these):
/// linear steps of 1, 2 or 5 × 10^k (also under half a decade); log axes put a labelled major tick at each
/// power of ten (thinned when there are many decades) with minor ticks at 2..9 × 10^k, and label
/// 2 and 5 (or every minor tick) when the range spans too few decades to read otherwise.
/// </summary>
public static class Ticks
{
    /// <summary>The ticks for an axis showing [lo, hi].</summary>
    public static IReadOnlyList<Tick> For(double lo, double hi, AxisScale scale) =>
        scale == AxisScale.Log ? LogTicks(lo, hi) : LinearTicks(lo, hi);

    /// <summary>A step of 1, 2 or 5 × 10^k giving about <paramref name="target"/> intervals over [lo, hi].</summary>
    public static double LinearStep(double lo, double hi, int target)
    {
        double raw = (hi - lo) / target;
        double mag = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        double f = raw / mag;
        return (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * mag;
    }

    private static List<Tick> LinearTicks(double lo, double hi)
    {
        var ticks = new List<Tick>();
        double step = LinearStep(lo, hi, 6);
        long first = (long)Math.Ceiling(lo / step - 1e-9), last = (long)Math.Floor(hi / step + 1e-9);
        for (long k = first; k <= last; k++)
        {
            double v = k * step;
            if (Math.Abs(v) < step * 1e-9) v = 0; // no "-0" or 1e-17
            ticks.Add(new Tick(v, Format(v, step), true));
        }
        return ticks;
    }

    private static List<Tick> LogTicks(double lo, double hi)
    {
        double l = Math.Log10(lo), h = Math.Log10(hi);
        // Under about half a decade (losses 2.0–3.4, say) the mantissas 1..9 give one or two labels: step linearly instead.
        if (h - l < 0.5) return LinearTicks(lo, hi);
        var ticks = new List<Tick>();
        int d0 = (int)Math.Floor(l + 1e-9), d1 = (int)Math.Ceiling(h - 1e-9);
        double decades = h - l;
        int every = Math.Max(1, (int)Math.Ceiling((d1 - d0) / 8.0)); // at most ~8 labelled decades
        // Which mantissas get a label besides 1: few decades → 2 and 5; under one decade → all.
        int[] labelled = decades < 1.2 ? [1, 2, 3, 4, 5, 6, 7, 8, 9] : decades < 2.5 ? [1, 2, 5] : [1];
        for (int d = d0; d <= d1; d++)
        {
            for (int m = 1; m <= 9; m++)
            {
                double v = m * Math.Pow(10, d);
                if (v < lo * (1 - 1e-9) || v > hi * (1 + 1e-9)) continue;
                if (m == 1)
                {
                    bool label = (d % every) == 0;
                    ticks.Add(new Tick(v, label ? FormatPow10(m, d) : "", label));
                }
                else
                {
                    bool label = every == 1 && Array.IndexOf(labelled, m) >= 0;
                    if (every == 1) ticks.Add(new Tick(v, label ? FormatPow10(m, d) : "", false));
                }
            }
        }
        return ticks;
    }

    /// <summary>m × 10^d as "1e6", "2e-3" for large/small exponents, plain ("200", "0.05") near 1.</summary>
    public static string FormatPow10(int m, int d)
    {
        if (d is >= -2 and <= 3) return (m * Math.Pow(10, d)).ToString("0.###", CultureInfo.InvariantCulture);
        return $"{m}e{d}";
    }

    /// <summary>A tick value with as many decimals as the step needs.</summary>
    public static string Format(double v, double step)
    {
        double a = Math.Abs(v);
        if (a != 0 && (a >= 1e6 || a < 1e-3)) return v.ToString("0.##e0", CultureInfo.InvariantCulture);
        int decimals = Math.Max(0, (int)Math.Ceiling(-Math.Log10(step) - 1e-9));
        return v.ToString("F" + Math.Min(decimals, 6), CultureInfo.InvariantCulture);
    }

    /// <summary>A short, general-purpose number label (legends, titles): 4 significant digits.</summary>
    public static string Short(double v)
    {
        double a = Math.Abs(v);
        if (a != 0 && (a >= 1e5 || a < 1e-3)) return v.ToString("0.##e0", CultureInfo.InvariantCulture);
        return v.ToString("0.####", CultureInfo.InvariantCulture);
    }
}
