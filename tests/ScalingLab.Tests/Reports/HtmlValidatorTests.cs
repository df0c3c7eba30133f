using System.Diagnostics;
using ScalingLab.Reports;

namespace ScalingLab.Tests.Reports;

/// <summary>
/// report.html through a real HTML validator: the npm package html-validate (recommended rules, which include
/// no-dup-id), installed into tools/html-validate by scripts/setup.sh. test.sh runs the same validator on the quick
/// demo's report.
/// </summary>
public sealed class HtmlValidatorTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("scalinglab-html-");

    public void Dispose() => _dir.Delete(recursive: true);

    /// <summary>Runs html-validate on <paramref name="html"/>; returns (exit code, its report).</summary>
    internal static (int Code, string Output) Validate(string html)
    {
        string root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "ScalingLab.sln"))) root = Path.GetDirectoryName(root) ?? throw new InvalidOperationException("no repository root");
        string tool = Path.Combine(root, "tools", "html-validate");
        string exe = Path.Combine(tool, "node_modules", ".bin", "html-validate");
        Assert.True(File.Exists(exe), $"{exe} is missing: run scripts/setup.sh (npm ci in tools/html-validate)");
        var psi = new ProcessStartInfo(exe) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "--config", Path.Combine(tool, "htmlvalidate.json"), "--formatter", "text", html }) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        string output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, output + err.Result);
    }

    [Fact]
    public void ReportWithEveryKindOfBlockIsValidHtml()
    {
        var chart = new Chart("loss <vs> N & D", "N", "loss", AxisScale.Log).Line("a \"quoted\" line", [1, 10, 100], [3, 2, 1.5]);
        var panels = new[] { chart, chart };
        var sections = new List<ReportSection>
        {
            new ReportSection("sweep", "Sweep & runs").Text("Runs <b>not bold</b> — 12 of 12 done.")
                .Table(["run", "loss"], [["a", "2.1"], ["b", "2.0"]]),
            new ReportSection("laws", "Scaling laws").Figure("fit.svg", chart.ToSvg(), "The \"fit\" <figure> & caption")
                .Figure("grid.svg", ChartGrid.ToSvg(panels, 2), "Two panels with the same clip ids inside each file")
                .Code("scalinglab fit --points pts.csv <x>"),
        };
        string html = ReportDocument.Write(_dir.FullName, "Report <title> & more", sections);
        var (code, output) = Validate(html);
        Assert.True(code == 0, output);
        AssertUniqueIds(File.ReadAllText(html));
    }

    /// <summary>
    /// Every id="…" in the page is unique, markup inside inline SVG included (html-validate's no-dup-id does not look
    /// inside &lt;svg&gt;, where the old report's clip-path ids collided).
    /// </summary>
    internal static void AssertUniqueIds(string page)
    {
        var ids = System.Text.RegularExpressions.Regex.Matches(page, "\\bid=\"([^\"]*)\"").Select(m => m.Groups[1].Value).ToList();
        var dup = ids.GroupBy(i => i).Where(g => g.Count() > 1).Select(g => $"{g.Key} ×{g.Count()}").ToList();
        Assert.True(dup.Count == 0, "duplicate ids: " + string.Join(", ", dup));
    }

    [Fact]
    public void ValidatorCatchesDuplicateIds()
    {
        // The checks must be able to fail. The validator: two sections with one id.
        string html = Path.Combine(_dir.FullName, "dup.html");
        File.WriteAllText(html, "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>t</title></head><body>" +
            "<section id=\"laws\"><h2>a</h2></section><section id=\"laws\"><h2>b</h2></section></body></html>");
        var (code, output) = Validate(html);
        Assert.NotEqual(0, code);
        Assert.Contains("no-dup-id", output);
        // Our id check: the old report pasted SVGs that each defined id="c0clip" (which the validator passes).
        string svgs = "<svg width=\"10\" height=\"10\"><clipPath id=\"c0clip\"><rect width=\"5\" height=\"5\"/></clipPath></svg>";
        Assert.ThrowsAny<Xunit.Sdk.XunitException>(() => AssertUniqueIds(svgs + svgs));
    }
}
