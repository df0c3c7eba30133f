using ScalingLab.Common;

namespace ScalingLab.Laws;

/// <summary>
/// One training run for a scaling-law fit: N parameters, D training tokens, final loss (nats/token),
/// optionally the compute C in FLOPs (else 6ND) and a name. Callers (CSV reader, run registry) build a list of these.
/// </summary>
public sealed record FitPoint(double N, double D, double Loss, double? C = null, string? Name = null)
{
    /// <summary>Training compute: C if given, else Kaplan's 6ND.</summary>
    public double Compute => C ?? 6.0 * N * D;

    /// <summary>Throws a one-line <see cref="UserError"/> if any point has a non-finite or non-positive N, D, loss or C.</summary>
    public static void Validate(IReadOnlyList<FitPoint> points)
    {
        for (int i = 0; i < points.Count; i++)
        {
            var p = points[i];
            string who = p.Name is { Length: > 0 } ? $"run '{p.Name}'" : $"point {i + 1}";
            Check(p.N, "N (parameters)"); Check(p.D, "D (tokens)"); Check(p.Loss, "loss");
            if (p.C is double c) Check(c, "C (compute)");
            void Check(double v, string what)
            {
                if (double.IsNaN(v)) throw new UserError($"{who}: {what} is NaN; remove the row or fill in the value");
                if (!double.IsFinite(v) || v <= 0)
                    throw new UserError($"{who}: {what} must be a positive finite number (got {v}); fix or drop the row");
            }
        }
    }
}

/// <summary>
/// The points in log space, laid out once for the objective's hot loop: ln N, ln D, ln C, ln L, and a
/// weight per point (1 for a plain fit; the resample count for a bootstrap refit).
/// </summary>
public sealed class FitData
{
    /// <summary>ln N per point.</summary>
    public double[] LogN { get; }
    /// <summary>ln D per point.</summary>
    public double[] LogD { get; }
    /// <summary>ln C per point (C = 6ND when not given).</summary>
    public double[] LogC { get; }
    /// <summary>ln loss per point.</summary>
    public double[] LogL { get; }
    /// <summary>Number of points.</summary>
    public int Count => LogL.Length;

    /// <summary>Lays out validated points.</summary>
    public FitData(IReadOnlyList<FitPoint> points)
    {
        FitPoint.Validate(points);
        LogN = points.Select(p => Math.Log(p.N)).ToArray();
        LogD = points.Select(p => Math.Log(p.D)).ToArray();
        LogC = points.Select(p => Math.Log(p.Compute)).ToArray();
        LogL = points.Select(p => Math.Log(p.Loss)).ToArray();
    }
}
