using System.Numerics.Tensors;
using MathNet.Numerics.LinearAlgebra;

namespace ScalingLab.Dynamics;

/// <summary>
/// Effective rank (Roy &amp; Vetterli 2007, "The effective rank: a measure of effective dimensionality",
/// Def. 1): with singular values σ_1..σ_K and p_k = σ_k / ‖σ‖_1,
/// <code>ER = exp( − Σ_k p_k log p_k )</code>   (terms with p_k = 0 contribute 0), so 1 ≤ ER ≤ K.
/// PER (proportional effective rank, Diehl Martinez et al. 2024) is ER divided by a count of dimensions;
/// ScalingLab divides by K = min(rows, cols), the number of singular values (see training-dynamics.md §3:
/// ER/H of a D×4D down projection could never exceed 0.25).
/// Singular values come from the eigenvalues of the smaller Gram matrix (σ_k = √λ_k), built in float64
/// from the float32 entries (products of two floats are exact in float64), so a rank-deficient matrix's
/// zero singular values stay near 1e-8·σ_max instead of the 3e-4·σ_max a float32 Gram would leave.
/// </summary>
public static class EffectiveRank
{
    /// <summary>Singular values of the rows×cols row-major matrix <paramref name="m"/>, descending; K = min(rows, cols).</summary>
    public static double[] SingularValues(ReadOnlySpan<float> m, int rows, int cols, int threads = 1)
    {
        if (rows < 1 || cols < 1) throw new ArgumentOutOfRangeException(nameof(rows), "matrix must be at least 1×1");
        if (m.Length != rows * cols) throw new ArgumentException($"{m.Length} values for a {rows}×{cols} matrix");
        double[] gram = SmallerGram(m, rows, cols, threads, out int k);
        var evd = Matrix<double>.Build.Dense(k, k, gram).Evd(Symmetricity.Symmetric);
        var sigma = new double[k];
        for (int i = 0; i < k; i++) sigma[i] = Math.Sqrt(Math.Max(0.0, evd.EigenValues[i].Real)); // −1e-17 rounding → 0
        Array.Sort(sigma);
        Array.Reverse(sigma);
        return sigma;
    }

    /// <summary>Roy &amp; Vetterli's effective rank of the given singular values; NaN when all are zero.</summary>
    public static double FromSingularValues(ReadOnlySpan<double> sigma)
    {
        if (sigma.IsEmpty) throw new ArgumentException("no singular values");
        double l1 = 0;
        foreach (double s in sigma)
        {
            if (s < 0 || double.IsNaN(s)) throw new ArgumentException("singular values must be ≥ 0");
            l1 += s;
        }
        if (l1 == 0) return double.NaN;
        double entropy = 0;
        foreach (double s in sigma)
        {
            if (s == 0) continue;
            double p = s / l1;
            entropy -= p * Math.Log(p);
        }
        return Math.Exp(entropy);
    }

    /// <summary>Effective rank and PER (= ER / K, K = min(rows, cols)) of a row-major matrix.</summary>
    public static (double EffectiveRank, double Per, int Count) Of(ReadOnlySpan<float> m, int rows, int cols, int threads = 1)
    {
        double[] sigma = SingularValues(m, rows, cols, threads);
        double er = FromSingularValues(sigma);
        return (er, er / sigma.Length, sigma.Length);
    }

    /// <summary>
    /// The k×k Gram of the smaller side in float64: MᵀM when rows ≥ cols, else MMᵀ; k = min(rows, cols).
    /// Entry (i, j) is a float64 dot product of two columns (or rows), filled symmetrically; each entry
    /// depends only on its inputs, so the result is the same for any thread count.
    /// </summary>
    internal static double[] SmallerGram(ReadOnlySpan<float> m, int rows, int cols, int threads, out int k)
    {
        bool byColumns = rows >= cols;
        k = byColumns ? cols : rows;
        int len = byColumns ? rows : cols;
        // Vectors of the smaller side, laid out contiguously in float64.
        var v = new double[k * len];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++)
                v[byColumns ? c * len + r : r * len + c] = m[r * cols + c];
        var gram = new double[k * k];
        int kk = k;
        Parallel.For(0, k, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, threads) }, i =>
        {
            var vi = v.AsSpan(i * len, len);
            for (int j = i; j < kk; j++)
            {
                double d = TensorPrimitives.Dot<double>(vi, v.AsSpan(j * len, len));
                gram[i * kk + j] = d;
                gram[j * kk + i] = d;
            }
        });
        return gram;
    }
}
