using System.Diagnostics;
using ScalingLab.Common;

namespace ScalingLab.Reports;

/// <summary>What the rendering check saw.</summary>
public sealed record RenderResult(string Png, int Width, int Height, int Bands, int InkedBands, long ColouredPixels,
                                  IReadOnlyList<string> MissingSections)
{
    /// <summary>True when the page is mostly non-blank, shows coloured plot pixels, and every section rendered.</summary>
    public bool Ok => MissingSections.Count == 0 && InkedBands * 2 >= Bands && ColouredPixels >= 5000; // links and headings alone give about 2,000

    /// <summary>One line for people.</summary>
    public override string ToString() =>
        $"{Png}: {Width}×{Height}, {InkedBands}/{Bands} bands of 100 px non-blank, {ColouredPixels} coloured pixels" +
        (MissingSections.Count > 0 ? $", missing sections: {string.Join(", ", MissingSections)}" : ", every section present");
}

/// <summary>
/// Looks at a report as a reader would: renders report.html with headless Chromium (Debian's chromium package) to a
/// PNG and checks that the page is not blank (bands of 100 px containing ink), that plots drew coloured pixels,
/// and (from the rendered DOM) that every section's heading is there.
/// </summary>
public static class RenderCheck
{
    /// <summary>The Chromium executable, or null when none is installed.</summary>
    public static string? Chromium() =>
        new[] { "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome" }.FirstOrDefault(File.Exists);

    /// <summary>
    /// Renders <paramref name="html"/> to <paramref name="png"/> and checks it against <paramref name="sectionTitles"/>.
    /// Height 0 = tall enough for the page's figures (Chromium's headless screenshot is one window, not the full page).
    /// </summary>
    public static RenderResult Run(string html, string png, IReadOnlyList<string> sectionTitles, int width = 1200, int height = 0)
    {
        if (height <= 0)
        {
            int figures = System.Text.RegularExpressions.Regex.Matches(File.ReadAllText(html), "<figure>").Count;
            height = Math.Clamp(2500 + 800 * figures, 3000, 16000);
        }
        string chromium = Chromium() ?? throw new UserError("report check: Chromium is not installed (apt-get install chromium)");
        string url = new Uri(Path.GetFullPath(html)).AbsoluteUri;
        string profile = Directory.CreateTempSubdirectory("scalinglab-chromium-").FullName;
        try
        {
            string[] common = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
                               "--disable-dev-shm-usage", $"--user-data-dir={profile}", "--virtual-time-budget=5000"];
            Exec(chromium, [.. common, $"--screenshot={Path.GetFullPath(png)}", $"--window-size={width},{height}", url], out _);
            if (!File.Exists(png)) throw new UserError($"report check: Chromium wrote no screenshot to {png}");
            Exec(chromium, [.. common, "--dump-dom", url], out string dom);
            var missing = sectionTitles.Where(t => !dom.Contains(System.Net.WebUtility.HtmlEncode(t), StringComparison.Ordinal)).ToList();
            var img = PngImage.Read(png);
            // The page ends where the last ink is; bands below that are the window's empty tail, not the report.
            int last = 0;
            for (int y = img.Height - 1; y >= 0 && last == 0; y--)
                for (int x = 0; x < img.Width; x += 2)
                    if (Ink(img[x, y])) { last = y; break; }
            int bands = 0, inked = 0;
            long coloured = 0;
            for (int y0 = 0; y0 <= last; y0 += 100)
            {
                bands++;
                long ink = 0;
                for (int y = y0; y < Math.Min(y0 + 100, last + 1); y++)
                    for (int x = 0; x < img.Width; x++)
                    {
                        var p = img[x, y];
                        if (Ink(p)) ink++;
                        if (Math.Max(p.R, Math.Max(p.G, p.B)) - Math.Min(p.R, Math.Min(p.G, p.B)) > 60) coloured++;
                    }
                if (ink > img.Width) inked++; // more than one row's worth of ink in the band
            }
            return new RenderResult(png, img.Width, img.Height, bands, inked, coloured, missing);
        }
        finally
        {
            try { Directory.Delete(profile, recursive: true); } catch (IOException) { }
        }
    }

    private static bool Ink((byte R, byte G, byte B) p) => p.R < 235 || p.G < 235 || p.B < 235;

    private static void Exec(string exe, string[] args, out string stdout)
    {
        var psi = new ProcessStartInfo(exe) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi) ?? throw new UserError($"report check: could not start {exe}");
        var err = p.StandardError.ReadToEndAsync();
        stdout = p.StandardOutput.ReadToEnd();
        if (!p.WaitForExit(120_000))
        {
            p.Kill(entireProcessTree: true);
            throw new UserError("report check: Chromium did not finish within 2 minutes");
        }
        if (p.ExitCode != 0) throw new UserError($"report check: Chromium failed ({p.ExitCode}): {err.Result.Trim().Split('\n')[^1]}");
    }
}
