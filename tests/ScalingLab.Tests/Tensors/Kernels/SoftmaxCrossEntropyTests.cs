using ScalingLab.Tensors.Kernels;

namespace ScalingLab.Tests.Tensors.Kernels;

public class SoftmaxCrossEntropyTests
{
    private static double[] RefSoftmax(double[] x)
    {
        double max = x.Max();
        var e = x.Select(v => Math.Exp(v - max)).ToArray();
        double s = e.Sum();
        return e.Select(v => v / s).ToArray();
    }

    private static double RefLoss(double[] z, int target)
    {
        double max = z.Max();
        return max + Math.Log(z.Sum(v => Math.Exp(v - max))) - z[target];
    }

    [Fact]
    public void SoftmaxForwardIsShiftedAndMatchesFloat64()
    {
        var x = Fd.Random(53, 21, 3f);
        x[7] = 1000f; x[8] = 999f; // would overflow without the max shift
        var y = new float[x.Length];
        Softmax.Forward(x, y);
        Fd.Close(RefSoftmax(Fd.ToDouble(x)), y, 1e-5, 1e-7, "softmax");
    }

    [Fact]
    public void SoftmaxBackwardMatchesFiniteDifferences()
    {
        var x = Fd.Random(17, 22, 2f); var dy = Fd.Random(17, 23);
        var y = new float[x.Length]; var dx = new float[x.Length];
        Softmax.Forward(x, y);
        Softmax.Backward(dy, y, dx);
        var expected = Fd.Gradient(Fd.ToDouble(x), v => Fd.Dot(RefSoftmax(v), dy));
        Fd.Close(expected, dx, 1e-4, 1e-6, "dx");
    }

    [Fact]
    public void CrossEntropyLossAndGradientMatchFloat64()
    {
        var z = Fd.Random(101, 24, 3f);
        z[3] = 80f; // large logit: lse must stay finite
        const int target = 42;
        float loss = CrossEntropy.Forward(z, target, out float lse);
        Assert.Equal(RefLoss(Fd.ToDouble(z), target), loss, 1e-4);
        var d = (float[])z.Clone();
        CrossEntropy.Backward(d, target, lse, 0.5f);
        var expected = Fd.Gradient(Fd.ToDouble(z), v => 0.5 * RefLoss(v, target));
        Fd.Close(expected, d, 1e-4, 1e-6, "dlogits");
        // Analytic identity as a second oracle: the gradient sums to zero.
        Assert.Equal(0.0, d.Sum(v => (double)v), 1e-6);
    }

    [Fact]
    public void UniformLogitsGiveLogV()
    {
        var z = new float[50];
        float loss = CrossEntropy.Forward(z, 0, out _);
        Assert.Equal(Math.Log(50), loss, 5);
    }
}
