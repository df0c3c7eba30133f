using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using ScalingLab.Tensors;

namespace ScalingLab.Bench;

/// <summary>
/// The matrix multiplies of one training step, recorded so that they can be run alone: the matmul-only bound of that
/// step. <see cref="Recorder"/> sits between the model and its GEMM (a pass-through, whose inner GEMM can be swapped
/// between steps), notes each call's shape and, while <see cref="Recorder.Timing"/> is on, the wall time spent in the
/// GEMM inside the step. <see cref="Plan.Replay"/> runs the recorded sequence through any GEMM on buffers of its own,
/// laid out as the step's (<see cref="Plan"/>): each operand keeps its place relative to the others, so the replay
/// streams the same weights, activations and gradients through the caches as the step does (with one shared buffer
/// per operand instead, the bound came out under 2% lower: the products are compute-bound).
/// The attention's per-head products go through the model's single-threaded attention GEMM, not through this one:
/// they count with the step's other work.
/// </summary>
public static class StepGemms
{
    /// <summary>
    /// One call: op(A) m×k, op(B) k×n, leading dimensions and β as the model made it (α is always 1), and where its
    /// operands lay (addresses at the time of the call, only compared with each other, never read through).
    /// </summary>
    public readonly record struct Call(bool TransA, bool TransB, int M, int N, int K, int Lda, int Ldb, int Ldc, float Beta,
                                       long AAt = 0, long BAt = 0, long CAt = 0)
    {
        /// <summary>Elements of A, B and C the call touches.</summary>
        public (long A, long B, long C) Extents =>
            ((long)((TransA ? K : M) - 1) * Lda + (TransA ? M : K), (long)((TransB ? N : K) - 1) * Ldb + (TransB ? K : N), (long)(M - 1) * Ldc + N);

        /// <summary>2·m·n·k.</summary>
        public double Flops => 2.0 * M * N * K;
    }

    /// <summary>A pass-through GEMM that records calls (while <see cref="Recording"/>) and times them (while <see cref="Timing"/>).</summary>
    public sealed class Recorder(IGemm inner) : IGemm
    {
        /// <summary>The GEMM every call goes to (swap it between steps to change precision).</summary>
        public IGemm Inner { get; set; } = inner;

        /// <summary>Append each call to <see cref="Calls"/>.</summary>
        public bool Recording { get; set; }

        /// <summary>Add each call's wall time to <see cref="Seconds"/>.</summary>
        public bool Timing { get; set; }

        /// <summary>The recorded calls, in order.</summary>
        public List<Call> Calls { get; } = [];

        /// <summary>Wall seconds spent in the GEMM while timing.</summary>
        public double Seconds { get; set; }

        /// <inheritdoc />
        public string Name => Inner.Name;

        /// <inheritdoc />
        public void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha, ReadOnlySpan<float> a, int lda,
                          ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc)
        {
            if (Recording) Calls.Add(new Call(transA, transB, m, n, k, lda, ldb, ldc, beta, Address(a), Address(b), Address(c)));
            if (!Timing)
            {
                Inner.Sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
                return;
            }
            long t0 = Stopwatch.GetTimestamp();
            Inner.Sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
            Seconds += Stopwatch.GetElapsedTime(t0).TotalSeconds;
        }
    }

    private static unsafe long Address(ReadOnlySpan<float> s) => (long)Unsafe.AsPointer(ref MemoryMarshal.GetReference(s));

    /// <summary>
    /// Buffers laid out as the step's operands: the recorded operand extents are merged where they overlap into regions
    /// (one per model buffer, in effect: the parameters, the gradients, each activation array), each region gets an array
    /// of its size filled with small random values, and every operand of every call points at the same offset in its
    /// region as it did in the step.
    /// </summary>
    public sealed class Plan
    {
        private readonly float[][] _regions;
        private readonly (int Region, long Offset)[] _a, _b, _c;

        /// <summary>The recorded calls, replayed in order.</summary>
        public IReadOnlyList<Call> Calls { get; }

        /// <summary>Floats in all regions (the replay's extra memory).</summary>
        public long Floats => _regions.Sum(r => (long)r.Length);

        public Plan(IReadOnlyList<Call> calls)
        {
            Calls = calls;
            var extents = calls.SelectMany(c => new[] { (c.AAt, c.Extents.A), (c.BAt, c.Extents.B), (c.CAt, c.Extents.C) })
                               .Select(x => (Start: x.Item1, End: x.Item1 + 4 * x.Item2)).OrderBy(x => x.Start).ToList();
            var merged = new List<(long Start, long End)>();
            foreach (var e in extents)
            {
                if (merged.Count > 0 && e.Start < merged[^1].End) merged[^1] = (merged[^1].Start, Math.Max(merged[^1].End, e.End));
                else merged.Add(e);
            }
            var rng = new Rng(77);
            _regions = merged.Select((r, i) =>
            {
                var buffer = new float[(r.End - r.Start) / 4];
                rng.Fork((ulong)i).FillUniform(buffer, -0.1f, 0.1f);
                return buffer;
            }).ToArray();
            (int, long) Locate(long at)
            {
                int i = merged.FindLastIndex(r => r.Start <= at);
                return (i, (at - merged[i].Start) / 4);
            }
            _a = calls.Select(c => Locate(c.AAt)).ToArray();
            _b = calls.Select(c => Locate(c.BAt)).ToArray();
            _c = calls.Select(c => Locate(c.CAt)).ToArray();
        }

        /// <summary>Wall seconds to run the calls in order through <paramref name="gemm"/>.</summary>
        public double Replay(IGemm gemm)
        {
            long t0 = Stopwatch.GetTimestamp();
            for (int i = 0; i < Calls.Count; i++)
            {
                var x = Calls[i];
                gemm.Sgemm(x.TransA, x.TransB, x.M, x.N, x.K, 1f, Span(_a[i]), x.Lda, Span(_b[i]), x.Ldb, x.Beta == 0f ? 0f : 1f,
                           _regions[_c[i].Region].AsSpan((int)_c[i].Offset), x.Ldc);
            }
            return Stopwatch.GetElapsedTime(t0).TotalSeconds;
        }

        private ReadOnlySpan<float> Span((int Region, long Offset) at) => _regions[at.Region].AsSpan((int)at.Offset);
    }

    /// <summary>2·m·n·k summed over <paramref name="calls"/>.</summary>
    public static double Flops(IEnumerable<Call> calls) => calls.Sum(c => c.Flops);
}
