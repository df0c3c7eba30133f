namespace ScalingLab.Dynamics;

/// <summary>
/// The Matthews correlation coefficient (Matthews 1975) between two binary labellings of the same items:
/// <code>MCC = (TP·TN − FP·FN) / √((TP+FP)(TP+FN)(TN+FP)(TN+FN))</code>
/// It is undefined when a factor of the denominator is zero, i.e. when either labelling is constant;
/// then the result is null, never a silent 0 (training-dynamics.md §5).
/// </summary>
public static class Matthews
{
    /// <summary>MCC of <paramref name="a"/> against <paramref name="b"/>; null when undefined.</summary>
    public static double? Correlation(ReadOnlySpan<bool> a, ReadOnlySpan<bool> b)
    {
        if (a.Length != b.Length) throw new ArgumentException($"labellings differ in length ({a.Length} vs {b.Length})");
        long tp = 0, tn = 0, fp = 0, fn = 0;
        for (int i = 0; i < a.Length; i++)
        {
            if (a[i] && b[i]) tp++;
            else if (!a[i] && !b[i]) tn++;
            else if (a[i]) fp++;
            else fn++;
        }
        double denom = (double)(tp + fp) * (tp + fn) * (tn + fp) * (tn + fn);
        if (denom == 0) return null;
        return ((double)tp * tn - (double)fp * fn) / Math.Sqrt(denom);
    }

    /// <summary>"0.63" or "undefined": how tables print an MCC.</summary>
    public static string Format(double? mcc) => mcc is { } v ? v.ToString("0.00", System.Globalization.CultureInfo.InvariantCulture) : "undefined";
}
