using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using ScalingLab.Common;
using ScalingLab.Tensors;

namespace ScalingLab.Memory;

/// <summary>Exact nearest neighbours within one subset: Distance[i] = minⱼ≠ᵢ ‖xᵢ − xⱼ‖ (Euclidean), Index[i] = that j.</summary>
public sealed record NeighbourSet(int Count, double[] Distance, int[] Index);

/// <summary>
/// Exact nearest-neighbour search among m vectors of dimension n (Niu et al. §6.1 / App. F.1: the NN distance
/// of each activation vector within the sample), on nested prefix subsets at once.
/// <para>
/// Squared distances come from GEMM, ‖x‖² + ‖y‖² − 2 x·y, over blocks of B×B pairs (O(m²n) work, never an m×m
/// matrix in memory). The distance is symmetric, so only blocks on and above the diagonal are computed and
/// each pair is credited to both of its rows. A pair (i, j) belongs to every prefix subset that holds both,
/// so it is filed once under the smallest one, and a subset's answer takes the best over its own and smaller
/// subsets' files: one pass serves the 25/50/75/100 % subsets.
/// </para>
/// <para>
/// float32 cancellation in ‖x‖² + ‖y‖² − 2x·y can misorder near-ties (errors ~1e-7·‖x‖²), so each row keeps its
/// best <see cref="Candidates"/> by the float32 score (clamped at 0), and the winner is chosen among them by the
/// distance recomputed directly in float64 (lowest index on ties). A vector is never its own neighbour; a
/// duplicate is a valid neighbour at distance 0.
/// </para>
/// </summary>
public static class NearestNeighbours
{
    /// <summary>Candidates kept per row and subset for the float64 re-ranking.</summary>
    public const int Candidates = 4;

    /// <summary>
    /// Searches the rows of <paramref name="x"/> (m×n row-major float32). <paramref name="prefixSizes"/> are the
    /// subset sizes (ascending, each ≥ 2, the last ≤ m): subset k is rows [0, prefixSizes[k]); shuffle the rows
    /// first for random subsets. Returns one <see cref="NeighbourSet"/> per subset. <paramref name="progress"/>
    /// receives the fraction of GEMM blocks done. Same inputs, any thread count: same bits.
    /// </summary>
    public static NeighbourSet[] Search(float[] x, int m, int n, IReadOnlyList<int> prefixSizes, IGemm gemm,
                                        int threads = 1, int block = 2048, Action<double>? progress = null,
                                        Action<double>? gemmSeconds = null)
    {
        if (n < 1) throw new UserError($"nearest neighbours: dimension must be ≥ 1 (got {n})");
        if (m < 2) throw new UserError($"nearest neighbours: need at least 2 vectors (got {m})");
        if ((long)m * n > x.Length) throw new ArgumentException("x is shorter than m×n");
        if (prefixSizes.Count == 0) throw new ArgumentException("no subsets");
        for (int k = 0; k < prefixSizes.Count; k++)
        {
            if (prefixSizes[k] < 2) throw new UserError($"nearest neighbours: a subset of {prefixSizes[k]} vectors has no neighbours; use more vectors");
            if (prefixSizes[k] > m || (k > 0 && prefixSizes[k] <= prefixSizes[k - 1]))
                throw new ArgumentException("subset sizes must ascend and not exceed m");
        }
        threads = Math.Max(1, threads);
        block = Math.Max(Vector<float>.Count, block / Vector<float>.Count * Vector<float>.Count);
        int size = prefixSizes[^1];
        var state = new SearchState(x, size, n, prefixSizes);

        var g = new float[(long)Math.Min(block, size) * Math.Min(block, size)];
        int blocks = (size + block - 1) / block;
        long totalPairs = (long)blocks * (blocks + 1) / 2, donePairs = 0;
        var sw = new System.Diagnostics.Stopwatch();
        var options = new ParallelOptions { MaxDegreeOfParallelism = threads };
        for (int bi = 0; bi < blocks; bi++)
        {
            int i0 = bi * block, rows = Math.Min(block, size - i0);
            for (int bj = bi; bj < blocks; bj++)
            {
                int j0 = bj * block, cols = Math.Min(block, size - j0);
                sw.Start();
                // G = −2 X_I X_Jᵀ
                gemm.Sgemm(false, true, rows, cols, n, -2f, x.AsSpan(i0 * n, rows * n), n,
                           x.AsSpan(j0 * n, cols * n), n, 0f, g.AsSpan(0, rows * cols), cols);
                sw.Stop();
                int chunks = Math.Min(rows, threads * 4);
                Parallel.For(0, chunks, options, c =>
                    state.ScanRows(g, i0 + (int)((long)rows * c / chunks), i0 + (int)((long)rows * (c + 1) / chunks), i0, j0, cols));
                if (bj != bi)
                {
                    // columns in chunks of whole vectors, so each thread owns its columns' candidate lists
                    int vec = Vector<float>.Count, colChunks = Math.Max(1, Math.Min(threads * 4, cols / vec));
                    Parallel.For(0, colChunks, options, c =>
                    {
                        int a = (int)((long)cols / vec * c / colChunks) * vec;
                        int b = c == colChunks - 1 ? cols : (int)((long)cols / vec * (c + 1) / colChunks) * vec;
                        state.ScanColumns(g, i0, rows, j0 + a, j0 + b, j0, cols);
                    });
                }
                progress?.Invoke(++donePairs / (double)totalPairs);
            }
        }
        gemmSeconds?.Invoke(sw.Elapsed.TotalSeconds);
        return state.Finish(threads);
    }

    /// <summary>FLOPs the distance GEMMs of <see cref="Search"/> perform for m vectors of dimension n and block B.</summary>
    public static double GemmFlops(long m, long n, int block = 2048)
    {
        block = Math.Max(Vector<float>.Count, block / Vector<float>.Count * Vector<float>.Count);
        long blocks = (m + block - 1) / block;
        double flops = 0;
        for (long bi = 0; bi < blocks; bi++)
        {
            long rows = Math.Min(block, m - bi * block);
            for (long bj = bi; bj < blocks; bj++) flops += 2.0 * rows * Math.Min(block, m - bj * block) * n;
        }
        return flops;
    }

    /// <summary>Candidate lists and thresholds of one search; rows are owned by one thread at a time.</summary>
    private sealed class SearchState
    {
        private const int K = Candidates;
        private readonly float[] _x;
        private readonly int _m, _n, _levels;
        private readonly int[] _sizes;
        private readonly float[] _norm2;      // ‖xᵢ‖² (computed in float64, rounded)
        private readonly float[] _threshold;  // per row: the worst K-th score over its lists; a pair must beat it
        private readonly float[] _candScore;  // [level][row][K], ascending
        private readonly int[] _candIndex;

        public SearchState(float[] x, int m, int n, IReadOnlyList<int> sizes)
        {
            _x = x; _m = m; _n = n; _levels = sizes.Count; _sizes = [.. sizes];
            _norm2 = new float[m];
            for (int i = 0; i < m; i++)
            {
                double s = 0;
                foreach (float v in x.AsSpan(i * n, n)) s += (double)v * v;
                _norm2[i] = (float)s;
            }
            _threshold = new float[m];
            Array.Fill(_threshold, float.PositiveInfinity);
            _candScore = new float[(long)_levels * m * K];
            Array.Fill(_candScore, float.PositiveInfinity);
            _candIndex = new int[_candScore.Length];
            Array.Fill(_candIndex, -1);
        }

        private int LevelOf(int index)
        {
            int k = 0;
            while (index >= _sizes[k]) k++;
            return k;
        }

        /// <summary>Rows [r0, r1) of the block against columns [j0, j0 + cols).</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot from the first block: skip tier-0
        public void ScanRows(float[] g, int r0, int r1, int i0, int j0, int cols)
        {
            var norms = _norm2.AsSpan(j0, cols);
            int vec = Vector<float>.Count;
            for (int i = r0; i < r1; i++)
            {
                var row = g.AsSpan((i - i0) * cols, cols);
                float ni = _norm2[i];
                int j = 0;
                for (; j + vec <= cols; j += vec)
                {
                    var d = new Vector<float>(row[j..]) + new Vector<float>(norms[j..]) + new Vector<float>(ni);
                    var hit = Vector.LessThan(d, new Vector<float>(_threshold[i]));
                    if (hit == Vector<int>.Zero) continue;
                    for (int l = 0; l < vec; l++)
                        if (hit[l] != 0 && j0 + j + l != i) Offer(i, j0 + j + l, d[l]);
                }
                for (; j < cols; j++)
                {
                    float d = row[j] + norms[j] + ni;
                    if (d < _threshold[i] && j0 + j != i) Offer(i, j0 + j, d);
                }
            }
        }

        /// <summary>Columns [c0, c1) of the block (off the diagonal) against its rows: the transposed pairs.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot from the first block: skip tier-0
        public void ScanColumns(float[] g, int i0, int rows, int c0, int c1, int j0, int cols)
        {
            int vec = Vector<float>.Count;
            var norms = _norm2.AsSpan();
            var thr = _threshold.AsSpan();
            for (int r = 0; r < rows; r++)
            {
                int i = i0 + r;
                var row = g.AsSpan(r * cols, cols);
                float ni = _norm2[i];
                int j = c0;
                for (; j + vec <= c1; j += vec)
                {
                    var d = new Vector<float>(row[(j - j0)..]) + new Vector<float>(norms[j..]) + new Vector<float>(ni);
                    var hit = Vector.LessThan(d, new Vector<float>(thr[j..]));
                    if (hit == Vector<int>.Zero) continue;
                    for (int l = 0; l < vec; l++)
                        if (hit[l] != 0) Offer(j + l, i, d[l]);
                }
                for (; j < c1; j++)
                {
                    float d = row[j - j0] + norms[j] + ni;
                    if (d < thr[j]) Offer(j, i, d);
                }
            }
        }

        // Files (score, j) in row i's list for the smallest subset holding both, keeping the best K.
        [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot from the first block: skip tier-0
        private void Offer(int i, int j, float score)
        {
            if (score < 0) score = 0;   // cancellation can push a tiny distance below zero
            int level = LevelOf(Math.Max(i, j));
            long b = ((long)level * _m + i) * K;
            var s = _candScore.AsSpan((int)b, K);
            if (!(score < s[K - 1])) return;
            var idx = _candIndex.AsSpan((int)b, K);
            int p = K - 1;
            while (p > 0 && score < s[p - 1]) { s[p] = s[p - 1]; idx[p] = idx[p - 1]; p--; }
            s[p] = score; idx[p] = j;
            // the row's threshold: the loosest K-th score over the lists it can receive
            float t = 0;
            for (int l = LevelOf(i); l < _levels; l++) t = Math.Max(t, _candScore[((long)l * _m + i) * K + K - 1]);
            _threshold[i] = t;
        }

        public NeighbourSet[] Finish(int threads)
        {
            // exact float64 distances, computed lazily (NaN = not yet) and shared between subsets
            var exact = new double[_candIndex.Length];
            Array.Fill(exact, double.NaN);
            var options = new ParallelOptions { MaxDegreeOfParallelism = threads };
            // a float32 score is within (n + 8)·u·(‖xᵢ‖² + ‖xⱼ‖²) of the exact squared distance (u = 2⁻²⁴;
            // the dot product's error is at most γₙ·2‖xᵢ‖‖xⱼ‖): candidates clearly behind the best need no recompute
            double unit = (_n + 8) * Math.Pow(2, -24) * 1.01;
            var result = new NeighbourSet[_levels];
            for (int k = 0; k < _levels; k++)
            {
                int size = _sizes[k], level = k;
                var dist = new double[size];
                var index = new int[size];
                Parallel.For(0, size, options, i =>
                {
                    double bestScore = double.PositiveInfinity;
                    for (int l = LevelOf(i); l <= level; l++)
                        for (int c = 0; c < K; c++)
                        {
                            long slot = ((long)l * _m + i) * K + c;
                            int j = _candIndex[slot];
                            if (j >= 0) bestScore = Math.Min(bestScore, _candScore[slot] + unit * (_norm2[i] + _norm2[j]));
                        }
                    double best = double.PositiveInfinity;
                    int bestJ = -1;
                    for (int l = LevelOf(i); l <= level; l++)
                        for (int c = 0; c < K; c++)
                        {
                            long slot = ((long)l * _m + i) * K + c;
                            int j = _candIndex[slot];
                            if (j < 0 || _candScore[slot] - unit * (_norm2[i] + _norm2[j]) > bestScore) continue;
                            if (double.IsNaN(exact[slot])) exact[slot] = SquaredDistance64(i, j);
                            double e = exact[slot];
                            if (e < best || (e == best && j < bestJ)) { best = e; bestJ = j; }
                        }
                    dist[i] = Math.Sqrt(best);
                    index[i] = bestJ;
                });
                result[k] = new NeighbourSet(size, dist, index);
            }
            return result;
        }

        private double SquaredDistance64(int i, int j) => NearestNeighbours.SquaredDistance64(_x.AsSpan(i * _n, _n), _x.AsSpan(j * _n, _n));
    }

    /// <summary>‖a − b‖² accumulated in float64, coordinate by coordinate.</summary>
    internal static double SquaredDistance64(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double s = 0;
        for (int k = 0; k < a.Length; k++)
        {
            double t = (double)a[k] - b[k];
            s += t * t;
        }
        return s;
    }

    /// <summary>Brute force in float64, O(m²n): the test oracle. Distance[i] = minⱼ≠ᵢ ‖xᵢ − xⱼ‖, lowest j on ties.</summary>
    public static NeighbourSet BruteForce(ReadOnlySpan<float> x, int m, int n)
    {
        var dist = new double[m];
        var index = new int[m];
        for (int i = 0; i < m; i++)
        {
            double best = double.PositiveInfinity;
            int bestJ = -1;
            for (int j = 0; j < m; j++)
            {
                if (j == i) continue;
                double s = SquaredDistance64(x.Slice(i * n, n), x.Slice(j * n, n));
                if (s < best) { best = s; bestJ = j; }
            }
            dist[i] = Math.Sqrt(best);
            index[i] = bestJ;
        }
        return new NeighbourSet(m, dist, index);
    }

    /// <summary>Reorders the rows of <paramref name="x"/> in place so that new row r is old row perm[r].</summary>
    public static void PermuteRows(float[] x, int n, ReadOnlySpan<int> perm)
    {
        var done = new bool[perm.Length];
        var tmp = new float[n];
        for (int start = 0; start < perm.Length; start++)
        {
            if (done[start]) continue;
            // follow the cycle start ← perm[start] ← perm[perm[start]] …
            x.AsSpan(start * n, n).CopyTo(tmp);
            int r = start;
            while (true)
            {
                done[r] = true;
                int src = perm[r];
                if (src == start) { tmp.CopyTo(x.AsSpan(r * n, n)); break; }
                x.AsSpan(src * n, n).CopyTo(x.AsSpan(r * n, n));
                r = src;
            }
        }
    }
}
