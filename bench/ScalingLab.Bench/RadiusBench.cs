using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using ScalingLab.Common;
using ScalingLab.Memory;
using ScalingLab.Tensors;

namespace ScalingLab.Bench;

/// <summary>
/// The nearest-neighbour radius search (<see cref="NearestNeighbours"/>) over random vectors: seconds, and the
/// GFLOP/s of its distance GEMMs, against the GEMM's own ceiling (<see cref="GemmBench.Ceiling"/>) measured in
/// the same run on the same threads. "Effective" divides the GEMM FLOPs by the whole search's wall time
/// (scans and the float64 re-ranking included); "in GEMM" by the time spent inside the GEMM calls.
/// </summary>
public static class RadiusBench
{
    /// <summary>One bench result.</summary>
    public sealed record Result(string Gemm, int Threads, int Count, int Dim, int Block, double Seconds, double GemmSeconds,
                                double GemmFlops, double EffectiveGflops, double InGemmGflops, double CeilingGflops,
                                double MeanDistance)
    {
        /// <summary>Effective GFLOP/s as a fraction of the ceiling (target ≥ 0.70).</summary>
        public double EffectiveRatio => EffectiveGflops / CeilingGflops;
        /// <summary>In-GEMM GFLOP/s as a fraction of the ceiling.</summary>
        public double InGemmRatio => InGemmGflops / CeilingGflops;
    }

    /// <summary>Runs the search on <paramref name="count"/> N(0, 1) vectors of <paramref name="dim"/> dims.</summary>
    public static Result Run(int count, int dim, int threads, string backend, int block, TextWriter progress)
    {
        var gemm = Gemm.Create(backend, threads);
        progress.WriteLine($"bench radius: {count} vectors × {dim} dims, gemm {gemm.Name}, {threads} threads, block {block}");
        var x = new float[(long)count * dim];
        var rng = new Rng(7);
        rng.FillNormal(x);
        // ceiling first, then the search: the same GEMM object, threads and process
        double ceiling = GemmBench.Ceiling(gemm, threads);
        progress.WriteLine($"  GEMM ceiling {ceiling:0.0} GFLOP/s");
        double gemmSeconds = 0;
        var sw = Stopwatch.StartNew();
        var searching = new ProgressLine(progress, "  searching");
        var sets = NearestNeighbours.Search(x, count, dim, [count], gemm, threads, block,
            searching.Report, s => gemmSeconds = s);
        double seconds = sw.Elapsed.TotalSeconds;
        searching.Finish();
        double flops = NearestNeighbours.GemmFlops(count, dim, block);
        return new Result(gemm.Name, threads, count, dim, block, seconds, gemmSeconds, flops,
                          flops / seconds / 1e9, flops / gemmSeconds / 1e9, ceiling, sets[0].Distance.Average());
    }

    /// <summary>The figures as a table.</summary>
    public static void WriteTable(Result r, TextWriter o)
    {
        o.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"NN radius, {r.Count} vectors × {r.Dim}: {r.Seconds:0.00} s ({r.GemmSeconds:0.00} s in GEMM), gemm {r.Gemm}, {r.Threads} threads"));
        o.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  effective {r.EffectiveGflops:0.0} GFLOP/s = {100 * r.EffectiveRatio:0.0}% of the GEMM ceiling {r.CeilingGflops:0.0} GFLOP/s (target ≥ 70%)"));
        o.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  inside the GEMM calls {r.InGemmGflops:0.0} GFLOP/s = {100 * r.InGemmRatio:0.0}% of the ceiling; mean NN distance {r.MeanDistance:0.###}"));
    }

    /// <summary>The figures as one JSON object.</summary>
    public static string ToJson(Result r) => JsonSerializer.Serialize(new
    {
        gemm = r.Gemm, threads = r.Threads, count = r.Count, dim = r.Dim, block = r.Block, seconds = r.Seconds,
        gemm_seconds = r.GemmSeconds, gemm_flops = r.GemmFlops, effective_gflops = r.EffectiveGflops,
        in_gemm_gflops = r.InGemmGflops, ceiling_gflops = r.CeilingGflops, effective_ratio = r.EffectiveRatio,
        in_gemm_ratio = r.InGemmRatio, mean_distance = r.MeanDistance,
    });
}
