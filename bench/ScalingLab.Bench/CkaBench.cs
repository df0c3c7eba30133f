using System.Diagnostics;
using System.Globalization;
using System.Numerics.Tensors;
using System.Text.Json;
using ScalingLab.Dynamics;
using ScalingLab.Tensors;

namespace ScalingLab.Bench;

/// <summary>
/// CKA over a checkpoint series at the paper's scale: every layer's ATT and MLP activations (n tokens × D)
/// at every checkpoint against the final one — 16 layers × 2 sites × 50 checkpoints at n = 16,384, D = 512 by
/// default. Synthetic matrices (the cost does not depend on the values). Reports seconds, the fraction spent
/// inside GEMM, and, as the reference, the same CKA by float64 dot products (no GEMM), timed on one comparison.
/// </summary>
public static class CkaBench
{
    /// <summary>What one bench run measured.</summary>
    public sealed record Result(string Gemm, int Threads, int Layers, int Sites, int Checkpoints, int Tokens, int Dim,
                                int Comparisons, double Seconds, double GemmSeconds, double GemmGflops,
                                double FullScaleSeconds, double ReferenceSecondsPerCka, double OursSecondsPerCka)
    {
        /// <summary>Share of the time inside GEMM calls.</summary>
        public double GemmFraction => GemmSeconds / Seconds;
        /// <summary>How many times faster than the float64 reference per comparison.</summary>
        public double SpeedupOverReference => ReferenceSecondsPerCka / OursSecondsPerCka;
    }

    /// <summary>The paper-scale shape (16 layers × 2 sites × 50 checkpoints, n = 16,384, D = 512).</summary>
    public const int FullLayers = 16, FullCheckpoints = 50, FullTokens = 16_384, FullDim = 512;

    /// <summary>
    /// Runs the series with <paramref name="checkpoints"/> checkpoints (the per-comparison shape stays n × D, so a
    /// smaller run extrapolates linearly to the full one). Progress goes to <paramref name="progress"/>.
    /// </summary>
    public static Result Run(IGemm gemm, int threads, int layers, int checkpoints, int tokens, int dim, TextWriter progress)
    {
        const int sites = 2;
        // A small pool of random activation matrices stands in for every (layer, site, checkpoint).
        var pool = new float[3][];
        for (int i = 0; i < pool.Length; i++)
        {
            pool[i] = new float[tokens * dim];
            new Rng(1234, (ulong)i).FillNormal(pool[i]);
        }
        // Make the pool's members related, so the CKA values are not all ~0.
        for (int i = 1; i < pool.Length; i++) TensorPrimitives.Add(pool[i], pool[0], pool[i]);

        var cka = new LinearCka(gemm, tokens, dim);
        double checksum = 0;
        var sw = Stopwatch.StartNew();
        for (int l = 0; l < layers; l++)
        {
            for (int s = 0; s < sites; s++)
            {
                cka.SetReference(pool[0], dim);
                for (int c = 0; c < checkpoints; c++) checksum += cka.Compare(pool[1 + (c + l + s) % 2], dim);
            }
            progress.Write($"\rbench cka: layer {l + 1}/{layers}   ");
        }
        double seconds = sw.Elapsed.TotalSeconds;
        progress.WriteLine();
        if (double.IsNaN(checksum)) throw new InvalidOperationException("CKA was NaN on random data");

        int comparisons = layers * sites * checkpoints;
        int products = layers * sites * (1 + 2 * checkpoints); // YᵀY once; XᵀX and YᵀX per comparison
        double flops = 2.0 * tokens * dim * dim * products;
        int fullProducts = FullLayers * sites * (1 + 2 * FullCheckpoints);

        // Reference: the same CKA with float64 accumulation everywhere and no GEMM (dot products of columns).
        var rw = Stopwatch.StartNew();
        double refValue = Float64Cka(pool[1], pool[0], tokens, dim, threads);
        double refSeconds = rw.Elapsed.TotalSeconds;
        double ours = LinearCka.Compute(gemm, pool[1], dim, pool[0], dim, tokens);
        if (Math.Abs(ours - refValue) > 1e-4) throw new InvalidOperationException($"CKA {ours} differs from the float64 reference {refValue}");

        return new Result(gemm.Name, threads, layers, sites, checkpoints, tokens, dim, comparisons, seconds, cka.GemmSeconds,
                          flops / cka.GemmSeconds / 1e9, seconds * fullProducts / products, refSeconds,
                          seconds / comparisons);
    }

    /// <summary>CKA through column dot products in float64 (centred in float64); parallel over columns.</summary>
    public static double Float64Cka(float[] x, float[] y, int n, int d, int threads)
    {
        double[] xc = CenteredColumns(x, n, d), yc = CenteredColumns(y, n, d);
        double xx = 0, yy = 0, yx = 0;
        var gate = new object();
        Parallel.For(0, d, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, threads) }, i =>
        {
            double a = 0, b = 0, c = 0;
            var xi = xc.AsSpan(i * n, n);
            var yi = yc.AsSpan(i * n, n);
            for (int j = 0; j < d; j++)
            {
                double dxx = TensorPrimitives.Dot<double>(xi, xc.AsSpan(j * n, n));
                double dyy = TensorPrimitives.Dot<double>(yi, yc.AsSpan(j * n, n));
                double dyx = TensorPrimitives.Dot<double>(yi, xc.AsSpan(j * n, n));
                a += dxx * dxx; b += dyy * dyy; c += dyx * dyx;
            }
            lock (gate) { xx += a; yy += b; yx += c; }
        });
        return yx / Math.Sqrt(xx * yy);
    }

    private static double[] CenteredColumns(float[] m, int n, int d)
    {
        var cols = new double[n * d];
        for (int r = 0; r < n; r++)
            for (int c = 0; c < d; c++) cols[c * n + r] = m[r * d + c];
        for (int c = 0; c < d; c++)
        {
            var col = cols.AsSpan(c * n, n);
            double mean = TensorPrimitives.Sum<double>(col) / n;
            TensorPrimitives.Subtract(col, mean, col);
        }
        return cols;
    }

    /// <summary>The figures as a table.</summary>
    public static void WriteTable(Result r, TextWriter o)
    {
        o.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"CKA series: {r.Layers} layers × {r.Sites} sites × {r.Checkpoints} checkpoints = {r.Comparisons} comparisons at n = {r.Tokens}, D = {r.Dim} ({r.Gemm} GEMM, {r.Threads} threads)"));
        o.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  {r.Seconds:0.00} s total, {r.GemmSeconds:0.00} s in GEMM ({r.GemmFraction:P1}) at {r.GemmGflops:0} GFLOP/s; full 50-checkpoint series: {r.FullScaleSeconds:0.0} s"));
        o.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  per comparison: ours {r.OursSecondsPerCka * 1e3:0.0} ms vs float64 dot-product reference {r.ReferenceSecondsPerCka * 1e3:0.0} ms = {r.SpeedupOverReference:0.0}× faster"));
    }

    /// <summary>The figures as one JSON object.</summary>
    public static string ToJson(Result r) => JsonSerializer.Serialize(new
    {
        gemm = r.Gemm, threads = r.Threads, layers = r.Layers, sites = r.Sites, checkpoints = r.Checkpoints,
        tokens = r.Tokens, dim = r.Dim, comparisons = r.Comparisons, seconds = r.Seconds, gemm_seconds = r.GemmSeconds,
        gemm_fraction = r.GemmFraction, gemm_gflops = r.GemmGflops, full_scale_seconds = r.FullScaleSeconds,
        seconds_per_cka = r.OursSecondsPerCka, reference_seconds_per_cka = r.ReferenceSecondsPerCka,
        speedup_over_reference = r.SpeedupOverReference,
    });
}
