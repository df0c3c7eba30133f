using System.Text.Json;
using ScalingLab.Common;
using ScalingLab.Data;
using ScalingLab.Memory;
using ScalingLab.Model;
using ScalingLab.Tensors;

namespace ScalingLab.Tests.Memory;

public class RadiusAnalysisTests
{
    private static readonly IGemm G = Gemm.Create("managed", 1);

    [Fact]
    public void ChunkStartsAreDrawnWithoutReplacement()
    {
        // every start once when as many chunks as starts are asked for (with replacement, ~37% would repeat)
        var all = ActivationSampler.ChunkStarts(500, 500, seed: 3);
        Assert.Equal(Enumerable.Range(0, 500).Select(i => (long)i), all.Order());
        var some = ActivationSampler.ChunkStarts(1_000_000, 20_000, seed: 5);
        Assert.Equal(some.Length, some.Distinct().Count());
        Assert.All(some, s => Assert.InRange(s, 0, 999_999));
        Assert.Equal(some, ActivationSampler.ChunkStarts(1_000_000, 20_000, seed: 5));
        Assert.Throws<UserError>(() => ActivationSampler.ChunkStarts(10, 11, seed: 1));
    }

    [Fact]
    public void ChunkStartsAreUniform()
    {
        // 3 of 10 over 4000 seeds: each start is drawn with probability 3/10 → 1200 ± 29 (sd); allow 5 sd
        var counts = new int[10];
        for (ulong seed = 0; seed < 4000; seed++)
            foreach (long s in ActivationSampler.ChunkStarts(10, 3, seed)) counts[s]++;
        Assert.All(counts, c => Assert.InRange(c, 1200 - 145, 1200 + 145));
    }

    [Fact]
    public void SampledActivationsHaveNoDuplicateChunk()
    {
        // 207 distinct tokens, windows of 8: 200 starts, all taken; every window ends in a different token, so no two
        // vectors coincide and no NN distance is 0 (drawn with replacement, about 73 would be exact copies)
        const int t = 8, starts = 200;
        var tokens = new ArrayTokens(Enumerable.Range(0, starts + t - 1).ToArray(), starts + t - 1);
        var cfg = new ModelConfig { NLayer = 1, DModel = 16, NHead = 2, DFf = 32, NCtx = t, VocabSize = starts + t - 1 };
        var model = new TransformerLm(cfg, 16, t, G, 1);
        model.InitializeWeights(2);
        var x = ActivationSampler.FinalPositions(model, tokens, starts, seed: 9);
        var nn = NearestNeighbours.BruteForce(x, starts, 16);
        Assert.All(nn.Distance, d => Assert.True(d > 1e-6, $"NN distance {d}"));
    }

    [Fact]
    public void GaussianFitReproducesTheSampleMeanAndCovariance()
    {
        const int m = 300, n = 6;
        var x = Correlated(m, n, seed: 4);
        var fit = GaussianNull.Fit(x, m, n, G);
        // float64 brute force
        var mean = new double[n];
        for (int i = 0; i < m; i++) for (int j = 0; j < n; j++) mean[j] += x[i * n + j] / (double)m;
        for (int a = 0; a < n; a++)
        {
            Assert.Equal(mean[a], fit.Mean[a], 1e-5);
            for (int b = 0; b < n; b++)
            {
                double cov = 0, llt = 0;
                for (int i = 0; i < m; i++) cov += (x[i * n + a] - mean[a]) * (x[i * n + b] - mean[b]);
                cov /= m - 1;
                for (int k = 0; k < n; k++) llt += (double)fit.Factor[a * n + k] * fit.Factor[b * n + k];
                Assert.Equal(cov, llt, 1e-3 * (1 + Math.Abs(cov)));
            }
        }
    }

    [Fact]
    public void NullPairDistancesMatchTheChiExpectation()
    {
        // z ~ N(μ, σ²I) in n = 8: ‖z₁ − z₂‖ = σ√2·χ₈, E = 2σ·Γ(9/2)/Γ(4) (analytic)
        const int n = 8, pairs = 20000;
        const double sigma = 1.5;
        var factor = new float[n * n];
        for (int i = 0; i < n; i++) factor[i * n + i] = (float)sigma;
        var fit = new GaussianFit(n, Enumerable.Repeat(3.0, n).ToArray(), factor, n * sigma * sigma);
        var z = GaussianNull.Sample(fit, 2 * pairs, seed: 7, G);
        double sum = 0;
        for (int p = 0; p < pairs; p++)
        {
            double d2 = 0;
            for (int j = 0; j < n; j++) { double d = z[2 * p * n + j] - z[(2 * p + 1) * n + j]; d2 += d * d; }
            sum += Math.Sqrt(d2);
        }
        double expected = 2 * sigma * Math.Exp(SpecialLogGamma(4.5) - SpecialLogGamma(4));
        Assert.Equal(expected, sum / pairs, 0.01 * expected); // sd of one distance ≈ 0.34 σ√2 → SE ≈ 0.2 %
    }

    [Fact]
    public void GaussianNearestNeighbourDistanceFollowsTheAsymptoticLaw()
    {
        // iid points of density f in R²: E[NN] ≈ Γ(3/2)·((m−1)π)^{-1/2}·∫f^{1/2} = √(2π/(m−1))·|Σ|^{1/4} for a Gaussian,
        // and the mean NN distance falls as m^{-1/2}: slope −1/2 in log–log
        const int m = 4000, n = 2;
        var x = new float[m * n];
        var rng = new Rng(11);
        for (int i = 0; i < m; i++) { x[2 * i] = (float)rng.NextNormal(); x[2 * i + 1] = (float)(2 * rng.NextNormal()); }
        var r = RadiusAnalysis.Measure(x, m, n, new RadiusOptions { NullDraws = 2, Seed = 3 }, "test", G, 1);
        double expected = Math.Sqrt(2 * Math.PI / (m - 1)) * Math.Pow(1.0 * 4.0, 0.25);
        Assert.Equal(expected, r.Mean, 0.04 * expected);
        Assert.Equal(expected, r.All.NullMeans.Average(), 0.04 * expected);
        Assert.InRange(r.Slope!.Value, -0.6, -0.4);
        Assert.InRange(r.NullSlope!.Value, -0.6, -0.4);
        // Gaussian data against its own Gaussian null: no different from chance
        Assert.InRange(r.RatioToNull!.Value, RadiusAnalysis.CloserBelow, RadiusAnalysis.FartherAbove);
        Assert.Equal("no different from chance", r.Verdict);
    }

    [Fact]
    public void ClusteredVectorsAreCloserThanChance()
    {
        // 50 cluster centres in R^16, 8 tight copies each: neighbours sit in the same cluster, far closer than a
        // Gaussian with the same mean and covariance puts them
        const int centres = 50, per = 8, n = 16, m = centres * per;
        var rng = new Rng(5);
        var c = new float[centres * n];
        rng.FillNormal(c, 0, 3);
        var x = new float[m * n];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++) x[i * n + j] = c[i / per * n + j] + 0.05f * (float)rng.NextNormal();
        var r = RadiusAnalysis.Measure(x, m, n, new RadiusOptions(), "clusters", G, 1);
        Assert.True(r.RatioToNull < 0.5, $"ratio {r.RatioToNull}");
        Assert.Equal("closer than chance", r.Verdict);
        Assert.Equal(r.Mean / (2 * Math.Sqrt(n / (2 * Math.PI * Math.E))), r.MeanOverTwoR, 12);
    }

    [Fact]
    public void RunWritesTheRecordAsJsonWithRatiosToTwoRAndToTheNull()
    {
        var dir = Directory.CreateTempSubdirectory("slrad");
        try
        {
            const int m = 120, n = 8;
            var x = Correlated(m, n, seed: 2);
            string file = Path.Combine(dir.FullName, "x.f32");
            File.WriteAllBytes(file, System.Runtime.InteropServices.MemoryMarshal.AsBytes(x.AsSpan()).ToArray());
            var r = RadiusAnalysis.Run(new RadiusOptions { Matrix = file, Dim = n, OutDir = Path.Combine(dir.FullName, "out"), Threads = 1, Gemm = "managed" });
            using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir.FullName, "out", "radius.json")));
            var root = doc.RootElement;
            Assert.Equal(r.MeanOverTwoR, root.GetProperty("mean_over_two_r").GetDouble(), 12);
            Assert.Equal(r.RatioToNull!.Value, root.GetProperty("ratio_to_null").GetDouble(), 12);
            Assert.Equal(4, root.GetProperty("subsets").GetArrayLength());
            Assert.Equal(3, root.GetProperty("subsets")[3].GetProperty("null_means").GetArrayLength());
            Assert.Contains("closer than chance when", root.GetProperty("verdict_rule").GetString());
            System.Xml.Linq.XDocument.Load(Path.Combine(dir.FullName, "out", "radius_histogram.svg"));
            Assert.Contains("mean/2r", r.Table());
            Assert.Contains("verdict:", r.Table());
            Assert.Contains(r.MeanOverTwoR.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture) + " × 2r", r.Finding());
            Assert.Contains("OpenWebText", r.Finding()); // what the paper measured, beside ours
        }
        finally
        {
            dir.Delete(true);
        }
    }

    [Fact]
    public void LogLogSlopeIsExactOnAPowerLaw()
    {
        var pts = new[] { 10, 20, 40, 80 }.Select(c => (c, 3.0 * Math.Pow(c, -0.25))).ToList();
        Assert.Equal(-0.25, RadiusAnalysis.LogLogSlope(pts)!.Value, 12);
        Assert.Null(RadiusAnalysis.LogLogSlope([(10, 1.0)]));
    }

    // rows x = A·w with a fixed mixing A: correlated coordinates with unequal variances
    private static float[] Correlated(int m, int n, ulong seed)
    {
        var rng = new Rng(seed);
        var a = new double[n * n];
        for (int i = 0; i < n * n; i++) a[i] = rng.NextNormal();
        var x = new float[m * n];
        var w = new double[n];
        for (int r = 0; r < m; r++)
        {
            for (int k = 0; k < n; k++) w[k] = rng.NextNormal();
            for (int i = 0; i < n; i++)
            {
                double s = 1.0;
                for (int k = 0; k < n; k++) s += a[i * n + k] * w[k];
                x[r * n + i] = (float)s;
            }
        }
        return x;
    }

    private static double SpecialLogGamma(double v) => MathNet.Numerics.SpecialFunctions.GammaLn(v);
}
