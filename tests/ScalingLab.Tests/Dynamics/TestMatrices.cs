using ScalingLab.Tensors;

namespace ScalingLab.Tests.Dynamics;

/// <summary>Random and structured matrices for the Dynamics tests, built in float64.</summary>
internal static class TestMatrices
{
    public static float[] Normal(ulong seed, int rows, int cols, float mean = 0f, float std = 1f)
    {
        var m = new float[rows * cols];
        new Rng(seed).FillNormal(m, mean, std);
        return m;
    }

    /// <summary>A rows×cols matrix with orthonormal columns (Gram–Schmidt in float64), rows ≥ cols.</summary>
    public static double[,] Orthonormal(ulong seed, int rows, int cols)
    {
        var rng = new Rng(seed);
        var q = new double[rows, cols];
        for (int j = 0; j < cols; j++)
        {
            for (int i = 0; i < rows; i++) q[i, j] = rng.NextNormal();
            for (int pass = 0; pass < 2; pass++) // twice, for orthogonality to rounding
                for (int k = 0; k < j; k++)
                {
                    double dot = 0;
                    for (int i = 0; i < rows; i++) dot += q[i, j] * q[i, k];
                    for (int i = 0; i < rows; i++) q[i, j] -= dot * q[i, k];
                }
            double norm = 0;
            for (int i = 0; i < rows; i++) norm += q[i, j] * q[i, j];
            norm = Math.Sqrt(norm);
            for (int i = 0; i < rows; i++) q[i, j] /= norm;
        }
        return q;
    }

    /// <summary>X (n×d, float32 row-major) times Q (d×e, float64) → n×e float32.</summary>
    public static float[] Times(float[] x, int n, int d, double[,] q)
    {
        int e = q.GetLength(1);
        var y = new float[n * e];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < e; j++)
            {
                double s = 0;
                for (int k = 0; k < d; k++) s += x[i * d + k] * q[k, j];
                y[i * e + j] = (float)s;
            }
        return y;
    }

    /// <summary>
    /// CKA the long way, in float64, through the n×n kernels (the HSIC form of Kornblith et al. 2019):
    /// K = XXᵀ, L = YYᵀ, Kc = HKH, Lc = HLH, CKA = ⟨Kc, Lc⟩ / (‖Kc‖_F ‖Lc‖_F).
    /// An independent route to the value the code computes through d×d Grams.
    /// </summary>
    public static double NaiveCka(float[] x, int dx, float[] y, int dy, int n)
    {
        double[,] kc = CenteredKernel(x, dx, n), lc = CenteredKernel(y, dy, n);
        double kl = 0, kk = 0, ll = 0;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
            {
                kl += kc[i, j] * lc[i, j];
                kk += kc[i, j] * kc[i, j];
                ll += lc[i, j] * lc[i, j];
            }
        return kl / Math.Sqrt(kk * ll);
    }

    private static double[,] CenteredKernel(float[] m, int d, int n)
    {
        var k = new double[n, n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
            {
                double s = 0;
                for (int c = 0; c < d; c++) s += (double)m[i * d + c] * m[j * d + c];
                k[i, j] = s;
            }
        var rowMean = new double[n];
        double all = 0;
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < n; j++) rowMean[i] += k[i, j];
            all += rowMean[i];
            rowMean[i] /= n;
        }
        all /= (double)n * n;
        // H K H with H = I − 11ᵀ/n; K is symmetric so column means equal row means.
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                k[i, j] = k[i, j] - rowMean[i] - rowMean[j] + all;
        return k;
    }
}
