namespace ScalingLab.Memory;

/// <summary>How a layer's energy E_t is formed from its pattern set D_t (Niu et al. v2 Sec. 4.2).</summary>
public enum LayerEnergyKind
{
    /// <summary>E_t = g_t(x) = min_j ‖x − ρ_tj‖² (the energy reading; the toolkit's default).</summary>
    NearestNeighbour,
    /// <summary>E_t = −β⁻¹ log Σ_j exp(−β‖x − ρ_tj‖²), the smooth energy of Eq. (4) over D_t.</summary>
    Smooth,
    /// <summary>
    /// The paper's literal E_t(x) = exp(−g_t(x))/Z_t (a density value, as printed in Eq. 6 and used in
    /// step (a) of Proposition 4's proof); needs Z_t.
    /// </summary>
    PaperDensity,
}

/// <summary>
/// The layered structure and global energy of Niu et al. v2 Sec. 4.2: the patterns split over layers
/// D = ∪ₜ D_t; layer t has energy E_t; the global energy is Eq. (7)
/// E_global(x) = −LogSumExp(−E₁(x), …, −E_l(x)), bounded by Eq. (8) min_t E_t − log l ≤ E_global ≤ min_t E_t
/// (the majorisation property). <see cref="Forward"/> runs Eq. (6): each layer is one
/// majorisation–minimisation step x⁽ᵗ⁾ = argmin_{‖x − x⁽ᵗ⁻¹⁾‖² ≤ δ_t} E_t(x).
/// </summary>
public sealed class GlobalEnergy
{
    private readonly PatternSet[] _layers;
    private readonly double[] _z;

    /// <summary>The per-layer energy form.</summary>
    public LayerEnergyKind Kind { get; }

    /// <summary>β of the smooth layer energy.</summary>
    public double Beta { get; }

    /// <summary>Number of layers l.</summary>
    public int Layers => _layers.Length;

    /// <summary>
    /// Layers with pattern sets D_t (all of one dimension). <paramref name="partition"/> holds Z_t per layer,
    /// needed only by <see cref="LayerEnergyKind.PaperDensity"/>.
    /// </summary>
    public GlobalEnergy(IReadOnlyList<PatternSet> layers, LayerEnergyKind kind = LayerEnergyKind.NearestNeighbour,
                        double beta = 1.0, IReadOnlyList<double>? partition = null)
    {
        if (layers.Count == 0) throw new Common.UserError("global energy: no layers; give at least one pattern set");
        for (int t = 1; t < layers.Count; t++)
            if (layers[t].Dim != layers[0].Dim)
                throw new Common.UserError($"global energy: layer {t + 1} has dimension {layers[t].Dim} but layer 1 has {layers[0].Dim}");
        PatternSet.CheckBeta(beta);
        if (kind == LayerEnergyKind.PaperDensity && (partition is null || partition.Count != layers.Count || partition.Any(z => !(z > 0))))
            throw new Common.UserError("global energy: the paper's density form needs a positive Z_t for every layer");
        _layers = [.. layers];
        _z = partition is null ? [] : [.. partition];
        Kind = kind;
        Beta = beta;
    }

    /// <summary>E_t(x) for layer <paramref name="t"/> (0-based).</summary>
    public double Layer(int t, ReadOnlySpan<double> x) => Kind switch
    {
        LayerEnergyKind.NearestNeighbour => Energies.NearestNeighbour(_layers[t], x),
        LayerEnergyKind.Smooth => Energies.Distance(_layers[t], x, Beta),
        _ => Math.Exp(-Energies.NearestNeighbour(_layers[t], x)) / _z[t],
    };

    /// <summary>Eq. (7): E_global(x) = −LogSumExp(−E₁(x), …, −E_l(x)).</summary>
    public double Value(ReadOnlySpan<double> x)
    {
        var neg = new double[Layers];
        for (int t = 0; t < Layers; t++) neg[t] = -Layer(t, x);
        return -LogSumExp.Of(neg);
    }

    /// <summary>Eq. (8): min_t E_t(x) − log l ≤ E_global(x) ≤ min_t E_t(x).</summary>
    public BoundCheck Bounds(ReadOnlySpan<double> x)
    {
        double min = double.PositiveInfinity;
        for (int t = 0; t < Layers; t++) min = Math.Min(min, Layer(t, x));
        return new("Eq. 8: min E_t − log l ≤ E_global ≤ min E_t", min - Math.Log(Layers), Value(x), min);
    }

    /// <summary>
    /// Eq. (6) with E_t = g_t: x⁽ᵗ⁾ = argmin over the ball ‖x − x⁽ᵗ⁻¹⁾‖ ≤ √δ_t of g_t(x), in closed form: the
    /// point of the ball nearest to the pattern of D_t nearest to the ball (lowest index on ties). Returns
    /// x⁽⁰⁾..x⁽ˡ⁾. δ_t bounds the squared step, as X_t = {x : d(x, x⁽ᵗ⁻¹⁾) ≤ δ_t} with d = ‖·‖².
    /// </summary>
    public double[][] Forward(ReadOnlySpan<double> x0, ReadOnlySpan<double> delta)
    {
        if (delta.Length != Layers) throw new Common.UserError($"global energy: {delta.Length} step sizes for {Layers} layers");
        var xs = new double[Layers + 1][];
        xs[0] = x0.ToArray();
        for (int t = 0; t < Layers; t++)
        {
            var p = _layers[t];
            var prev = xs[t];
            double radius = Math.Sqrt(Math.Max(0, delta[t]));
            int best = -1;
            double bestGap = double.PositiveInfinity, bestDist = 0;
            for (int j = 0; j < p.Count; j++)
            {
                double dist = Math.Sqrt(SquaredDistance(prev, p[j]));
                double gap = Math.Max(0, dist - radius);   // distance from the ball to ρ_tj
                if (gap < bestGap) { bestGap = gap; best = j; bestDist = dist; }
            }
            var next = new double[p.Dim];
            var rho = p[best];
            double step = bestDist <= radius ? 1.0 : radius / bestDist;
            for (int k = 0; k < next.Length; k++) next[k] = prev[k] + step * (rho[k] - prev[k]);
            xs[t + 1] = next;
        }
        return xs;
    }

    private static double SquaredDistance(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        double s = 0;
        for (int k = 0; k < a.Length; k++) { double t = a[k] - b[k]; s += t * t; }
        return s;
    }
}
