using System.Globalization;
using System.Text.Json;
using System.Xml.Linq;
using ScalingLab.Laws;
using ScalingLab.Tests.Laws;

namespace ScalingLab.Tests.Cli;

public class FitCommandTests
{
    /// <summary>A CSV of 36 noisy Chinchilla-law runs (N, D, loss, name) in a fresh temp folder.</summary>
    private static string SyntheticCsv(out DirectoryInfo dir, string? header = null, Func<int, FitPoint, string>? row = null)
    {
        dir = Directory.CreateTempSubdirectory("laws-fit-");
        var points = HuberFitTests.Synthetic(ChinchillaLaw.Hoffmann, 0.003, 21);
        var lines = new List<string> { header ?? "name,N,D,loss" };
        lines.AddRange(points.Select((p, i) => row?.Invoke(i, p) ?? string.Create(CultureInfo.InvariantCulture, $"run{i},{p.N:R},{p.D:R},{p.Loss:R}")));
        string path = Path.Combine(dir.FullName, "runs.csv");
        File.WriteAllLines(path, lines);
        return path;
    }

    [Fact]
    public void JsonHasTheTopLevelParametersAndIntervals()
    {
        string csv = SyntheticCsv(out var dir);
        try
        {
            string svg = Path.Combine(dir.FullName, "fit.svg");
            var (code, output, err) = CliRunner.Run("fit", "--csv", csv, "--name-column", "name", "--bootstrap", "8", "--threads", "2", "--json", "--plot", svg);
            Assert.True(code == 0, err);
            using var doc = JsonDocument.Parse(output);
            var r = doc.RootElement;
            var pars = r.GetProperty("parameters").EnumerateArray().ToDictionary(p => p.GetProperty("name").GetString()!);
            foreach (var key in new[] { "E", "A", "B", "alpha", "beta" }) Assert.True(pars.ContainsKey(key), key);
            Assert.True(r.TryGetProperty("objective", out _));
            Assert.Equal(0.34, pars["alpha"].GetProperty("estimate").GetDouble(), 0.03);
            Assert.True(r.GetProperty("converged").GetBoolean());
            Assert.True(pars["alpha"].GetProperty("identified").GetBoolean());
            var iv = pars["alpha"].GetProperty("interval");
            Assert.True(iv.GetProperty("lo").GetDouble() <= iv.GetProperty("hi").GetDouble());
            Assert.Equal(8, r.GetProperty("bootstrap").GetProperty("resamples").GetInt32());
            Assert.Equal(5, r.GetProperty("profiles").GetArrayLength());
            Assert.Equal(36, r.GetProperty("points").GetArrayLength());
            var first = r.GetProperty("points")[0];
            Assert.Equal("run0", first.GetProperty("name").GetString());
            double n0 = first.GetProperty("n").GetDouble(), d0 = first.GetProperty("d").GetDouble();
            Assert.Equal(Math.Pow(1 + Math.Pow(n0 / 6.4e13, 0.076 / 0.103) * 1.8e13 / d0, 0.103) - 1, first.GetProperty("kaplan_delta_l").GetDouble(), 1e-12);
            Assert.NotEmpty(XDocument.Load(svg).Descendants());
        }
        finally { dir.Delete(true); }
    }

    [Fact]
    public void TableShowsIntervalsAndAllocation()
    {
        string csv = SyntheticCsv(out var dir);
        try
        {
            var (code, output, err) = CliRunner.Run("fit", "--csv", csv, "--bootstrap", "4", "--threads", "2");
            Assert.True(code == 0, err);
            Assert.Contains("95% interval", output);
            Assert.Contains("N_opt@1e23", output);
            Assert.Contains("approach-3", output);
        }
        finally { dir.Delete(true); }
    }

    [Theory]
    [InlineData("missing-column")]
    [InlineData("negative")]
    [InlineData("nan")]
    [InlineData("too-few")]
    [InlineData("unknown-form")]
    [InlineData("no-file")]
    public void BadInputIsOneLine(string kind)
    {
        string csv = kind switch
        {
            "negative" => SyntheticCsv(out var d1, row: (i, p) => string.Create(CultureInfo.InvariantCulture, $"r{i},{(i == 3 ? -p.N : p.N):R},{p.D:R},{p.Loss:R}")),
            "nan" => SyntheticCsv(out var d2, row: (i, p) => string.Create(CultureInfo.InvariantCulture, $"r{i},{p.N:R},{p.D:R},{(i == 5 ? "NaN" : p.Loss.ToString("R", CultureInfo.InvariantCulture))}")),
            _ => SyntheticCsv(out var d3),
        };
        string[] args = kind switch
        {
            "missing-column" => ["fit", "--csv", csv, "--loss-column", "final_loss"],
            "too-few" => ["fit", "--csv", csv, "--drop-highest", "31"],
            "unknown-form" => ["fit", "--csv", csv, "--form", "kaplan-xyz"],
            "no-file" => ["fit", "--csv", csv + ".missing"],
            _ => ["fit", "--csv", csv],
        };
        try
        {
            var (code, output, err) = CliRunner.Run(args);
            Assert.NotEqual(0, code);
            Assert.Single(err.Trim().Split('\n'));
            Assert.Equal("", output);
            string expect = kind switch
            {
                "missing-column" => "final_loss", "negative" => "positive", "nan" => "NaN", "too-few" => "points for 5 parameters",
                "unknown-form" => "kaplan-xyz", _ => "does not exist",
            };
            Assert.Contains(expect, err);
        }
        finally { Directory.Delete(Path.GetDirectoryName(csv)!, true); }
    }

    [Fact]
    public void NonConvergenceExitsNonZeroUnlessAllowed()
    {
        string csv = SyntheticCsv(out var dir);
        try
        {
            var (code, _, err) = CliRunner.Run("fit", "--csv", csv, "--bootstrap", "0", "--max-iterations", "2", "--threads", "2");
            Assert.Equal(3, code);
            Assert.Contains("did not converge", err);
            Assert.Contains("--allow-unconverged", err);
            var (code2, output2, _) = CliRunner.Run("fit", "--csv", csv, "--bootstrap", "0", "--max-iterations", "2", "--threads", "2", "--allow-unconverged", "--json");
            Assert.Equal(0, code2);
            Assert.False(JsonDocument.Parse(output2).RootElement.GetProperty("converged").GetBoolean());
        }
        finally { dir.Delete(true); }
    }
}
