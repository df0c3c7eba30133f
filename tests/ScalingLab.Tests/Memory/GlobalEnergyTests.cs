using ScalingLab.Common;
using ScalingLab.Memory;
using ScalingLab.Tensors;

namespace ScalingLab.Tests.Memory;

public class GlobalEnergyTests
{
    [Fact]
    public void Eq8BoundsHoldForRandomLayerSplits()
    {
        var rng = new Rng(31);
        for (int trial = 0; trial < 1000; trial++)
        {
            int n = 1 + rng.NextInt(16), layers = 1 + rng.NextInt(8);
            var sets = new List<PatternSet>();
            for (int t = 0; t < layers; t++) sets.Add(MemoryTestData.RandomPatterns(ref rng, n, 1 + rng.NextInt(12), 1.0));
            var x = MemoryTestData.RandomPoint(ref rng, sets[0], 1.0);
            var kind = (LayerEnergyKind)rng.NextInt(3);
            var z = Enumerable.Range(0, layers).Select(_ => 0.1 + 5 * rng.NextDouble()).ToArray();
            var global = new GlobalEnergy(sets, kind, MemoryTestData.RandomBeta(ref rng), z);
            var check = global.Bounds(x);
            Assert.True(check.Holds(), $"{kind}: {check}");
            // independent: −log Σ_t exp(−E_t), naive (only where exp stays a normal double)
            double reference = -Math.Log(Enumerable.Range(0, layers).Sum(t => Math.Exp(-global.Layer(t, x))));
            if (Math.Abs(reference) < 600) Assert.Equal(reference, global.Value(x), 1e-9 * (1 + Math.Abs(reference)));
        }
    }

    [Fact]
    public void ForwardIsTheConstrainedMinimiserOfEachLayer()
    {
        var rng = new Rng(32);
        for (int trial = 0; trial < 100; trial++)
        {
            int n = 2 + rng.NextInt(4), layers = 1 + rng.NextInt(4);
            var sets = new List<PatternSet>();
            for (int t = 0; t < layers; t++) sets.Add(MemoryTestData.RandomPatterns(ref rng, n, 1 + rng.NextInt(6), 1.0));
            var global = new GlobalEnergy(sets);
            var delta = Enumerable.Range(0, layers).Select(_ => 0.5 * rng.NextDouble()).ToArray();
            var x0 = new double[n];
            for (int k = 0; k < n; k++) x0[k] = 2 * rng.NextNormal();
            var xs = global.Forward(x0, delta);
            for (int t = 0; t < layers; t++)
            {
                double step = xs[t].Zip(xs[t + 1], (a, b) => (a - b) * (a - b)).Sum();
                Assert.True(step <= delta[t] + 1e-12);
                double best = global.Layer(t, xs[t + 1]);
                // no random point of the ball does better
                for (int s = 0; s < 200; s++)
                {
                    var y = new double[n];
                    double norm = 0;
                    for (int k = 0; k < n; k++) { y[k] = rng.NextNormal(); norm += y[k] * y[k]; }
                    double rad = Math.Sqrt(delta[t]) * Math.Pow(rng.NextDouble(), 1.0 / n) / Math.Sqrt(norm);
                    for (int k = 0; k < n; k++) y[k] = xs[t][k] + rad * y[k];
                    Assert.True(global.Layer(t, y) >= best - 1e-12);
                }
            }
        }
    }

    [Fact]
    public void MixedLayerDimensionsAreAUserError()
    {
        var e = Assert.Throws<UserError>(() => new GlobalEnergy([PatternSet.Parse("1,2"), PatternSet.Parse("1,2,3")]));
        Assert.Contains("dimension", e.Message);
    }
}
