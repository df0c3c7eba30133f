using ScalingLab.Common;
using ScalingLab.Memory;
using ScalingLab.Tensors;

namespace ScalingLab.Tests.Memory;

public class RetrievalTests
{
    [Fact]
    public void WellSeparatedPatternsAndSmallNoiseRetrieveTheNearestPattern()
    {
        var rng = new Rng(41);
        for (int trial = 0; trial < 40; trial++)
        {
            int n = 8 + rng.NextInt(40), d = 2 + rng.NextInt(60);
            var p = Retrieval.SpherePatterns(n, d, Math.Sqrt(n), (ulong)trial);
            double sep = Retrieval.MinSeparation(p);
            // well separated against log d, start within a quarter of the separation
            if (sep * sep < 8 * Math.Log(d) + 8) continue;
            int target = rng.NextInt(d);
            var x = p[target].ToArray();
            for (int k = 0; k < n; k++) x[k] += 0.25 * sep / Math.Sqrt(n) * rng.NextNormal() / 2;
            foreach (var update in new[] { RetrievalUpdate.Distance, RetrievalUpdate.Mchn })
            {
                var y = (double[])x.Clone();
                Retrieval.Iterate(p, y, 1.0, update, 100, 1e-12, new double[n], new double[d]);
                Energies.NearestNeighbour(p, y, out int nearest);
                Assert.Equal(target, nearest);
                double err = Math.Sqrt(y.Zip(p[target].ToArray(), (a, b) => (a - b) * (a - b)).Sum());
                Assert.True(err < 1e-3 * sep, $"trial {trial} {update}: error {err} vs separation {sep}");
            }
        }
    }

    [Fact]
    public void OneStepBoundHoldsOnRandomCases()
    {
        var rng = new Rng(42);
        for (int trial = 0; trial < 2000; trial++)
        {
            int n = 1 + rng.NextInt(16), d = 1 + rng.NextInt(20);
            var p = MemoryTestData.RandomPatterns(ref rng, n, d, 1.0);
            var x = MemoryTestData.RandomPoint(ref rng, p, 1.0);
            var check = Retrieval.OneStepBound(p, x, MemoryTestData.RandomBeta(ref rng));
            Assert.True(check.Holds(1e-9), check.ToString());
        }
    }

    [Fact]
    public void CapacityShowsUpAsAccuracyFallingWhenPatternsCrowd()
    {
        var easy = Retrieval.Run(new RetrievalSettings { Dim = 64, Patterns = 300, Noise = 0.3, Queries = 200 }, threads: 2);
        Assert.Equal(1.0, easy.Accuracy);
        Assert.True(easy.MeanIterations <= 5);
        var crowded = Retrieval.Run(new RetrievalSettings { Dim = 3, Patterns = 300, Noise = 0.3, Queries = 200 }, threads: 2);
        Assert.True(crowded.Accuracy < 0.5, $"accuracy {crowded.Accuracy}");
    }

    [Fact]
    public void ResultDoesNotDependOnThreads()
    {
        var s = new RetrievalSettings { Dim = 6, Patterns = 80, Noise = 0.4, Queries = 64, Beta = 0.5 };
        var a = Retrieval.Run(s, 1);
        var b = Retrieval.Run(s, 4);
        Assert.Equal(a.Accuracy, b.Accuracy);
        Assert.Equal(a.MeanIterations, b.MeanIterations);
        Assert.Equal(a.MedianFinalError, b.MedianFinalError);
    }

    [Fact]
    public void BadSettingsAreUserErrors()
    {
        Assert.Throws<UserError>(() => Retrieval.Run(new RetrievalSettings { Patterns = 0 }));
        Assert.Throws<UserError>(() => Retrieval.Run(new RetrievalSettings { Beta = 0 }));
        Assert.Throws<UserError>(() => Retrieval.Run(new RetrievalSettings { Noise = -1 }));
    }
}
