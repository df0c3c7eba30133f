using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using MathNet.Numerics.LinearAlgebra;
using MathNet.Numerics.Optimization;
using ScalingLab.Laws;

namespace ScalingLab.Bench;

/// <summary>
/// Speed of the scaling-law fit on the Chinchilla points (Besiroglu et al.'s 240 after dropping 5): one Approach-3
/// fit from Hoffmann's full 4,500-point grid, and B bootstrap refits. The reference is MathNet.Numerics'
/// LimitedMemoryBfgsMinimizer on the same objective and gradient, from every 10th grid start (it is slow enough
/// that the full grid would dominate the bench); the ratio compares time per start.
/// </summary>
public static class FitBench
{
    /// <summary>What one run of the bench measured.</summary>
    public sealed record Result(int Points, int Starts, double FitSeconds, double Objective, int Resamples, double BootstrapSeconds,
                                int ReferenceStarts, double ReferenceSeconds, double ReferenceBestObjective, int ReferenceFailures, int Threads)
    {
        /// <summary>Our milliseconds per start.</summary>
        public double MsPerStart => FitSeconds * 1000 / Starts;
        /// <summary>MathNet's milliseconds per start.</summary>
        public double ReferenceMsPerStart => ReferenceSeconds * 1000 / ReferenceStarts;
        /// <summary>How many times faster per start we are (wall time, same thread count).</summary>
        public double Speedup => ReferenceMsPerStart / MsPerStart;
    }

    /// <summary>Runs the bench; progress lines go to <paramref name="log"/>.</summary>
    public static Result Run(IReadOnlyList<FitPoint> points, int resamples, int threads, TextWriter log)
    {
        var form = new ChinchillaFit();
        var options = new FitOptions { Threads = threads };
        // Warm-up on a tiny grid so the timings exclude JIT.
        HuberFit.Fit(form, points, options with { Grid = [[5], [5], [0.5], [0.5], [0.5]] });

        log.WriteLine($"bench fit: full grid ({form.DefaultGrid.Aggregate(1, (n, g) => n * g.Length)} starts) on {points.Count} points ...");
        var sw = Stopwatch.StartNew();
        var fit = HuberFit.Fit(form, points, options);
        double fitSeconds = sw.Elapsed.TotalSeconds;

        log.WriteLine($"bench fit: {resamples} bootstrap refits ...");
        sw.Restart();
        Bootstrap.Run(form, points, fit, resamples, seed: 1, options);
        double bootSeconds = sw.Elapsed.TotalSeconds;

        log.WriteLine("bench fit: reference (MathNet L-BFGS) on every 10th start ...");
        var starts = HuberFit.GridStarts(form.DefaultGrid).Where((_, i) => i % 10 == 0).ToArray();
        var data = new FitData(points);
        double refBest = double.PositiveInfinity;
        int failures = 0;
        object gate = new();
        sw.Restart();
        Parallel.For(0, starts.Length, new ParallelOptions { MaxDegreeOfParallelism = threads > 0 ? threads : Environment.ProcessorCount }, s =>
        {
            var f = form.CreateObjective(data, null, 1e-3);
            var g = new double[5];
            var objective = MathNet.Numerics.Optimization.ObjectiveFunction.Gradient(x =>
            {
                double v = f(x.AsArray() ?? x.ToArray(), g);
                return (v, Vector<double>.Build.DenseOfArray((double[])g.Clone()));
            });
            var minimizer = new LimitedMemoryBfgsMinimizer(1e-10, 1e-12, 1e-13, 1000);
            try
            {
                var r = minimizer.FindMinimum(objective, Vector<double>.Build.DenseOfArray(starts[s]));
                lock (gate) refBest = Math.Min(refBest, r.FunctionInfoAtMinimum.Value);
            }
            catch (Exception e) when (e is MaximumIterationsException or InnerOptimizationException or EvaluationException or ArgumentException)
            {
                Interlocked.Increment(ref failures);
            }
        });
        double refSeconds = sw.Elapsed.TotalSeconds;
        return new Result(points.Count, fit.Starts, fitSeconds, fit.Objective, resamples, bootSeconds,
                          starts.Length, refSeconds, refBest, failures, threads > 0 ? threads : Environment.ProcessorCount);
    }

    /// <summary>The human table.</summary>
    public static void WriteTable(Result r, TextWriter o)
    {
        string I(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
        o.WriteLine(I($"scaling-law fit on {r.Points} Chinchilla points, {r.Threads} threads (wall time)"));
        o.WriteLine(I($"  full-grid Approach-3 fit: {r.FitSeconds:F2} s for {r.Starts} starts ({r.MsPerStart:F3} ms/start), objective {r.Objective:0.########}"));
        o.WriteLine(I($"  bootstrap: {r.Resamples} refits in {r.BootstrapSeconds:F2} s ({r.BootstrapSeconds * 1000 / Math.Max(1, r.Resamples):F1} ms/refit)"));
        o.WriteLine(I($"  reference MathNet L-BFGS: {r.ReferenceStarts} starts in {r.ReferenceSeconds:F2} s ({r.ReferenceMsPerStart:F3} ms/start, {r.ReferenceFailures} failed), best objective {r.ReferenceBestObjective:0.########}"));
        o.WriteLine(I($"  ours vs MathNet per start: {r.Speedup:F1}x faster"));
    }

    /// <summary>One JSON object.</summary>
    public static string ToJson(Result r) => JsonSerializer.Serialize(new
    {
        points = r.Points, threads = r.Threads, starts = r.Starts, fit_seconds = r.FitSeconds, objective = r.Objective,
        ms_per_start = r.MsPerStart, resamples = r.Resamples, bootstrap_seconds = r.BootstrapSeconds,
        reference = "MathNet.Numerics LimitedMemoryBfgsMinimizer", reference_starts = r.ReferenceStarts,
        reference_seconds = r.ReferenceSeconds, reference_ms_per_start = r.ReferenceMsPerStart,
        reference_best_objective = r.ReferenceBestObjective, reference_failures = r.ReferenceFailures, speedup_per_start = r.Speedup,
    });
}
