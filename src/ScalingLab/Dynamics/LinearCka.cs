using System.Diagnostics;
using System.Numerics.Tensors;
using ScalingLab.Tensors;

namespace ScalingLab.Dynamics;

/// <summary>
/// Linear centred kernel alignment (Kornblith et al. 2019, "Similarity of Neural Network
/// Representations Revisited", Eq. for linear CKA): with X (n×d1) and Y (n×d2) column-centred,
/// <code>CKA(X, Y) = ‖Yᵀ X‖²_F / ( ‖Xᵀ X‖_F · ‖Yᵀ Y‖_F )</code>
/// computed through the d×d products (cost O(n·d²)); the n×n kernel is never formed.
/// The products run on <see cref="IGemm"/> over blocks of <see cref="BlockRows"/> rows; each block's
/// float32 result is added into float64 accumulators, so rounding does not grow with n.
/// The reference (Y) is set once and compared with many X, as a checkpoint series needs: its centred
/// copy and ‖YᵀY‖_F are kept. Buffers are laid out once; <see cref="Compare"/> allocates nothing.
/// </summary>
public sealed class LinearCka
{
    /// <summary>Rows per GEMM block: float32 sums over at most this many terms, float64 across blocks.</summary>
    public const int BlockRows = 1024;

    private readonly IGemm _gemm;
    private readonly int _n, _maxDim;
    private readonly float[] _x, _y, _block;
    private readonly double[] _acc, _mean;
    private int _dy;
    private double _yNorm = double.NaN;
    private long _gemmTicks;

    /// <summary>A calculator for n samples and feature dimensions up to <paramref name="maxDim"/>.</summary>
    public LinearCka(IGemm gemm, int n, int maxDim)
    {
        if (n < 2) throw new ArgumentOutOfRangeException(nameof(n), "CKA needs at least 2 samples");
        if (maxDim < 1) throw new ArgumentOutOfRangeException(nameof(maxDim));
        _gemm = gemm;
        _n = n;
        _maxDim = maxDim;
        _x = new float[(long)n * maxDim <= int.MaxValue ? n * maxDim : throw new ArgumentOutOfRangeException(nameof(n), "n·d too large")];
        _y = new float[n * maxDim];
        _block = new float[maxDim * maxDim];
        _acc = new double[maxDim * maxDim];
        _mean = new double[maxDim];
    }

    /// <summary>Number of samples (rows) both matrices must have.</summary>
    public int Samples => _n;

    /// <summary>Seconds spent inside GEMM calls since construction (for the bench's breakdown).</summary>
    public double GemmSeconds => _gemmTicks / (double)Stopwatch.Frequency;

    /// <summary>Sets the reference Y (n×<paramref name="dy"/>, row-major): it is centred and ‖YᵀY‖_F kept.</summary>
    public void SetReference(ReadOnlySpan<float> y, int dy)
    {
        CheckShape(y, dy, "Y");
        _dy = dy;
        Center(y, dy, _y);
        _yNorm = Math.Sqrt(ProductNormSquared(_y, dy, _y, dy));
    }

    /// <summary>
    /// CKA between X (n×<paramref name="dx"/>, row-major) and the reference set by <see cref="SetReference"/>.
    /// NaN when either matrix has zero variance (all rows equal): CKA is undefined there.
    /// </summary>
    public double Compare(ReadOnlySpan<float> x, int dx)
    {
        if (double.IsNaN(_yNorm)) throw new InvalidOperationException("SetReference first");
        CheckShape(x, dx, "X");
        Center(x, dx, _x);
        double xNorm = Math.Sqrt(ProductNormSquared(_x, dx, _x, dx));
        double cross = ProductNormSquared(_y, _dy, _x, dx);
        double denom = xNorm * _yNorm;
        return denom > 0 ? cross / denom : double.NaN;
    }

    /// <summary>One-off CKA(X, Y) for X (n×dx) and Y (n×dy), row-major.</summary>
    public static double Compute(IGemm gemm, ReadOnlySpan<float> x, int dx, ReadOnlySpan<float> y, int dy, int n)
    {
        var cka = new LinearCka(gemm, n, Math.Max(dx, dy));
        cka.SetReference(y, dy);
        return cka.Compare(x, dx);
    }

    private void CheckShape(ReadOnlySpan<float> m, int d, string name)
    {
        if (d < 1 || d > _maxDim) throw new ArgumentOutOfRangeException(nameof(d), $"{name}: {d} columns, this calculator holds 1..{_maxDim}");
        if (m.Length != _n * d) throw new ArgumentException($"{name}: {m.Length} values, expected {_n}×{d}");
    }

    /// <summary>Writes m minus its column means (taken in float64) into dst.</summary>
    private void Center(ReadOnlySpan<float> m, int d, Span<float> dst)
    {
        var mean = _mean.AsSpan(0, d);
        mean.Clear();
        // Column sums: vectorised float32 partial sums over one block of rows, added into float64 per block
        // (the same split as the products).
        var partial = _block.AsSpan(0, d); // scratch; the block buffer is free between products
        for (int r0 = 0; r0 < _n; r0 += BlockRows)
        {
            partial.Clear();
            int r1 = Math.Min(_n, r0 + BlockRows);
            for (int r = r0; r < r1; r++) TensorPrimitives.Add(partial, m.Slice(r * d, d), partial);
            for (int j = 0; j < d; j++) mean[j] += partial[j];
        }
        var meanF = partial;
        for (int j = 0; j < d; j++) meanF[j] = (float)(mean[j] / _n);
        for (int r = 0; r < _n; r++)
            TensorPrimitives.Subtract(m.Slice(r * d, d), meanF, dst.Slice(r * d, d));
    }

    /// <summary>‖Aᵀ B‖²_F for A (n×da) and B (n×db): float32 GEMM per row block, float64 across blocks.</summary>
    private double ProductNormSquared(float[] a, int da, float[] b, int db)
    {
        var acc = _acc.AsSpan(0, da * db);
        var block = _block.AsSpan(0, da * db);
        acc.Clear();
        for (int r0 = 0; r0 < _n; r0 += BlockRows)
        {
            int rows = Math.Min(BlockRows, _n - r0);
            long t0 = Stopwatch.GetTimestamp();
            _gemm.Sgemm(transA: true, transB: false, da, db, rows,
                        1f, a.AsSpan(r0 * da, rows * da), da, b.AsSpan(r0 * db, rows * db), db, 0f, block, db);
            _gemmTicks += Stopwatch.GetTimestamp() - t0;
            for (int i = 0; i < acc.Length; i++) acc[i] += block[i];
        }
        double sum = 0;
        foreach (double v in acc) sum += v * v;
        return sum;
    }
}
