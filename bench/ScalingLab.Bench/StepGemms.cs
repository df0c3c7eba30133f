using System.Diagnostics;
using ScalingLab.Tensors;

namespace ScalingLab.Bench;

/// <summary>
/// The matrix multiplies of one training step, recorded so that they can be run alone: the matmul-only bound of that
/// step. <see cref="Recorder"/> sits between the model and its GEMM (a pass-through, whose inner GEMM can be swapped
/// between steps), notes each call's shape and, while <see cref="Recorder.Timing"/> is on, the wall time spent in the
/// GEMM inside the step. <see cref="Replay"/> runs the recorded sequence through any GEMM on buffers of its own.
/// The attention's per-head products go through the model's single-threaded attention GEMM, not through this one:
/// they count with the step's other work.
/// </summary>
public static class StepGemms
{
    /// <summary>One call: op(A) m×k, op(B) k×n, leading dimensions and β as the model made it (α is always 1).</summary>
    public readonly record struct Call(bool TransA, bool TransB, int M, int N, int K, int Lda, int Ldb, int Ldc, float Beta)
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
            if (Recording) Calls.Add(new Call(transA, transB, m, n, k, lda, ldb, ldc, beta));
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

    /// <summary>Buffers for replaying <paramref name="calls"/>: one A, B and C, each as large as the largest call needs.</summary>
    public static (float[] A, float[] B, float[] C) Buffers(IReadOnlyList<Call> calls)
    {
        long a = 1, b = 1, c = 1;
        foreach (var call in calls)
        {
            var (ea, eb, ec) = call.Extents;
            a = Math.Max(a, ea); b = Math.Max(b, eb); c = Math.Max(c, ec);
        }
        var rng = new Rng(77);
        var A = new float[a]; var B = new float[b]; var C = new float[c];
        rng.FillUniform(A, -0.1f, 0.1f);
        rng.Fork(1).FillUniform(B, -0.1f, 0.1f);
        return (A, B, C);
    }

    /// <summary>Wall seconds to run <paramref name="calls"/> in order through <paramref name="gemm"/> on the given buffers.</summary>
    public static double Replay(IGemm gemm, IReadOnlyList<Call> calls, float[] a, float[] b, float[] c)
    {
        long t0 = Stopwatch.GetTimestamp();
        foreach (var x in calls)
            gemm.Sgemm(x.TransA, x.TransB, x.M, x.N, x.K, 1f, a, x.Lda, b, x.Ldb, x.Beta == 0f ? 0f : 1f, c, x.Ldc);
        return Stopwatch.GetElapsedTime(t0).TotalSeconds;
    }

    /// <summary>2·m·n·k summed over <paramref name="calls"/>.</summary>
    public static double Flops(IEnumerable<Call> calls) => calls.Sum(c => c.Flops);
}
