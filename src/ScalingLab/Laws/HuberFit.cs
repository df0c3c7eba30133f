using System.Runtime.CompilerServices;
using ScalingLab.Common;

namespace ScalingLab.Laws;

/// <summary>Settings of a Huber fit.</summary>
public sealed record FitOptions
{
    /// <summary>Huber threshold δ on log-loss residuals (Hoffmann et al.: 1e-3).</summary>
    public double Delta { get; init; } = 1e-3;
    /// <summary>Worker threads for the starts (0 = all cores). Results do not depend on it.</summary>
    public int Threads { get; init; }
    /// <summary>Initial grid per θ entry; null = the form's default (Hoffmann's for chinchilla).</summary>
    public double[][]? Grid { get; init; }
    /// <summary>L-BFGS iteration limit when polishing the best starts.</summary>
    public int MaxIterations { get; init; } = 1000;
    /// <summary>Every start first runs to this relative function tolerance (and at most 300 iterations)...</summary>
    public double CoarseTolerance { get; init; } = 1e-7;
    /// <summary>...then this many best end points are polished to a tight tolerance (1e-13) and the best kept.</summary>
    public int Polish { get; init; } = 16;
}

/// <summary>The best of many L-BFGS starts.</summary>
public sealed record FitResult
{
    /// <summary>Form name.</summary>
    public required string Form { get; init; }
    /// <summary>Fitted law with natural parameters.</summary>
    public required IScalingLaw Law { get; init; }
    /// <summary>The fitted θ (log-space parameters, see the form's ThetaNames).</summary>
    public required double[] Theta { get; init; }
    /// <summary>Σ Huber_δ(ln L̂ − ln L) over runs (weighted by resample counts in a bootstrap).</summary>
    public required double Objective { get; init; }
    /// <summary>The best start stopped on a tolerance.</summary>
    public required bool Converged { get; init; }
    /// <summary>Why the best start stopped.</summary>
    public required LbfgsStop Stop { get; init; }
    /// <summary>Index of the best start in the start list.</summary>
    public required int BestStart { get; init; }
    /// <summary>θ entries that ended outside the initial grid's range (the grid did not bracket them).</summary>
    public required string[] OutsideGrid { get; init; }
    /// <summary>How many starts were run, and how many converged.</summary>
    public required int Starts { get; init; }
    /// <summary>Starts that stopped on a tolerance.</summary>
    public required int StartsConverged { get; init; }
    /// <summary>Final θ of every start (for picking bootstrap starts); null when not kept.</summary>
    public (double Objective, double[] Start)[]? AllStarts { get; init; }
}

/// <summary>
/// Hoffmann et al. 2022, Approach 3 (Appendix D.2), for any <see cref="FitForm"/>: minimise
/// Σ_i Huber_δ(ln L̂(θ; N_i, D_i) − ln L_i) with L-BFGS from every point of an initial grid and keep the best.
/// Huber_δ(r) = r²/2 for |r| ≤ δ, else δ(|r| − δ/2) (scipy.special.huber). The objective is the sum over runs,
/// not the mean: that is the normalisation that reproduces Besiroglu et al.'s 0.00101827 on the Chinchilla points.
/// Starts run in parallel, each with its own minimiser; the best is the lowest objective, ties to the lowest
/// start index, so the result does not depend on the thread count. For speed every start first runs to a coarse
/// tolerance, then the 16 best end points are polished to a tight one (on the Chinchilla points this finds the same
/// optimum as running every start tightly, at a third of the cost).
/// </summary>
public static class HuberFit
{
    /// <summary>Huber_δ(r).</summary>
    public static double Huber(double r, double delta)
    {
        double a = Math.Abs(r);
        return a <= delta ? 0.5 * r * r : delta * (a - 0.5 * delta);
    }

    /// <summary>dHuber_δ/dr = clip(r, −δ, δ).</summary>
    public static double HuberDerivative(double r, double delta) => Math.Clamp(r, -delta, delta);

    /// <summary>
    /// The objective Σ w_i Huber_δ(ln L̂_i − ln L_i) and its gradient in θ (written into <paramref name="grad"/>);
    /// <paramref name="weights"/> empty = all 1. <paramref name="scratch"/> holds Dim doubles.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static double Objective(FitForm form, FitData data, ReadOnlySpan<double> weights, double delta,
                                   ReadOnlySpan<double> theta, Span<double> grad, Span<double> scratch)
    {
        grad.Clear();
        double f = 0;
        for (int i = 0; i < data.Count; i++)
        {
            double w = weights.IsEmpty ? 1 : weights[i];
            if (w == 0) continue;
            double r = form.LogPredict(theta, data, i, scratch) - data.LogL[i];
            f += w * Huber(r, delta);
            double psi = w * HuberDerivative(r, delta);
            for (int k = 0; k < grad.Length; k++) grad[k] += psi * scratch[k];
        }
        return f;
    }

    /// <summary>Every point of the grid's Cartesian product, first θ entry slowest.</summary>
    public static double[][] GridStarts(double[][] grid)
    {
        int total = grid.Aggregate(1, (n, g) => n * g.Length);
        var starts = new double[total][];
        for (int s = 0; s < total; s++)
        {
            var x = new double[grid.Length];
            int rest = s;
            for (int k = grid.Length - 1; k >= 0; k--) { x[k] = grid[k][rest % grid[k].Length]; rest /= grid[k].Length; }
            starts[s] = x;
        }
        return starts;
    }

    /// <summary>Fits <paramref name="points"/> from the full initial grid (<see cref="FitOptions.Grid"/> or the form's).</summary>
    public static FitResult Fit(FitForm form, IReadOnlyList<FitPoint> points, FitOptions? options = null)
    {
        options ??= new FitOptions();
        var data = new FitData(points);
        CheckCount(form, data.Count);
        var grid = options.Grid ?? form.DefaultGrid;
        if (grid.Length != form.Dim) throw new UserError($"fit: the initial grid has {grid.Length} axes; form '{form.Name}' has {form.Dim} parameters");
        return FitFrom(form, data, GridStarts(grid), grid, options, weights: null, keepAll: true);
    }

    /// <summary>A fit of already laid-out data from given starts (a bootstrap refit passes resample counts as weights).</summary>
    public static FitResult FitFrom(FitForm form, FitData data, double[][] starts, double[][] grid, FitOptions options,
                                    double[]? weights, bool keepAll = false)
    {
        int dim = form.Dim;
        int threads = options.Threads > 0 ? options.Threads : Environment.ProcessorCount;
        var coarse = Run(form, data, weights, options, starts, threads, tight: false);
        // Polish the best coarse end points (ties to the lowest start index) to the tight tolerance.
        var order = Enumerable.Range(0, starts.Length).OrderBy(i => coarse[i].F).ThenBy(i => i)
                              .Take(Math.Max(1, options.Polish)).ToArray();
        var polished = Run(form, data, weights, options, order.Select(i => coarse[i].X).ToArray(), threads, tight: true);
        var finals = (((double F, double[] X, LbfgsResult R)[])coarse.Clone());
        for (int k = 0; k < order.Length; k++) finals[order[k]] = polished[k]; // L-BFGS only goes down

        int best = 0;
        for (int s = 1; s < finals.Length; s++)
            if (finals[s].F < finals[best].F) best = s; // strict: ties go to the lowest index
        var (fBest, xBest, rBest) = finals[best];
        if (!double.IsFinite(fBest))
            throw new UserError($"fit '{form.Name}': every start diverged (non-finite objective); check the data's units");
        var outside = new List<string>();
        for (int k = 0; k < dim; k++)
            if (xBest[k] < grid[k].Min() || xBest[k] > grid[k].Max()) outside.Add(form.ThetaNames[k]);
        return new FitResult
        {
            Form = form.Name, Law = form.ToLaw(xBest), Theta = xBest, Objective = fBest,
            Converged = rBest.Converged, Stop = rBest.Stop, BestStart = best, OutsideGrid = outside.ToArray(),
            Starts = starts.Length, StartsConverged = coarse.Count(f => f.R.Converged),
            AllStarts = keepAll ? finals.Select((f, i) => (f.F, starts[i])).ToArray() : null,
        };
    }

    private static (double F, double[] X, LbfgsResult R)[] Run(FitForm form, FitData data, double[]? weights,
        FitOptions options, double[][] starts, int threads, bool tight)
    {
        var finals = new (double F, double[] X, LbfgsResult R)[starts.Length];
        Parallel.For(0, starts.Length, new ParallelOptions { MaxDegreeOfParallelism = threads },
            () => new Worker(form, data, weights, options, tight),
            (s, _, worker) =>
            {
                var r = worker.Minimizer.Minimize(worker.F, starts[s]);
                finals[s] = (double.IsFinite(r.Value) ? r.Value : double.PositiveInfinity, worker.Minimizer.X.ToArray(), r);
                return worker;
            },
            _ => { });
        return finals;
    }

    /// <summary>More points than parameters, or a one-line error.</summary>
    public static void CheckCount(FitForm form, int count)
    {
        if (count <= form.Dim)
            throw new UserError($"fit '{form.Name}': {count} points for {form.Dim} parameters; give more runs than parameters");
    }

    /// <summary>One thread's minimiser and objective closure (built once per worker, reused across its starts).</summary>
    private sealed class Worker
    {
        public readonly Lbfgs Minimizer;
        public readonly ObjectiveFunction F;

        public Worker(FitForm form, FitData data, double[]? weights, FitOptions options, bool tight)
        {
            Minimizer = tight
                ? new Lbfgs(form.Dim) { MaxIterations = options.MaxIterations }
                : new Lbfgs(form.Dim) { MaxIterations = Math.Min(300, options.MaxIterations), FunctionTolerance = options.CoarseTolerance };
            F = form.CreateObjective(data, weights, options.Delta);
        }
    }
}
