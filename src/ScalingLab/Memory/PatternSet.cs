using System.Globalization;
using ScalingLab.Common;

namespace ScalingLab.Memory;

/// <summary>
/// The stored patterns D = {ρ₁, …, ρ_d} ⊂ Rⁿ of an associative memory (Niu et al., Sec. 3; the pattern
/// matrix M = (ρ₁, …, ρ_d) ∈ R^{n×d}), held row-major as d rows of n doubles, with their squared norms.
/// </summary>
public sealed class PatternSet
{
    private readonly double[] _data;
    private readonly double[] _norm2;

    /// <summary>Pattern dimension n.</summary>
    public int Dim { get; }

    /// <summary>Number of patterns d.</summary>
    public int Count { get; }

    /// <summary>Pattern i (a row of n values).</summary>
    public ReadOnlySpan<double> this[int i] => _data.AsSpan(i * Dim, Dim);

    /// <summary>‖ρᵢ‖².</summary>
    public double Norm2(int i) => _norm2[i];

    /// <summary>maxᵢ ‖ρᵢ‖².</summary>
    public double MaxNorm2 { get; }

    /// <summary>Δ = maxᵢ ‖ρᵢ‖² − minᵢ ‖ρᵢ‖², the slack of Propositions 2 and 3.</summary>
    public double NormSpread { get; }

    /// <summary>Wraps d·n row-major values (copied). Throws <see cref="UserError"/> for an empty set or a bad shape.</summary>
    public PatternSet(ReadOnlySpan<double> rowMajor, int dim)
    {
        if (dim < 1) throw new UserError($"patterns: dimension must be ≥ 1 (got {dim})");
        if (rowMajor.Length == 0) throw new UserError("patterns: the set is empty; give at least one pattern");
        if (rowMajor.Length % dim != 0)
            throw new UserError($"patterns: {rowMajor.Length} values do not split into patterns of dimension {dim}");
        foreach (double v in rowMajor)
            if (!double.IsFinite(v)) throw new UserError("patterns: a value is NaN or infinite; patterns must be finite");
        Dim = dim;
        Count = rowMajor.Length / dim;
        _data = rowMajor.ToArray();
        _norm2 = new double[Count];
        double max = double.NegativeInfinity, min = double.PositiveInfinity;
        for (int i = 0; i < Count; i++)
        {
            double s = 0;
            foreach (double v in this[i]) s += v * v;
            _norm2[i] = s;
            max = Math.Max(max, s);
            min = Math.Min(min, s);
        }
        MaxNorm2 = max;
        NormSpread = max - min;
    }

    /// <summary>Builds a set from separate vectors; all must have the same dimension (else <see cref="UserError"/>).</summary>
    public static PatternSet FromRows(IReadOnlyList<double[]> rows)
    {
        if (rows.Count == 0) throw new UserError("patterns: the set is empty; give at least one pattern");
        int n = rows[0].Length;
        for (int i = 1; i < rows.Count; i++)
            if (rows[i].Length != n)
                throw new UserError($"patterns: pattern {i + 1} has dimension {rows[i].Length} but pattern 1 has {n}; all patterns need the same dimension");
        var flat = new double[rows.Count * n];
        for (int i = 0; i < rows.Count; i++) rows[i].CopyTo(flat, i * n);
        return new PatternSet(flat, n);
    }

    /// <summary>
    /// Parses "x1,x2;y1,y2;…" (patterns separated by ';', coordinates by ','), as the CLI takes them.
    /// </summary>
    public static PatternSet Parse(string text)
    {
        var rows = new List<double[]>();
        foreach (string part in text.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            rows.Add(ParseVector(part, "patterns"));
        return FromRows(rows);
    }

    /// <summary>Parses "x1,x2,…" into a vector; <paramref name="what"/> names it in the error.</summary>
    public static double[] ParseVector(string text, string what)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        var v = new double[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!double.TryParse(parts[i], NumberStyles.Float, CultureInfo.InvariantCulture, out v[i]) || !double.IsFinite(v[i]))
                throw new UserError($"{what}: '{parts[i]}' is not a number; write coordinates like 1.5,-2");
        return v;
    }

    /// <summary>Throws <see cref="UserError"/> unless β is finite and positive.</summary>
    public static void CheckBeta(double beta)
    {
        if (!(beta > 0) || !double.IsFinite(beta))
            throw new UserError($"beta must be a positive finite number (got {beta.ToString(CultureInfo.InvariantCulture)})");
    }

    /// <summary>Throws <see cref="UserError"/> unless <paramref name="x"/> has the patterns' dimension.</summary>
    public void CheckPoint(ReadOnlySpan<double> x)
    {
        if (x.Length != Dim)
            throw new UserError($"point has dimension {x.Length} but the patterns have {Dim}; give a point of dimension {Dim}");
    }
}
