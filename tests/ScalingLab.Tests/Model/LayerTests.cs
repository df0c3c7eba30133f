using ScalingLab.Model;
using ScalingLab.Tensors;
using ScalingLab.Tests.Tensors.Kernels;

namespace ScalingLab.Tests.Model;

/// <summary>Each layer alone: forward against float64 index loops, backward against float64 central differences.</summary>
public class LayerTests
{
    [Theory]
    [InlineData(false, true)]
    [InlineData(true, true)]
    [InlineData(false, false)]
    [InlineData(true, false)]
    public void LinearMatchesFloat64AndFiniteDifferences(bool outIn, bool withBias)
    {
        const int rows = 3, inDim = 5, outDim = 4;
        var x = Fd.Random(rows * inDim, 1); var w = Fd.Random(inDim * outDim, 2);
        var b = withBias ? Fd.Random(outDim, 3) : []; var dy = Fd.Random(rows * outDim, 4);
        double[] Ref(double[] xx, double[] ww, double[] bb)
        {
            var y = new double[rows * outDim];
            for (int r = 0; r < rows; r++)
                for (int j = 0; j < outDim; j++)
                {
                    double s = bb.Length > 0 ? bb[j] : 0;
                    for (int i = 0; i < inDim; i++) s += xx[r * inDim + i] * (outIn ? ww[j * inDim + i] : ww[i * outDim + j]);
                    y[r * outDim + j] = s;
                }
            return y;
        }
        var gemm = new ReferenceGemm();
        var y = new float[rows * outDim];
        Linear.Forward(gemm, outIn, x, w, b, y, rows, inDim, outDim);
        double[] xd = Fd.ToDouble(x), wd = Fd.ToDouble(w), bd = Fd.ToDouble(b);
        Fd.Close(Ref(xd, wd, bd), y, 1e-5, 1e-6, "y");

        var dx = new float[x.Length]; Array.Fill(dx, 9f); // overwritten
        var dw = new float[w.Length]; Array.Fill(dw, 1f);  // accumulated
        var db = new float[b.Length]; Array.Fill(db, 1f);
        Linear.Backward(gemm, outIn, dy, x, w, dw, db, dx, rows, inDim, outDim);
        Fd.Close(Fd.Gradient(xd, v => Fd.Dot(Ref(v, wd, bd), dy)), dx, 1e-5, 1e-6, "dx");
        Fd.Close(Fd.Gradient(wd, v => Fd.Dot(Ref(xd, v, bd), dy)).Select(g => g + 1).ToArray(), dw, 1e-5, 1e-6, "dw");
        if (withBias) Fd.Close(Fd.Gradient(bd, v => Fd.Dot(Ref(xd, wd, v), dy)).Select(g => g + 1).ToArray(), db, 1e-5, 1e-6, "db");
    }

    [Fact]
    public void RotaryMatchesGptNeoXFormulaAndInvertsInBackward()
    {
        const int hs = 8, T = 6;
        var rot = new Rotary(hs, 0.5, T); // 4 rotated dims, pairs (0,2) and (1,3); dims 4..7 pass through
        Assert.Equal(4, rot.Dims);
        var v = Fd.Random(hs, 5);
        for (int t = 0; t < T; t++)
        {
            var r = (float[])v.Clone();
            rot.Forward(r, t);
            for (int i = 0; i < 2; i++)
            {
                double th = t * Math.Pow(10000, -2.0 * i / 4);
                Assert.Equal(v[i] * Math.Cos(th) - v[i + 2] * Math.Sin(th), r[i], 5);
                Assert.Equal(v[i + 2] * Math.Cos(th) + v[i] * Math.Sin(th), r[i + 2], 5);
            }
            for (int i = 4; i < hs; i++) Assert.Equal(v[i], r[i]);
            // A rotation is orthogonal: the backward (transpose) undoes the forward.
            rot.Backward(r, t);
            Fd.Close(Fd.ToDouble(v), r, 1e-5, 1e-6, $"t={t}");
        }
    }

    [Theory]
    [InlineData(5, 4)]
    [InlineData(9, 8)]
    [InlineData(70, 4)] // two causal blocks, the second one partial
    public void CausalAttentionMatchesFloat64AndFiniteDifferences(int T, int hs)
    {
        // One head inside a wider qkv row (stride 3·hs + 2, columns shuffled) to exercise the strides.
        int stride = 3 * hs + 2, qc = 1, kc = 2 + 2 * hs, vc = 2 + hs;
        var qkv = Fd.Random(T * stride, 7); var dy = Fd.Random(T * hs, 8);
        double[] Ref(double[] a)
        {
            var y = new double[T * hs];
            for (int t = 0; t < T; t++)
            {
                var s = new double[t + 1];
                for (int j = 0; j <= t; j++)
                {
                    for (int d = 0; d < hs; d++) s[j] += a[t * stride + qc + d] * a[j * stride + kc + d];
                    s[j] /= Math.Sqrt(hs);
                }
                double mx = s.Max(), z = s.Sum(u => Math.Exp(u - mx));
                for (int j = 0; j <= t; j++)
                    for (int d = 0; d < hs; d++) y[t * hs + d] += Math.Exp(s[j] - mx) / z * a[j * stride + vc + d];
            }
            return y;
        }
        var y = new float[T * hs]; var att = new float[T * T];
        CausalSelfAttention.Forward(new ReferenceGemm(), qkv, stride, qc, kc, vc, y, hs, 0, att, T, hs);
        var qd = Fd.ToDouble(qkv);
        Fd.Close(Ref(qd), y, 1e-5, 1e-6, "y");

        var dqkv = new float[qkv.Length]; Array.Fill(dqkv, 7f);
        CausalSelfAttention.Backward(new ReferenceGemm(), qkv, stride, qc, kc, vc, dy, hs, 0, att, dqkv, new float[T * T], T, hs);
        var expected = Fd.Gradient(qd, v => Fd.Dot(Ref(v), dy));
        // Columns outside this head's q, k, v are not touched (they belong to other heads).
        for (int t = 0; t < T; t++) { expected[t * stride] = 7; expected[t * stride + 1 + hs] = 7; }
        Fd.Close(expected, dqkv, 1e-4, 1e-5, "dqkv");
    }
}
