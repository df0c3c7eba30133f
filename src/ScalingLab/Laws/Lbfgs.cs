using System.Runtime.CompilerServices;

namespace ScalingLab.Laws;

/// <summary>An objective: returns f(x) and writes ∇f(x) into <c>grad</c>.</summary>
public delegate double ObjectiveFunction(ReadOnlySpan<double> x, Span<double> grad);

/// <summary>Why an L-BFGS run stopped.</summary>
public enum LbfgsStop
{
    /// <summary>‖∇f‖∞ fell below the gradient tolerance.</summary>
    Gradient,
    /// <summary>The relative decrease of f over an iteration fell below the function tolerance.</summary>
    FunctionChange,
    /// <summary>The iteration limit was reached (not converged).</summary>
    MaxIterations,
    /// <summary>No step satisfying the Wolfe conditions was found even along steepest descent (not converged).</summary>
    LineSearchFailed,
    /// <summary>f or ∇f became non-finite (not converged).</summary>
    NonFinite,
}

/// <summary>The outcome of one L-BFGS run: the point is in the minimiser's <see cref="Lbfgs.X"/>.</summary>
public readonly record struct LbfgsResult(double Value, int Iterations, int Evaluations, LbfgsStop Stop, double GradientNorm)
{
    /// <summary>Stopped on a tolerance rather than a limit or a failure.</summary>
    public bool Converged => Stop is LbfgsStop.Gradient or LbfgsStop.FunctionChange;
}

/// <summary>
/// Limited-memory BFGS (Nocedal &amp; Wright, "Numerical Optimization", 2nd ed., Algorithm 7.4 two-loop recursion,
/// Algorithm 7.5) with a strong-Wolfe line search (Algorithms 3.5 and 3.6, cubic interpolation in the zoom).
/// Our own small implementation rather than MathNet's so that a run allocates nothing after construction:
/// a scaling-law fit runs thousands of starts. One instance per thread; not thread-safe.
/// </summary>
public sealed class Lbfgs
{
    private readonly int _n, _m;
    private readonly double[][] _s, _y;
    private readonly double[] _rho, _alpha;
    private readonly double[] _x, _g, _d, _xNew, _gNew, _xTry, _gTry;

    /// <summary>Stop when ‖∇f‖∞ ≤ GradientTolerance · max(1, |f|).</summary>
    public double GradientTolerance { get; set; } = 1e-10;
    /// <summary>Stop when (f_k − f_{k+1}) ≤ FunctionTolerance · max(|f_k|, |f_{k+1}|, 1e-300).</summary>
    public double FunctionTolerance { get; set; } = 1e-13;
    /// <summary>Iteration limit; reaching it means "not converged".</summary>
    public int MaxIterations { get; set; } = 1000;
    /// <summary>Armijo constant c1 and curvature constant c2 of the strong Wolfe conditions.</summary>
    public double C1 { get; set; } = 1e-4;
    /// <summary>Curvature constant c2 of the strong Wolfe conditions (0.9 is the usual choice for quasi-Newton).</summary>
    public double C2 { get; set; } = 0.9;

    /// <summary>A minimiser for <paramref name="dimension"/> variables keeping <paramref name="memory"/> pairs.</summary>
    public Lbfgs(int dimension, int memory = 10)
    {
        _n = dimension; _m = memory;
        _s = new double[memory][]; _y = new double[memory][];
        for (int i = 0; i < memory; i++) { _s[i] = new double[dimension]; _y[i] = new double[dimension]; }
        _rho = new double[memory]; _alpha = new double[memory];
        _x = new double[dimension]; _g = new double[dimension]; _d = new double[dimension];
        _xNew = new double[dimension]; _gNew = new double[dimension];
        _xTry = new double[dimension]; _gTry = new double[dimension];
    }

    /// <summary>The current (after <see cref="Minimize"/>: the final) point.</summary>
    public ReadOnlySpan<double> X => _x;

    /// <summary>Minimises <paramref name="f"/> from <paramref name="start"/>; the result point is <see cref="X"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public LbfgsResult Minimize(ObjectiveFunction f, ReadOnlySpan<double> start)
    {
        start.CopyTo(_x);
        double fx = f(_x, _g);
        int evals = 1, stored = 0, head = 0;
        if (!double.IsFinite(fx) || !AllFinite(_g)) return new(fx, 0, evals, LbfgsStop.NonFinite, double.NaN);
        bool restarted = false;
        for (int iter = 0; iter < MaxIterations; iter++)
        {
            double gnorm = NormInf(_g);
            if (gnorm <= GradientTolerance * Math.Max(1, Math.Abs(fx)))
                return new(fx, iter, evals, LbfgsStop.Gradient, gnorm);

            Direction(stored, head);
            double dg = Dot(_d, _g);
            if (!(dg < 0))
            {
                // Not a descent direction (curvature information went bad): fall back to steepest descent.
                for (int i = 0; i < _n; i++) _d[i] = -_g[i];
                dg = Dot(_d, _g); stored = 0;
            }
            // First iteration: a step of unit length in x; afterwards the quasi-Newton step of 1.
            double step0 = stored == 0 ? Math.Min(1.0, 1.0 / Math.Max(1e-300, Math.Sqrt(Dot(_d, _d)))) : 1.0;
            double fNew = LineSearch(f, fx, dg, step0, ref evals, out bool ok);
            if (!ok)
            {
                if (stored == 0 || restarted) return new(fx, iter, evals, LbfgsStop.LineSearchFailed, gnorm);
                stored = 0; restarted = true; iter--; // forget the curvature pairs once and try steepest descent
                continue;
            }
            restarted = false;
            if (!double.IsFinite(fNew) || !AllFinite(_gNew)) return new(fx, iter, evals, LbfgsStop.NonFinite, gnorm);

            // Store the pair s = x_{k+1} − x_k, y = g_{k+1} − g_k when the curvature condition yᵀs > 0 holds.
            double[] s = _s[head], y = _y[head];
            double ys = 0;
            for (int i = 0; i < _n; i++)
            {
                s[i] = _xNew[i] - _x[i]; y[i] = _gNew[i] - _g[i]; ys += y[i] * s[i];
            }
            if (ys > 1e-300)
            {
                _rho[head] = 1.0 / ys;
                head = (head + 1) % _m;
                stored = Math.Min(stored + 1, _m);
            }
            double fOld = fx;
            _xNew.CopyTo(_x, 0); _gNew.CopyTo(_g, 0); fx = fNew;
            if (fOld - fx <= FunctionTolerance * Math.Max(Math.Max(Math.Abs(fOld), Math.Abs(fx)), 1e-300))
                return new(fx, iter + 1, evals, LbfgsStop.FunctionChange, NormInf(_g));
        }
        return new(fx, MaxIterations, evals, LbfgsStop.MaxIterations, NormInf(_g));
    }

    /// <summary>d = −H·g by the two-loop recursion over the stored pairs (newest first).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Direction(int stored, int head)
    {
        for (int i = 0; i < _n; i++) _d[i] = -_g[i];
        if (stored == 0) return;
        for (int k = 0; k < stored; k++)
        {
            int j = ((head - 1 - k) % _m + _m) % _m;
            _alpha[j] = _rho[j] * Dot(_s[j], _d);
            Axpy(-_alpha[j], _y[j], _d);
        }
        int newest = ((head - 1) % _m + _m) % _m;
        double gamma = 1.0 / (_rho[newest] * Dot(_y[newest], _y[newest])); // H0 = (sᵀy / yᵀy) I
        for (int i = 0; i < _n; i++) _d[i] *= gamma;
        for (int k = stored - 1; k >= 0; k--)
        {
            int j = ((head - 1 - k) % _m + _m) % _m;
            double beta = _rho[j] * Dot(_y[j], _d);
            Axpy(_alpha[j] - beta, _s[j], _d);
        }
    }

    /// <summary>
    /// Strong-Wolfe line search along _d from _x (N&amp;W Algorithm 3.5); on success _xNew/_gNew hold the accepted
    /// point and its gradient, and the return value is f there.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private double LineSearch(ObjectiveFunction f, double f0, double dg0, double step, ref int evals, out bool ok)
    {
        double prevStep = 0, fPrev = f0, dgPrev = dg0;
        const double maxStep = 1e10;
        for (int i = 0; i < 40; i++)
        {
            double fs = Evaluate(f, step, _xNew, _gNew, ref evals);
            double dgs = Dot(_gNew, _d);
            if (!double.IsFinite(fs) || fs > f0 + C1 * step * dg0 || (i > 0 && fs >= fPrev))
                return Zoom(f, f0, dg0, prevStep, fPrev, dgPrev, step, fs, dgs, ref evals, out ok);
            if (Math.Abs(dgs) <= -C2 * dg0) { ok = true; return fs; }
            if (dgs >= 0)
                return Zoom(f, f0, dg0, step, fs, dgs, prevStep, fPrev, dgPrev, ref evals, out ok);
            prevStep = step; fPrev = fs; dgPrev = dgs;
            step = Math.Min(step * 2.5, maxStep);
        }
        ok = false;
        return f0;
    }

    /// <summary>N&amp;W Algorithm 3.6: shrink [lo, hi] (lo satisfies sufficient decrease) by cubic interpolation.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private double Zoom(ObjectiveFunction f, double f0, double dg0, double lo, double fLo, double dgLo,
                        double hi, double fHi, double dgHi, ref int evals, out bool ok)
    {
        for (int i = 0; i < 60; i++)
        {
            double step = CubicMin(lo, fLo, dgLo, hi, fHi, dgHi);
            double a = Math.Min(lo, hi), b = Math.Max(lo, hi), w = b - a;
            // Keep the trial safely inside the bracket, or bisect when interpolation is unhelpful.
            if (!double.IsFinite(step) || step < a + 0.1 * w || step > b - 0.1 * w) step = 0.5 * (lo + hi);
            double fs = Evaluate(f, step, _xTry, _gTry, ref evals);
            double dgs = Dot(_gTry, _d);
            if (!double.IsFinite(fs) || fs > f0 + C1 * step * dg0 || fs >= fLo)
            {
                hi = step; fHi = fs; dgHi = dgs;
            }
            else
            {
                if (Math.Abs(dgs) <= -C2 * dg0)
                {
                    _xTry.CopyTo(_xNew, 0); _gTry.CopyTo(_gNew, 0);
                    ok = true; return fs;
                }
                if (dgs * (hi - lo) >= 0) { hi = lo; fHi = fLo; dgHi = dgLo; }
                lo = step; fLo = fs; dgLo = dgs;
                _xTry.CopyTo(_xNew, 0); _gTry.CopyTo(_gNew, 0);
            }
            if (Math.Abs(hi - lo) <= 1e-16 * Math.Max(1, Math.Abs(lo))) break;
        }
        // The bracket collapsed: accept lo if it decreased f (a valid, if imperfect, step).
        if (lo > 0 && fLo < f0)
        {
            Evaluate(f, lo, _xNew, _gNew, ref evals);
            ok = true; return fLo;
        }
        ok = false; return f0;
    }

    /// <summary>Minimiser of the cubic through (a, fa, ga) and (b, fb, gb) (N&amp;W eq. 3.59).</summary>
    private static double CubicMin(double a, double fa, double ga, double b, double fb, double gb)
    {
        if (!double.IsFinite(fb) || !double.IsFinite(gb)) return double.NaN;
        double d1 = ga + gb - 3 * (fa - fb) / (a - b);
        double disc = d1 * d1 - ga * gb;
        if (disc < 0) return double.NaN;
        double d2 = Math.Sign(b - a) * Math.Sqrt(disc);
        return b - (b - a) * (gb + d2 - d1) / (gb - ga + 2 * d2);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private double Evaluate(ObjectiveFunction f, double step, double[] x, double[] g, ref int evals)
    {
        for (int i = 0; i < _n; i++) x[i] = _x[i] + step * _d[i];
        evals++;
        return f(x, g);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static double Dot(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        double s = 0;
        for (int i = 0; i < a.Length; i++) s += a[i] * b[i];
        return s;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Axpy(double alpha, ReadOnlySpan<double> x, Span<double> y)
    {
        for (int i = 0; i < x.Length; i++) y[i] += alpha * x[i];
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static double NormInf(ReadOnlySpan<double> a)
    {
        double m = 0;
        foreach (double v in a) m = Math.Max(m, Math.Abs(v));
        return m;
    }

    private static bool AllFinite(ReadOnlySpan<double> a)
    {
        foreach (double v in a) if (!double.IsFinite(v)) return false;
        return true;
    }
}
