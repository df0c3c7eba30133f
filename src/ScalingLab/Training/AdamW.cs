using System.Numerics;
using ScalingLab.Tensors;

namespace ScalingLab.Training;

/// <summary>
/// AdamW (Loshchilov &amp; Hutter 2019, "Decoupled Weight Decay Regularization", Algorithm 2) over one contiguous
/// parameter block, in the form PyTorch and llm.c use, for step t ≥ 1 and gradient g (already scaled):
///   m ← β1·m + (1−β1)·g,  v ← β2·v + (1−β2)·g²,
///   m̂ = m / (1−β1^t),  v̂ = v / (1−β2^t),
///   θ ← θ − lr·(m̂ / (√v̂ + ε) + λ·θ)          (λ only on segments marked for decay: matrices, not biases or norms).
/// The decay is multiplied by the scheduled lr (as in PyTorch), so it decays with the schedule.
/// The moments are kept here (float32, like the parameters) and saved in optimizer.safetensors.
/// </summary>
public sealed class AdamW
{
    /// <summary>First-moment decay β1.</summary>
    public float Beta1 { get; }
    /// <summary>Second-moment decay β2.</summary>
    public float Beta2 { get; }
    /// <summary>ε added to √v̂.</summary>
    public float Eps { get; }
    /// <summary>Decoupled weight decay λ, applied to segments marked for decay.</summary>
    public float WeightDecay { get; }
    /// <summary>First moments, one per parameter.</summary>
    public float[] M { get; }
    /// <summary>Second moments, one per parameter.</summary>
    public float[] V { get; }
    /// <summary>Updates taken so far (t of the bias correction).</summary>
    public long Step { get; set; }

    private readonly (int Offset, int Length, bool Decay)[] _segments;
    private readonly int _threads;

    /// <summary>
    /// An optimizer for a block of <paramref name="count"/> parameters cut into <paramref name="segments"/>
    /// (offset, length, decay); parameters outside every segment are not updated.
    /// </summary>
    public AdamW(int count, IEnumerable<(int Offset, int Length, bool Decay)> segments,
                 float beta1 = 0.9f, float beta2 = 0.95f, float eps = 1e-8f, float weightDecay = 0.1f, int threads = 1)
    {
        Beta1 = beta1; Beta2 = beta2; Eps = eps; WeightDecay = weightDecay;
        M = new float[count];
        V = new float[count];
        _segments = segments.ToArray();
        foreach (var s in _segments)
            if (s.Offset < 0 || s.Length < 0 || (long)s.Offset + s.Length > count)
                throw new ArgumentException($"AdamW: segment [{s.Offset}, +{s.Length}) lies outside the {count} parameters");
        _threads = Math.Max(1, threads);
        const int Chunk = 1 << 14;
        var list = new List<(int, int, bool)>();
        foreach (var seg in _segments)
            for (int o = 0; o < seg.Length; o += Chunk) list.Add((seg.Offset + o, Math.Min(Chunk, seg.Length - o), seg.Decay));
        _chunks = list.ToArray();
    }

    private readonly (int Offset, int Length, bool Decay)[] _chunks;

    /// <summary>
    /// One update of <paramref name="parameters"/> from <paramref name="gradients"/> × <paramref name="gradScale"/>
    /// (the scale folds in the 1/accumulation average and the clipping factor) at learning rate <paramref name="lr"/>.
    /// Elementwise, so the result does not depend on how the work is split between threads. The segments are cut into
    /// chunks of 16K floats, dealt out to the threads of <paramref name="team"/> (or of the process's shared team for
    /// this optimizer's thread count) in equal contiguous shares: one wake-up per update, every thread streaming at
    /// memory bandwidth.
    /// </summary>
    public void Update(float[] parameters, float[] gradients, float lr, float gradScale = 1f, WorkerTeam? team = null)
    {
        if (parameters.Length != M.Length || gradients.Length != M.Length)
            throw new ArgumentException("AdamW: parameter, gradient and moment blocks differ in length");
        Step++;
        float bc1 = (float)(1.0 - Math.Pow(Beta1, Step));
        float bc2 = (float)(1.0 - Math.Pow(Beta2, Step));
        team ??= WorkerTeam.Shared(_threads);
        var chunks = _chunks;
        team.Run(w =>
        {
            var (s, e) = WorkerTeam.Share(chunks.Length, team.Threads, w);
            for (int c = s; c < e; c++)
            {
                var (off, len, decay) = chunks[c];
                Kernel(parameters.AsSpan(off, len), gradients.AsSpan(off, len), M.AsSpan(off, len), V.AsSpan(off, len),
                       lr, decay ? WeightDecay : 0f, Beta1, Beta2, Eps, bc1, bc2, gradScale);
            }
        }, M.LongLength);
    }

    /// <summary>
    /// The AdamW update over spans (see the class summary), with bias corrections bc1 = 1−β1^t and bc2 = 1−β2^t.
    /// The vector and scalar paths do the same float operations in the same order (no fused multiply-add), so an
    /// element's result does not depend on whether it falls in the vector body or the tail.
    /// </summary>
    public static void Kernel(Span<float> p, ReadOnlySpan<float> g, Span<float> m, Span<float> v,
                              float lr, float wd, float beta1, float beta2, float eps, float bc1, float bc2, float gradScale)
    {
        int n = p.Length;
        if (g.Length < n || m.Length < n || v.Length < n) throw new ArgumentException("AdamW kernel: spans differ in length");
        float a1 = 1f - beta1, a2 = 1f - beta2, ibc1 = 1f / bc1, ibc2 = 1f / bc2;
        int i = 0;
        if (Vector.IsHardwareAccelerated && n >= Vector<float>.Count)
        {
            var vb1 = new Vector<float>(beta1); var va1 = new Vector<float>(a1);
            var vb2 = new Vector<float>(beta2); var va2 = new Vector<float>(a2);
            var vibc1 = new Vector<float>(ibc1); var vibc2 = new Vector<float>(ibc2);
            var veps = new Vector<float>(eps); var vlr = new Vector<float>(lr); var vwd = new Vector<float>(wd);
            var vs = new Vector<float>(gradScale);
            for (; i <= n - Vector<float>.Count; i += Vector<float>.Count)
            {
                var gi = new Vector<float>(g[i..]) * vs;
                var mi = vb1 * new Vector<float>(m[i..]) + va1 * gi;
                var vi = vb2 * new Vector<float>(v[i..]) + va2 * (gi * gi);
                var pi = new Vector<float>(p[i..]);
                var upd = (mi * vibc1) / (Vector.SquareRoot(vi * vibc2) + veps) + vwd * pi;
                (pi - vlr * upd).CopyTo(p[i..]);
                mi.CopyTo(m[i..]);
                vi.CopyTo(v[i..]);
            }
        }
        for (; i < n; i++)
        {
            float gi = g[i] * gradScale;
            float mi = beta1 * m[i] + a1 * gi;
            float vi = beta2 * v[i] + a2 * (gi * gi);
            float upd = (mi * ibc1) / (MathF.Sqrt(vi * ibc2) + eps) + wd * p[i];
            p[i] = p[i] - lr * upd;
            m[i] = mi;
            v[i] = vi;
        }
    }
}
