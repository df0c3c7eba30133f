using ScalingLab.Tensors;
using ScalingLab.Tensors.Kernels;

namespace ScalingLab.Tests.Tensors.Kernels;

public class ShiftedExpTests
{
    /// <summary>float64 Math.Exp is the oracle: relative error in units of float's epsilon (2^-23 of the value).</summary>
    private static double UlpError(float got, double want) =>
        want == 0 ? Math.Abs(got) / float.Epsilon : Math.Abs(got - want) / (Math.Abs(want) * Math.Pow(2, -23));

    [Fact]
    public void WithinTwoUlpOfFloat64ExpOverTheWholeRangeAndSumsInOrder()
    {
        // Every argument softmax and cross-entropy give it (x − max ≤ 0), dense near 0 and across the exponent range,
        // and a length that is not a multiple of any vector width (the scalar tail runs too).
        var rng = new Rng(5);
        var x = new float[20_011];
        rng.FillUniform(x.AsSpan(0, 10_000), -86.5f, 0f);
        rng.Fork(1).FillUniform(x.AsSpan(10_000, 10_000), -1f, 0f);
        for (int i = 20_000; i < x.Length; i++) x[i] = -0.25f * (i - 20_000); // exact binary fractions
        const float shift = 0.5f; // arguments up to +0.5 too
        var y = new float[x.Length];
        float sum = ShiftedExp.Apply(x, shift, y);
        double worst = 0, exactSum = 0;
        for (int i = 0; i < x.Length; i++)
        {
            double want = Math.Exp((double)(x[i] - shift));
            exactSum += want;
            worst = Math.Max(worst, UlpError(y[i], want));
        }
        Assert.True(worst <= 2.0, $"worst error {worst:F2} ulp");
        Assert.Equal(exactSum, sum, exactSum * 1e-5);
        Assert.Equal(sum, ShiftedExp.Sum(x, shift)); // the same lanes in the same order: the same bits
    }

    [Fact]
    public void UnderflowGivesZeroAndNaNStaysNaN()
    {
        var x = new[] { -200f, -87.4f, -87.3f, 0f, float.NaN, -1e30f, -100f, -90f, -88f, -50f, -1f, -2f, -3f, -4f, -5f, -6f, -7f };
        var y = new float[x.Length];
        ShiftedExp.Apply(x, 0f, y);
        // Vector512: exactly 0 below −87.3; the TensorPrimitives fallback (CPUs without AVX-512) gives the subnormals.
        Assert.True(System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated ? y[0] == 0f && y[1] == 0f : y[0] == 0f && y[1] < 1.2e-38f);
        Assert.True(y[2] > 0f && y[2] < 1.3e-38f);
        // exp(0): exactly 1 on Vector512; TensorPrimitives' exp is within its 2 ulp (it gives 1 + 2⁻²³ on AVX2).
        Assert.True(System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated ? y[3] == 1f : Math.Abs(y[3] - 1f) <= 2.4e-7f, $"exp(0) = {y[3]}");
        Assert.True(float.IsNaN(y[4]));
        Assert.Equal(0f, y[5]); // −1e30: 0 on both paths
        var one = new float[1];
        ShiftedExp.Apply(new[] { -1f }, 0f, one);
        // A full vector's lane and the padded tail give the same bits on Vector512 (TensorPrimitives' scalar tail may
        // differ from its vector lanes in the last bit; callers hand it whole rows, so positions do not move).
        if (System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated) Assert.Equal(y[10], one[0]);
        else Assert.Equal(y[10], one[0], 1e-7f);
    }
}
