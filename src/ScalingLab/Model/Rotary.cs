namespace ScalingLab.Model;

/// <summary>
/// Rotary position embedding (Su et al. 2021, "RoFormer"), GPT-NeoX convention: the first
/// <see cref="Dims"/> of each head's dimensions are rotated, pairing dimension i with i + Dims/2
/// ("rotate_half"): for i &lt; Dims/2, with θ = t·10000^(−2i/Dims),
/// q′ᵢ = qᵢ cos θ − q_{i+h} sin θ, q′_{i+h} = q_{i+h} cos θ + qᵢ sin θ. The rest pass through.
/// The backward applies the inverse (transposed) rotation to the gradient.
/// </summary>
public sealed class Rotary
{
    private readonly float[] _cos, _sin; // [maxT, Dims/2]
    private readonly int _half;

    /// <summary>Rotated dimensions per head (even; 0 disables rotary).</summary>
    public int Dims { get; }

    /// <summary>Tables for positions 0..maxT−1, computed in float64 then rounded.</summary>
    public Rotary(int headSize, double rotaryPct, int maxT, double theta = 10000.0)
    {
        Dims = (int)(headSize * rotaryPct);
        _half = Dims / 2;
        _cos = new float[maxT * _half];
        _sin = new float[maxT * _half];
        for (int t = 0; t < maxT; t++)
            for (int i = 0; i < _half; i++)
            {
                double angle = t * Math.Pow(theta, -2.0 * i / Dims);
                _cos[t * _half + i] = (float)Math.Cos(angle);
                _sin[t * _half + i] = (float)Math.Sin(angle);
            }
    }

    /// <summary>Rotates one head vector (q or k) at position <paramref name="t"/> in place.</summary>
    public void Forward(Span<float> v, int t)
    {
        var c = _cos.AsSpan(t * _half, _half);
        var s = _sin.AsSpan(t * _half, _half);
        for (int i = 0; i < _half; i++)
        {
            float a = v[i], b = v[i + _half];
            v[i] = a * c[i] - b * s[i];
            v[i + _half] = b * c[i] + a * s[i];
        }
    }

    /// <summary>Maps the gradient w.r.t. the rotated vector to the gradient w.r.t. the input, in place.</summary>
    public void Backward(Span<float> g, int t)
    {
        var c = _cos.AsSpan(t * _half, _half);
        var s = _sin.AsSpan(t * _half, _half);
        for (int i = 0; i < _half; i++)
        {
            float a = g[i], b = g[i + _half];
            g[i] = a * c[i] + b * s[i];
            g[i + _half] = b * c[i] - a * s[i];
        }
    }
}
