namespace ScalingLab.Memory;

/// <summary>
/// Numerically stable LogSumExp and softmax in float64 (Niu et al., "Beyond Scaling Laws", Sec. 4 and App. C):
/// lse(β, y) = β⁻¹ log Σᵢ exp(β yᵢ), computed as m + β⁻¹ log Σᵢ exp(β(yᵢ − m)) with m = maxᵢ yᵢ, so it never
/// overflows (β = 1e4, |y| = 1e6) and never takes log 0. softmax(β y) = ∇_y lse(β, y).
/// </summary>
public static class LogSumExp
{
    /// <summary>LogSumExp(y) = log Σᵢ exp(yᵢ) (the β = 1 case).</summary>
    public static double Of(ReadOnlySpan<double> y) => Of(1.0, y);

    /// <summary>lse(β, y) = β⁻¹ log Σᵢ exp(β yᵢ); <paramref name="y"/> must be non-empty and β &gt; 0.</summary>
    public static double Of(double beta, ReadOnlySpan<double> y)
    {
        if (y.Length == 0) throw new ArgumentException("LogSumExp of an empty vector");
        PatternSet.CheckBeta(beta);
        double m = double.NegativeInfinity;
        foreach (double v in y) if (v > m) m = v;
        if (double.IsNegativeInfinity(m)) return m;       // every term is exp(−∞) = 0
        if (double.IsPositiveInfinity(m)) return m;
        double s = 0;
        foreach (double v in y) s += Math.Exp(beta * (v - m));
        return m + Math.Log(s) / beta;                     // s ∈ [1, d]: the log is finite
    }

    /// <summary>Writes softmax(β y) into <paramref name="w"/> (max subtracted first; sums to 1).</summary>
    public static void Softmax(double beta, ReadOnlySpan<double> y, Span<double> w)
    {
        if (y.Length == 0) throw new ArgumentException("softmax of an empty vector");
        if (w.Length != y.Length) throw new ArgumentException("softmax: output length differs from input");
        PatternSet.CheckBeta(beta);
        double m = double.NegativeInfinity;
        foreach (double v in y) if (v > m) m = v;
        double s = 0;
        for (int i = 0; i < y.Length; i++)
        {
            w[i] = Math.Exp(beta * (y[i] - m));
            s += w[i];
        }
        double inv = 1.0 / s;
        for (int i = 0; i < w.Length; i++) w[i] *= inv;
    }
}
