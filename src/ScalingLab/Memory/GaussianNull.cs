using MathNet.Numerics.LinearAlgebra;
using ScalingLab.Common;
using ScalingLab.Tensors;

namespace ScalingLab.Memory;

/// <summary>
/// A Gaussian fitted to a sample: mean μ and a factor L with L·Lᵀ = Σ, the sample covariance
/// Σ = XcᵀXc / (m − 1) (Xc the centred rows).
/// </summary>
/// <param name="Dim">n.</param>
/// <param name="Mean">μ, length n.</param>
/// <param name="Factor">L, n×n row-major: V·diag(√λ) from Σ's eigen-decomposition (negative round-off eigenvalues clamped to 0, so a rank-deficient Σ, e.g. after LayerNorm, is fine).</param>
/// <param name="Trace">tr Σ (float64, from the eigenvalues).</param>
public sealed record GaussianFit(int Dim, double[] Mean, float[] Factor, double Trace);

/// <summary>
/// The null model of the radius experiment: vectors drawn from N(μ, Σ) with the sample's own mean and covariance.
/// Nearest-neighbour distances of as many null vectors as the sample has say what "close" means for a cloud
/// of that size, spread and shape with no further structure, so "the activations are closer than chance" becomes
/// a measured ratio (sample NN distance / null NN distance) instead of a reading of the raw scale.
/// <para>
/// Σ is the sample covariance, so when m is not much larger than n its eigenvalues spread (Marchenko–Pastur) and the
/// null is a little more concentrated than the population it estimates: measured on 2000 iid N(0, I₁₀₂₄) vectors the
/// sample's mean NN distance is 1.016 × the null's (at the paper's 80K × 1024 the effect is far smaller). The verdict
/// band of <see cref="RadiusAnalysis"/> (0.95–1.05) is wider than that.
/// </para>
/// </summary>
public static class GaussianNull
{
    /// <summary>Fits μ and Σ = XcᵀXc/(m − 1) to the m rows of <paramref name="x"/> (m ≥ 2): centring in float64, XcᵀXc by GEMM, eigen-decomposition in float64 (MathNet).</summary>
    public static GaussianFit Fit(float[] x, int m, int n, IGemm gemm)
    {
        if (m < 2) throw new UserError($"radius: the null model needs at least 2 vectors (got {m})");
        var mean = new double[n];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++) mean[j] += x[(long)i * n + j];
        for (int j = 0; j < n; j++) mean[j] /= m;
        var centred = new float[(long)m * n];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++) centred[(long)i * n + j] = (float)(x[(long)i * n + j] - mean[j]);
        var gram = new float[n * n]; // XcᵀXc [n, n]
        gemm.Sgemm(true, false, n, n, m, 1f, centred, n, centred, n, 0f, gram, n);
        var cov = Matrix<double>.Build.Dense(n, n, (r, c) => 0.5 * (gram[r * n + c] + gram[c * n + r]) / (m - 1));
        var evd = cov.Evd(Symmetricity.Symmetric);
        var lambda = evd.EigenValues.Select(v => Math.Max(0, v.Real)).ToArray();
        var v = evd.EigenVectors;
        var factor = new float[n * n];
        for (int r = 0; r < n; r++)
            for (int c = 0; c < n; c++) factor[r * n + c] = (float)(v[r, c] * Math.Sqrt(lambda[c]));
        return new GaussianFit(n, mean, factor, lambda.Sum());
    }

    /// <summary>
    /// <paramref name="count"/> vectors z = μ + L·w, w ~ N(0, I) from <see cref="Rng"/>(<paramref name="seed"/>, one
    /// stream per <paramref name="draw"/>): returns count × n floats, row-major. Z = W·Lᵀ is one GEMM.
    /// </summary>
    public static float[] Sample(GaussianFit fit, int count, ulong seed, IGemm gemm, int draw = 0)
    {
        int n = fit.Dim;
        var w = new float[(long)count * n];
        new Rng(seed, 0x4E554C4C00UL + (ulong)draw).FillNormal(w);
        var z = new float[(long)count * n];
        gemm.Sgemm(false, true, count, n, n, 1f, w, n, fit.Factor, n, 0f, z, n);
        for (int i = 0; i < count; i++)
            for (int j = 0; j < n; j++) z[(long)i * n + j] += (float)fit.Mean[j];
        return z;
    }
}
