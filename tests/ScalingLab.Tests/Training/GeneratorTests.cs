using ScalingLab.Tensors;
using ScalingLab.Training;

namespace ScalingLab.Tests.Training;

public class GeneratorTests
{
    [Fact]
    public void ZeroTemperatureIsArgmax()
    {
        var rng = new Rng(1);
        var scratch = new float[4];
        Assert.Equal(2, Generator.SampleNext([0.1f, -3f, 5f, 4.9f], 0f, 0, ref rng, scratch));
        Assert.Equal(2, Generator.SampleNext([0.1f, -3f, 5f, 4.9f], 1f, 1, ref rng, scratch)); // top-1 is greedy too
    }

    [Fact]
    public void SamplingFrequenciesFollowTemperedSoftmaxWithinTopK()
    {
        float[] logits = [1f, 2f, 0f, 3f, -1f];
        float temp = 0.7f;
        int topK = 3; // keeps ids 3, 1, 0
        double[] p = new double[5];
        double z = 0;
        foreach (int i in new[] { 0, 1, 3 }) z += Math.Exp(logits[i] / temp);
        foreach (int i in new[] { 0, 1, 3 }) p[i] = Math.Exp(logits[i] / temp) / z;
        var rng = new Rng(42);
        var scratch = new float[5];
        var counts = new int[5];
        const int N = 40_000;
        for (int n = 0; n < N; n++) counts[Generator.SampleNext(logits, temp, topK, ref rng, scratch)]++;
        Assert.Equal(0, counts[2]);
        Assert.Equal(0, counts[4]);
        for (int i = 0; i < 5; i++)
        {
            double sd = Math.Sqrt(N * p[i] * (1 - p[i]));
            Assert.True(Math.Abs(counts[i] - N * p[i]) <= 5 * sd + 1, $"id {i}: {counts[i]} vs {N * p[i]:F0}");
        }
    }
}
