using ScalingLab.Common;
using ScalingLab.Tensors;

namespace ScalingLab.Laws;

/// <summary>A percentile interval of one bootstrapped quantity, beside the full-data estimate.</summary>
public readonly record struct Interval(double Estimate, double Lo, double Hi);

/// <summary>Bootstrap distribution of a fit: every resample's named quantities, and percentile intervals.</summary>
public sealed class BootstrapResult
{
    /// <summary>Quantity name → its value in each resample (NaN where that refit failed or did not converge).</summary>
    public required IReadOnlyDictionary<string, double[]> Samples { get; init; }
    /// <summary>Number of resamples.</summary>
    public required int Resamples { get; init; }
    /// <summary>Resamples whose best refit did not converge (left out of every interval).</summary>
    public required int Unconverged { get; init; }
    /// <summary>Resamples whose refit converged: the ones the intervals are computed from.</summary>
    public int Converged => Resamples - Unconverged;
    /// <summary>Wall time of the refits in seconds (for the bench).</summary>
    public required double Seconds { get; init; }

    /// <summary>
    /// The (1 − level) two-sided percentile interval of <paramref name="name"/> around <paramref name="estimate"/>, over the
    /// converged refits only.
    /// </summary>
    public Interval IntervalOf(string name, double estimate, double level = 0.95)
    {
        var v = Samples[name].Where(double.IsFinite).Order().ToArray();
        if (v.Length == 0) return new Interval(estimate, double.NaN, double.NaN);
        double tail = (1 - level) / 2;
        return new Interval(estimate, Percentiles.AtFraction(v, tail), Percentiles.AtFraction(v, 1 - tail));
    }
}

/// <summary>
/// Nonparametric bootstrap over runs (Efron): resample the runs with replacement, refit, collect every parameter and
/// derived figure, report percentile intervals over the refits that converged (the count is reported). Resample b draws its runs from its own RNG stream (seed, b), and each
/// refit is single-threaded inside a parallel loop over resamples, so the result is the same for any thread count.
/// A refit starts from the full-data optimum and from the start points of the best full-grid end points (not the
/// whole 4,500-point grid): the resampled optimum lies near the full-data one, and this keeps 1,000 refits cheap.
/// </summary>
public static class Bootstrap
{
    /// <summary>Derived quantities computed from each refit's law (e.g. N_opt at a budget).</summary>
    public delegate IEnumerable<(string Name, double Value)> Derive(IScalingLaw law);

    /// <summary>
    /// Runs <paramref name="resamples"/> refits of <paramref name="full"/> (a fit of <paramref name="points"/>).
    /// <paramref name="progress"/> gets the number done so far. With <paramref name="groups"/> (a group index 0..G−1 per
    /// point, e.g. the run a learning-curve point belongs to) whole groups are resampled, as the points of one group are
    /// not independent draws.
    /// </summary>
    public static BootstrapResult Run(FitForm form, IReadOnlyList<FitPoint> points, FitResult full, int resamples,
                                      ulong seed, FitOptions options, Derive? derive = null, int extraStarts = 7,
                                      Action<int>? progress = null, int[]? groups = null)
    {
        var data = new FitData(points);
        int n = data.Count;
        if (groups is not null && (groups.Length != n || groups.Any(g => g < 0)))
            throw new ArgumentException("bootstrap: one non-negative group index per point");
        int groupCount = groups is null ? 0 : groups.Max() + 1;
        var starts = BootstrapStarts(full, extraStarts);
        var grid = options.Grid ?? form.DefaultGrid;
        var names = full.Law.Parameters.Keys.ToList();
        var derivedNames = derive?.Invoke(full.Law).Select(d => d.Name).ToList() ?? [];
        var all = names.Concat(derivedNames).ToList();
        var samples = all.ToDictionary(k => k, _ => new double[resamples]);
        int unconverged = 0, done = 0;
        var single = options with { Threads = 1 };
        var sw = System.Diagnostics.Stopwatch.StartNew();
        int threads = options.Threads > 0 ? options.Threads : Environment.ProcessorCount;
        Parallel.For(0, resamples, new ParallelOptions { MaxDegreeOfParallelism = threads }, b =>
        {
            var rng = new Rng(seed).Fork((ulong)b);
            var weights = new double[n];
            if (groups is null)
            {
                for (int i = 0; i < n; i++) weights[rng.NextInt(n)] += 1;
            }
            else
            {
                var draws = new double[groupCount];
                for (int i = 0; i < groupCount; i++) draws[rng.NextInt(groupCount)] += 1;
                for (int i = 0; i < n; i++) weights[i] = draws[groups[i]];
            }
            FitResult r;
            try
            {
                r = HuberFit.FitFrom(form, data, starts, grid, single with { Polish = 2 }, weights);
            }
            catch (Common.UserError)
            {
                foreach (var k in all) samples[k][b] = double.NaN;
                Interlocked.Increment(ref unconverged);
                progress?.Invoke(Interlocked.Increment(ref done));
                return;
            }
            if (!r.Converged)
            {
                // An unconverged refit stopped somewhere arbitrary: its values would only widen the interval.
                foreach (var k in all) samples[k][b] = double.NaN;
                Interlocked.Increment(ref unconverged);
                progress?.Invoke(Interlocked.Increment(ref done));
                return;
            }
            foreach (var (k, v) in r.Law.Parameters) if (samples.TryGetValue(k, out var arr)) arr[b] = v;
            if (derive is not null) foreach (var (k, v) in derive(r.Law)) samples[k][b] = v;
            int d = Interlocked.Increment(ref done);
            progress?.Invoke(d);
        });
        return new BootstrapResult { Samples = samples, Resamples = resamples, Unconverged = unconverged, Seconds = sw.Elapsed.TotalSeconds };
    }

    /// <summary>The full-data optimum plus the start points of the best distinct full-grid runs.</summary>
    internal static double[][] BootstrapStarts(FitResult full, int extra)
    {
        var starts = new List<double[]> { full.Theta };
        if (full.AllStarts is { } all)
        {
            foreach (var (_, s) in all.Select((x, i) => (x, i)).OrderBy(t => t.x.Objective).ThenBy(t => t.i).Select(t => t.x))
            {
                if (starts.Count > extra) break;
                if (!starts.Any(t => t.SequenceEqual(s))) starts.Add(s);
            }
        }
        return starts.ToArray();
    }
}
