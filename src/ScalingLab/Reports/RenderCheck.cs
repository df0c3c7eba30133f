using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using ScalingLab.Common;

namespace ScalingLab.Reports;

/// <summary>
/// One figure of a rendered report: where it sits in the page, how many plotted (coloured) pixels it shows there and in
/// its standalone file, and the fraction of its pixels that differ between the two.
/// </summary>
public sealed record FigureRender(string File, int X, int Y, int Width, int Height, long PlottedPixels,
                                  long StandalonePlottedPixels, double DifferingFraction, string? Problem)
{
    /// <summary>At most this fraction of a figure's pixels may differ from its standalone render (anti-aliasing).</summary>
    public const double Tolerance = 0.002;

    /// <summary>The figure drew plotted pixels and matches its standalone render.</summary>
    public bool Ok => Problem is null && PlottedPixels > 0 && DifferingFraction <= Tolerance;

    /// <summary>One line for people.</summary>
    public override string ToString() =>
        Problem ?? Inv($"{File}: {Width}×{Height} at ({X}, {Y}), {PlottedPixels} plotted pixels (standalone {StandalonePlottedPixels}), {DifferingFraction:P2} of pixels differ");

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}

/// <summary>What the rendering check saw.</summary>
public sealed record RenderResult(string Png, int Width, int Height, int ExpectedFigures, IReadOnlyList<FigureRender> Figures,
                                  IReadOnlyList<string> MissingSections)
{
    /// <summary>Every section rendered, and every figure was found in the page and shows what its own file shows.</summary>
    public bool Ok => MissingSections.Count == 0 && Figures.Count == ExpectedFigures && Figures.All(f => f.Ok);

    /// <summary>One line for people (and the figures that failed).</summary>
    public override string ToString() =>
        $"{Png}: {Width}×{Height}, {Figures.Count(f => f.Ok)}/{ExpectedFigures} figures render as their files " +
        $"(worst {(Figures.Count == 0 ? 0 : Figures.Max(f => f.DifferingFraction)).ToString("P2", CultureInfo.InvariantCulture)} of pixels differ)" +
        (MissingSections.Count > 0 ? $", missing sections: {string.Join(", ", MissingSections)}" : ", every section present") +
        string.Concat(Figures.Where(f => !f.Ok).Select(f => "; " + f));
}

/// <summary>
/// Looks at a report as a reader would, with headless Chromium (Debian's chromium package): finds every figure's box
/// in the laid-out page, screenshots the page, screenshots each figure's own SVG file opened as a document of its own
/// (one iframe each), and compares the two pixel by pixel. A figure whose ids were captured by another figure's, or
/// that did not draw, differs from its file. The rendered DOM must also hold every section's heading.
/// </summary>
public static class RenderCheck
{
    /// <summary>The Chromium executable, or null when none is installed.</summary>
    public static string? Chromium() =>
        new[] { "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome" }.FirstOrDefault(File.Exists);

    /// <summary>
    /// Renders <paramref name="html"/> (figures are &lt;img&gt; or &lt;svg&gt; elements directly inside &lt;figure&gt;, each
    /// naming its file relative to the page in data-file) to <paramref name="png"/> at <paramref name="width"/> pixels
    /// and checks its figures and <paramref name="sectionTitles"/>.
    /// </summary>
    public static RenderResult Run(string html, string png, IReadOnlyList<string> sectionTitles, int width = 1200)
    {
        string chromium = Chromium() ?? throw new UserError("report check: Chromium is not installed (apt-get install chromium)");
        html = Path.GetFullPath(html);
        string dir = Path.GetDirectoryName(html)!;
        string page = File.ReadAllText(html);
        int expected = System.Text.RegularExpressions.Regex.Matches(page, "<figure>").Count;
        string work = Directory.CreateTempSubdirectory("scalinglab-render-").FullName;
        try
        {
            // 1. Layout: the same page plus a script that appends every figure's box after the content (so nothing
            //    above moves), read back from the rendered DOM.
            string probe = Path.Combine(dir, $".render-probe-{Environment.ProcessId}.html");
            File.WriteAllText(probe, page.Replace("</body>", ProbeScript + "</body>", StringComparison.Ordinal));
            string dom;
            try { dom = Exec(chromium, work, ["--dump-dom", $"--window-size={width},1000", Url(probe)]); }
            finally { File.Delete(probe); }
            var missing = sectionTitles.Where(t => !dom.Contains(WebUtility.HtmlEncode(t), StringComparison.Ordinal)).ToList();
            var m = System.Text.RegularExpressions.Regex.Match(dom, "<pre id=\"render-probe\">(.*?)</pre>", System.Text.RegularExpressions.RegexOptions.Singleline);
            if (!m.Success) throw new UserError($"report check: Chromium did not lay out {html}");
            var probeResult = JsonSerializer.Deserialize<ProbeResult>(WebUtility.HtmlDecode(m.Groups[1].Value))
                              ?? throw new UserError("report check: unreadable layout");
            var boxes = probeResult.Figures ?? [];

            // 2. The page as a reader sees it, tall enough for all of it.
            int height = Math.Clamp(probeResult.Height + 20, 200, 32000);
            Exec(chromium, work, [$"--screenshot={Path.GetFullPath(png)}", $"--window-size={width},{height}", Url(html)]);
            if (!File.Exists(png)) throw new UserError($"report check: Chromium wrote no screenshot to {png}");
            var img = PngImage.Read(png);

            // 3. Each figure's file as a document of its own, one iframe per figure, stacked.
            var standalone = new List<(Box Box, int Y)>();
            var sb = new System.Text.StringBuilder("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><style>body{margin:0}iframe{display:block;border:0;margin:0 0 16px 0}</style></head><body>\n");
            int y = 0, standWidth = 100;
            foreach (var b in boxes.Where(b => b.File is not null && File.Exists(Path.Combine(dir, b.File))))
            {
                var (w, h) = ReportDocument.SvgSize(File.ReadAllText(Path.Combine(dir, b.File!)));
                sb.Append(CultureInfo.InvariantCulture, $"<iframe scrolling=\"no\" width=\"{w}\" height=\"{h}\" src=\"{Url(Path.Combine(dir, b.File!))}\"></iframe>\n");
                standalone.Add((b, y));
                y += h + 16;
                standWidth = Math.Max(standWidth, w);
            }
            sb.Append("</body></html>\n");
            PngImage? alone = null;
            if (standalone.Count > 0)
            {
                string standHtml = Path.Combine(work, "standalone.html"), standPng = Path.Combine(work, "standalone.png");
                File.WriteAllText(standHtml, sb.ToString());
                Exec(chromium, work, ["--allow-file-access-from-files", $"--screenshot={standPng}",
                                      $"--window-size={standWidth},{Math.Clamp(y, 100, 32000)}", Url(standHtml)]);
                alone = PngImage.Read(standPng);
            }

            var figures = new List<FigureRender>();
            foreach (var b in boxes)
            {
                int bx = (int)Math.Round(b.X), by = (int)Math.Round(b.Y), bw = (int)Math.Round(b.W), bh = (int)Math.Round(b.H);
                string name = b.File ?? "(figure without data-file)";
                int k = standalone.FindIndex(s => ReferenceEquals(s.Box, b));
                if (k < 0 || alone is null) { figures.Add(new(name, bx, by, bw, bh, 0, 0, 1, $"{name}: no standalone file beside the page")); continue; }
                var (fw, fh) = ReportDocument.SvgSize(File.ReadAllText(Path.Combine(dir, b.File!)));
                if (fw != bw || fh != bh)
                {
                    figures.Add(new(name, bx, by, bw, bh, 0, 0, 1, $"{name}: shown at {bw}×{bh}, its file is {fw}×{fh} (scaled, not comparable)"));
                    continue;
                }
                if (bx < 0 || by < 0 || bx + bw > img.Width || by + bh > img.Height)
                {
                    figures.Add(new(name, bx, by, bw, bh, 0, 0, 1, $"{name}: outside the screenshot"));
                    continue;
                }
                // The layout box is in fractional CSS pixels and Chromium snaps the image to whole ones: compare at the
                // rounded position and its one-pixel neighbours and keep the best match (a clipped or empty figure
                // differs at every offset).
                FigureRender? best = null;
                for (int dy = -1; dy <= 1; dy++)
                    for (int dx = -1; dx <= 1; dx++)
                    {
                        int x0 = bx + dx, y0 = by + dy;
                        if (x0 < 0 || y0 < 0 || x0 + bw > img.Width || y0 + bh > img.Height) continue;
                        var r = Compare(name, img, x0, y0, alone, 0, standalone[k].Y, bw, bh);
                        if (best is null || r.DifferingFraction < best.DifferingFraction) best = r;
                    }
                figures.Add(best ?? Compare(name, img, bx, by, alone, 0, standalone[k].Y, bw, bh));
            }
            return new RenderResult(png, img.Width, img.Height, expected, figures, missing);
        }
        finally
        {
            try { Directory.Delete(work, recursive: true); } catch (IOException) { }
        }
    }

    /// <summary>Pixels of the w×h box at (ax, ay) in <paramref name="a"/> against the one at (bx, by) in <paramref name="b"/>.</summary>
    internal static FigureRender Compare(string name, PngImage a, int ax, int ay, PngImage b, int bx, int by, int w, int h)
    {
        long plottedA = 0, plottedB = 0, differ = 0;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                var p = a[ax + x, ay + y];
                var q = by + y < b.Height && bx + x < b.Width ? b[bx + x, by + y] : ((byte)255, (byte)255, (byte)255);
                if (Coloured(p)) plottedA++;
                if (Coloured(q)) plottedB++;
                int d = Math.Max(Math.Abs(p.R - q.Item1), Math.Max(Math.Abs(p.G - q.Item2), Math.Abs(p.B - q.Item3)));
                if (d > 48) differ++;
            }
        return new FigureRender(name, ax, ay, w, h, plottedA, plottedB, w * h == 0 ? 1 : differ / (double)(w * h), null);
    }

    /// <summary>A plotted pixel: saturated colour (series, bands, bars), not the greys of text, frames and grid.</summary>
    internal static bool Coloured((byte R, byte G, byte B) p) =>
        Math.Max(p.R, Math.Max(p.G, p.B)) - Math.Min(p.R, Math.Min(p.G, p.B)) > 60;

    private const string ProbeScript =
        "<script>(function(){var f=[];document.querySelectorAll('figure > img, figure > svg').forEach(function(e){" +
        "var r=e.getBoundingClientRect();f.push({X:r.left+scrollX+e.clientLeft,Y:r.top+scrollY+e.clientTop,W:e.clientWidth,H:e.clientHeight,File:e.getAttribute('data-file')});});" +
        "var p=document.createElement('pre');p.id='render-probe';" +
        "p.textContent=JSON.stringify({Height:document.documentElement.scrollHeight,Figures:f});document.body.appendChild(p);})();</script>";

    private sealed record Box(double X, double Y, double W, double H, string? File);

    private sealed record ProbeResult(int Height, List<Box>? Figures);

    private static string Url(string path) => new Uri(Path.GetFullPath(path)).AbsoluteUri;

    private static string Exec(string exe, string profile, string[] args)
    {
        var psi = new ProcessStartInfo(exe) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in (string[])["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
                                     "--disable-dev-shm-usage", $"--user-data-dir={Path.Combine(profile, "profile")}",
                                     "--virtual-time-budget=5000", .. args])
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi) ?? throw new UserError($"report check: could not start {exe}");
        var err = p.StandardError.ReadToEndAsync();
        string stdout = p.StandardOutput.ReadToEnd();
        if (!p.WaitForExit(120_000))
        {
            p.Kill(entireProcessTree: true);
            throw new UserError("report check: Chromium did not finish within 2 minutes");
        }
        if (p.ExitCode != 0) throw new UserError($"report check: Chromium failed ({p.ExitCode}): {err.Result.Trim().Split('\n')[^1]}");
        return stdout;
    }
}
