using ScalingLab.Common;
using ScottPlot;
using SkiaSharp;
using SpColor = ScottPlot.Color;

namespace ScalingLab.Reports;

/// <summary>
/// Draws <see cref="Chart"/>s with ScottPlot 5 (SkiaSharp underneath) as SVG or PNG. ScottPlot has no log axis: a log
/// axis is drawn as log10 of the data with <see cref="Ticks"/> placing labelled decades and minor ticks (and mantissa
/// labels when the range spans less than a decade, where a decade-only axis would show no label at all).
/// </summary>
public static class ChartRenderer
{
    /// <summary>The font every figure uses (Debian's fonts-dejavu-core; the same face Chromium picks for the SVG).</summary>
    public const string FontFamily = "DejaVu Sans";

    /// <summary>The panels laid out in rows of <paramref name="columns"/> as one SVG document (clip ids unique in it).</summary>
    public static string Svg(IReadOnlyList<Chart> charts, int columns)
    {
        var (w, h, cells) = Layout(charts, columns);
        using var stream = new MemoryStream();
        // Skia's SVG writer says "Unsupported path effect" on stderr for every dashed line, then draws the dashes as
        // filled outlines (right): keep that native chatter off the user's terminal.
        lock (StderrLock)
            using (QuietNativeStderr())
            using (var canvas = SKSvgCanvas.Create(new SKRect(0, 0, w, h), stream))
            {
                using var white = new SKPaint { Color = SKColors.White };
                canvas.DrawRect(0, 0, w, h, white);
                for (int i = 0; i < charts.Count; i++) RenderPanel(canvas, charts[i], cells[i]);
            }
        string svg = System.Text.Encoding.UTF8.GetString(stream.ToArray());
        // From the root element on (no XML declaration), with a viewBox so the picture scales with its box (an <img>
        // narrower than the figure, a zoomed page).
        int at = svg.IndexOf("<svg ", StringComparison.Ordinal);
        return at < 0 ? svg : svg[at..].Insert(5, $"viewBox=\"0 0 {w} {h}\" ");
    }

    /// <summary>The panels laid out in rows of <paramref name="columns"/> as one PNG image.</summary>
    public static byte[] Png(IReadOnlyList<Chart> charts, int columns)
    {
        var (w, h, cells) = Layout(charts, columns);
        using var surface = SKSurface.Create(new SKImageInfo(w, h)) ?? throw new InvalidOperationException("SkiaSharp could not make a surface");
        surface.Canvas.Clear(SKColors.White);
        for (int i = 0; i < charts.Count; i++) RenderPanel(surface.Canvas, charts[i], cells[i]);
        using var image = surface.Snapshot();
        using var data = image.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    private static readonly object StderrLock = new();

    /// <summary>Points file descriptor 2 at /dev/null until disposed (Linux and macOS; elsewhere a no-op).</summary>
    private static IDisposable QuietNativeStderr()
    {
        if (!(OperatingSystem.IsLinux() || OperatingSystem.IsMacOS())) return new Restore(-1);
        Console.Error.Flush();
        int saved = Libc.dup(2);
        int devNull = Libc.open("/dev/null", 1 /* O_WRONLY */);
        if (saved < 0 || devNull < 0)
        {
            if (saved >= 0) Libc.close(saved);
            if (devNull >= 0) Libc.close(devNull);
            return new Restore(-1);
        }
        Libc.dup2(devNull, 2);
        Libc.close(devNull);
        return new Restore(saved);
    }

    private sealed class Restore(int saved) : IDisposable
    {
        public void Dispose()
        {
            if (saved < 0) return;
            Libc.dup2(saved, 2);
            Libc.close(saved);
        }
    }

    private static class Libc
    {
        [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)] public static extern int dup(int fd);
        [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)] public static extern int dup2(int fd, int fd2);
        [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)] public static extern int close(int fd);
        [System.Runtime.InteropServices.DllImport("libc", SetLastError = true, CharSet = System.Runtime.InteropServices.CharSet.Ansi)]
        public static extern int open(string path, int flags);
    }

    // ScottPlot clears the canvas before drawing a plot; clipped to the panel's cell, that clear paints only the cell.
    private static void RenderPanel(SKCanvas canvas, Chart chart, PixelRect cell)
    {
        canvas.Save();
        canvas.ClipRect(new SKRect(cell.Left, cell.Top, cell.Right, cell.Bottom));
        Build(chart, cell.Width, cell.Height).Render(canvas, cell);
        canvas.Restore();
    }

    /// <summary>
    /// The widest figure, in pixels: report.html's text column (1100 px less padding), so that a figure shows in the
    /// report at its own size, pixel for pixel as its file.
    /// </summary>
    public const int MaxWidth = 1060;

    /// <summary>Panels narrower than this go to more rows instead.</summary>
    private const int MinPanelWidth = 500;

    /// <summary>
    /// Cells of the grid: rows of <paramref name="columns"/> panels, each its chart's size; a grid wider than
    /// <see cref="MaxWidth"/> first loses columns (down to panels of <see cref="MinPanelWidth"/>), then is scaled down.
    /// </summary>
    private static (int W, int H, PixelRect[] Cells) Layout(IReadOnlyList<Chart> charts, int columns)
    {
        if (charts.Count == 0) throw new ArgumentException("no charts", nameof(charts));
        columns = Math.Clamp(columns, 1, charts.Count);
        int cw = charts.Max(c => c.Width), ch = charts.Max(c => c.Height);
        if (cw * columns > MaxWidth) columns = Math.Max(1, Math.Min(columns, MaxWidth / Math.Min(cw, MinPanelWidth)));
        double scale = Math.Min(1.0, MaxWidth / (double)(cw * columns));
        int rows = (charts.Count + columns - 1) / columns;
        int sw = (int)Math.Floor(cw * scale), sh = (int)Math.Floor(ch * scale);
        var cells = new PixelRect[charts.Count];
        for (int i = 0; i < charts.Count; i++)
        {
            float x = (i % columns) * sw, y = (i / columns) * sh;
            cells[i] = new PixelRect(x, x + (float)Math.Floor(charts[i].Width * scale), y + (float)Math.Floor(charts[i].Height * scale), y);
        }
        return (sw * columns, sh * rows, cells);
    }

    /// <summary>The ScottPlot plot of one chart drawn <paramref name="width"/> × <paramref name="height"/> pixels.</summary>
    internal static Plot Build(Chart c, float width, float height)
    {
        var plt = new Plot();
        plt.Font.Set(FontFamily);
        if (!string.IsNullOrEmpty(c.Title)) plt.Title(c.Title, TitleSize(c.Title, width - 16));
        plt.XLabel(c.X.Label, 13);
        plt.YLabel(c.Y.Label, 13);
        plt.Axes.Bottom.TickLabelStyle.FontSize = 12;
        plt.Axes.Left.TickLabelStyle.FontSize = 12;

        // Colours first: legend and layers must agree; an unset colour takes the next categorical one.
        int next = 0;
        string Pick(string? col) => col ?? Palette.Category(next++);
        var bandColors = c.Bands.Select(b => Pick(b.Color)).ToArray();
        var barColors = c.Bars.Select(b => Pick(b.Color)).ToArray();
        var seriesColors = c.Series.Select(s => Pick(s.Color)).ToArray();
        var legend = new List<LegendItem>();
        Func<double, double> tx = Transform(c.X.Scale), ty = Transform(c.Y.Scale);

        for (int i = 0; i < c.Bands.Count; i++)
        {
            var b = c.Bands[i];
            var fill = SpColor.FromHex(bandColors[i]).WithAlpha(b.Opacity);
            int n = Math.Min(b.X.Length, Math.Min(b.Lower.Length, b.Upper.Length));
            foreach (var run in Runs(n, k => Ok(b.X[k], c.X.Scale) && Ok(b.Lower[k], c.Y.Scale) && Ok(b.Upper[k], c.Y.Scale)))
            {
                if (run.Length < 2) continue;
                var f = plt.Add.FillY(run.Select(k => tx(b.X[k])).ToArray(), run.Select(k => ty(b.Lower[k])).ToArray(),
                                      run.Select(k => ty(b.Upper[k])).ToArray());
                f.FillColor = fill;
                f.LineWidth = 0;
            }
            if (b.InLegend) legend.Add(new LegendItem { LabelText = b.Name, FillColor = fill, LineWidth = 0 });
        }

        for (int i = 0; i < c.Bars.Count; i++)
        {
            var b = c.Bars[i];
            var fill = SpColor.FromHex(barColors[i]).WithAlpha(0.75);
            double baseV = c.Y.Scale == AxisScale.Log ? double.NaN : 0;
            var bars = new List<Bar>();
            int n = Math.Min(b.Left.Length, Math.Min(b.Right.Length, b.Height.Length));
            for (int k = 0; k < n; k++)
            {
                if (!Ok(b.Left[k], c.X.Scale) || !Ok(b.Right[k], c.X.Scale) || !Ok(b.Height[k], c.Y.Scale)) continue;
                double l = tx(b.Left[k]), r = tx(b.Right[k]);
                bars.Add(new Bar { Position = (l + r) / 2, Size = Math.Abs(r - l), Value = ty(b.Height[k]), FillColor = fill,
                                   LineColor = Colors.White, LineWidth = 0.5f });
            }
            if (c.Y.Scale == AxisScale.Log && bars.Count > 0)
            {
                baseV = Math.Floor(bars.Min(x => x.Value));
                foreach (var x in bars) x.ValueBase = baseV;
            }
            if (bars.Count > 0) plt.Add.Bars(bars.ToArray());
            if (b.InLegend) legend.Add(new LegendItem { LabelText = b.Name, FillColor = fill, LineWidth = 0 });
        }

        var refLines = new List<(RefLine Line, ScottPlot.Plottables.AxisLine Plot)>();
        foreach (var r in c.RefLines)
        {
            if (!Ok(r.Value, r.Vertical ? c.X.Scale : c.Y.Scale)) continue;
            var color = SpColor.FromHex(r.Color);
            ScottPlot.Plottables.AxisLine line = r.Vertical
                ? plt.Add.VerticalLine(tx(r.Value), 1.5f, color, LinePattern.Dashed)
                : plt.Add.HorizontalLine(ty(r.Value), 1.5f, color, LinePattern.Dashed);
            line.ExcludeFromLegend = true;
            refLines.Add((r, line));
        }

        for (int i = 0; i < c.Series.Count; i++)
        {
            var s = c.Series[i];
            var color = SpColor.FromHex(seriesColors[i]);
            int n = Math.Min(s.X.Length, s.Y.Length);
            bool ok(int k) => Ok(s.X[k], c.X.Scale) && Ok(s.Y[k], c.Y.Scale);
            var pattern = s.Dashed ? LinePattern.Dashed : LinePattern.Solid;
            if (s.Kind != SeriesKind.Scatter)
            {
                // A run of drawable points per polyline: the line breaks where a point cannot be drawn.
                var runs = Runs(n, ok).Where(r => r.Length > 1).ToList();
                if (runs.Count > 0)
                {
                    // NaN between runs: ScottPlot breaks a scatter line at a non-finite point, so one plottable
                    // carries every run (a contour level is hundreds of segments).
                    var xs = new List<double>(); var ys = new List<double>();
                    foreach (var run in runs)
                    {
                        if (xs.Count > 0) { xs.Add(double.NaN); ys.Add(double.NaN); }
                        foreach (int k in run) { xs.Add(tx(s.X[k])); ys.Add(ty(s.Y[k])); }
                    }
                    var line = plt.Add.ScatterLine(xs.ToArray(), ys.ToArray(), color);
                    line.LineWidth = (float)s.Width;
                    line.LinePattern = pattern;
                }
            }
            if (s.Kind != SeriesKind.Line)
            {
                var pts = Enumerable.Range(0, n).Where(ok).ToArray();
                if (pts.Length > 0)
                {
                    var m = plt.Add.ScatterPoints(pts.Select(k => tx(s.X[k])).ToArray(), pts.Select(k => ty(s.Y[k])).ToArray(), color.WithAlpha(0.85));
                    m.MarkerSize = (float)(2 * s.MarkerRadius);
                    m.MarkerShape = MarkerShape.FilledCircle;
                }
            }
            if (s.InLegend && !string.IsNullOrWhiteSpace(s.Name))
            {
                var item = new LegendItem { LabelText = s.Name };
                if (s.Kind != SeriesKind.Scatter) { item.LineColor = color; item.LineWidth = 2; item.LinePattern = pattern; }
                else item.LineWidth = 0;
                if (s.Kind != SeriesKind.Line) { item.MarkerShape = MarkerShape.FilledCircle; item.MarkerFillColor = color; item.MarkerLineColor = color; item.MarkerSize = 8; }
                legend.Add(item);
            }
        }

        plt.Axes.AutoScale();
        var limits = plt.Axes.GetLimits();
        // Bars stand on zero: no margin below them on a linear axis.
        double? yFloor = c.Bars.Count > 0 && c.Y.Scale == AxisScale.Linear && c.Y.Min is null ? 0 : null;
        bool narrow = width < 700;
        // About one tick label per 70 px of axis (the data area is the panel less labels and legend).
        var (xlo, xhi) = SetAxis(plt, plt.Axes.Bottom, c.X, limits, horizontal: true, null, (int)((narrow ? width - 90 : width - 260) / 70));
        var (ylo, yhi) = SetAxis(plt, plt.Axes.Left, c.Y, limits, horizontal: false, yFloor, (int)((height - 110) / 45));

        // Reference-line labels inside the data area, beside the line's top (vertical; each one a line lower than the
        // one before, so labels of nearby lines do not overprint) or right end (horizontal).
        int verticals = 0;
        foreach (var (r, line) in refLines)
        {
            var text = r.Vertical ? plt.Add.Text(r.Label, line.Position, yhi) : plt.Add.Text(r.Label, xhi, line.Position);
            // A vertical line in the right third of the plot is labelled on its left, so the label stays inside.
            bool leftOfLine = r.Vertical && line.Position > xlo + 0.67 * (xhi - xlo);
            text.LabelAlignment = r.Vertical ? (leftOfLine ? Alignment.UpperRight : Alignment.UpperLeft) : Alignment.LowerRight;
            text.LabelOffsetX = r.Vertical && !leftOfLine ? 4 : -4;
            text.LabelOffsetY = r.Vertical ? 4 + 14 * verticals++ : -2;
            text.LabelFontSize = 11;
            text.LabelFontName = FontFamily;
            text.LabelFontColor = SpColor.FromHex(r.Color);
        }

        legend.RemoveAll(l => string.IsNullOrWhiteSpace(l.LabelText));
        if (legend.Count > 0)
        {
            plt.Legend.ManualItems.AddRange(legend);
            plt.Legend.FontSize = 12;
            plt.Legend.FontName = FontFamily;
            plt.Legend.SymbolWidth = 32; // long enough to show a dashed line as dashes
            // Beside the plot when there is room; under it on a narrow panel, where a side legend would halve the plot.
            plt.ShowLegend(narrow ? Edge.Bottom : Edge.Right);
        }
        return plt;
    }

    /// <summary>Range (data's, ScottPlot's margins; fixed ends from the axis) and ticks of one axis.</summary>
    private static (double Lo, double Hi) SetAxis(Plot plt, IAxis axis, Axis a, AxisLimits lim, bool horizontal, double? floor,
                                                  int maxLabels)
    {
        double lo = horizontal ? lim.Left : lim.Bottom, hi = horizontal ? lim.Right : lim.Top;
        var t = Transform(a.Scale);
        if (a.Min is double mn && Ok(mn, a.Scale)) lo = t(mn);
        if (a.Max is double mx && Ok(mx, a.Scale)) hi = t(mx);
        if (floor is double f) lo = f;
        if (!(hi > lo) || !double.IsFinite(lo) || !double.IsFinite(hi)) { lo = 0; hi = 1; }
        if (horizontal) plt.Axes.SetLimitsX(lo, hi); else plt.Axes.SetLimitsY(lo, hi);

        if (a.Categories is not null)
        {
            var manual = new ScottPlot.TickGenerators.NumericManual();
            foreach (var (v, label) in a.Categories) manual.AddMajor(t(v), label);
            axis.TickGenerator = manual;
        }
        else if (a.Scale == AxisScale.Log)
        {
            var manual = new ScottPlot.TickGenerators.NumericManual();
            foreach (var tick in Thin(Ticks.For(Math.Pow(10, lo), Math.Pow(10, hi), AxisScale.Log), Math.Max(2, maxLabels)))
            {
                if (tick.Label.Length > 0) manual.AddMajor(Math.Log10(tick.Value), tick.Label);
                else manual.AddMinor(Math.Log10(tick.Value));
            }
            axis.TickGenerator = manual;
        }
        else
        {
            // ScottPlot's automatic ticks, spaced for reading (its default packs a label every ~50 px).
            axis.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { TickDensity = 0.6 };
        }
        return (lo, hi);
    }

    /// <summary>Writes the panels to <paramref name="path"/> atomically: PNG for a .png name, SVG otherwise.</summary>
    internal static void Save(string path, IReadOnlyList<Chart> charts, int columns)
    {
        if (path.EndsWith(".png", StringComparison.OrdinalIgnoreCase)) AtomicFile.WriteAllBytes(path, Png(charts, columns));
        else AtomicFile.WriteAllText(path, Svg(charts, columns));
    }

    /// <summary>
    /// Log-axis ticks with at most about <paramref name="maxLabels"/> labels: first only mantissas 1, 2 and 5 keep
    /// theirs, then only powers of ten, then every k-th label; the unlabelled ones stay as minor ticks.
    /// </summary>
    private static IReadOnlyList<Tick> Thin(IReadOnlyList<Tick> ticks, int maxLabels)
    {
        static double Mantissa(double v) => Math.Round(v / Math.Pow(10, Math.Floor(Math.Log10(v) + 1e-9)), 6);
        IReadOnlyList<Tick> Keep(Func<Tick, bool> keep) =>
            ticks.Select(t => t.Label.Length > 0 && !keep(t) ? t with { Label = "", Major = false } : t).ToList();
        int Labels(IReadOnlyList<Tick> t) => t.Count(x => x.Label.Length > 0);
        if (Labels(ticks) <= maxLabels) return ticks;
        var fewer = Keep(t => Mantissa(t.Value) is 1 or 2 or 5);
        if (Labels(fewer) <= maxLabels && Labels(fewer) >= 2) return fewer;
        var decades = Keep(t => Mantissa(t.Value) == 1);
        if (Labels(decades) <= maxLabels && Labels(decades) >= 2) return decades;
        int every = (Labels(ticks) + maxLabels - 1) / maxLabels, i = 0;
        return Keep(_ => i++ % every == 0);
    }

    /// <summary>The title's font size: 15 px, smaller (down to 10) when the title is wider than <paramref name="room"/>.</summary>
    private static float TitleSize(string title, float room)
    {
        using var face = SKTypeface.FromFamilyName(FontFamily);
        for (float size = 15; size > 10; size -= 0.5f)
        {
            using var font = new SKFont(face, size);
            if (font.MeasureText(title) <= room) return size;
        }
        return 10;
    }

    private static Func<double, double> Transform(AxisScale s) => s == AxisScale.Log ? Math.Log10 : v => v;

    private static bool Ok(double v, AxisScale s) => double.IsFinite(v) && (s == AxisScale.Linear || v > 0);

    /// <summary>Maximal runs of consecutive indices in [0, n) where <paramref name="ok"/> holds.</summary>
    private static IEnumerable<int[]> Runs(int n, Func<int, bool> ok)
    {
        var run = new List<int>();
        for (int k = 0; k < n; k++)
        {
            if (ok(k)) { run.Add(k); continue; }
            if (run.Count > 0) { yield return run.ToArray(); run.Clear(); }
        }
        if (run.Count > 0) yield return run.ToArray();
    }
}

/// <summary>Several charts side by side in one figure (panels), laid out in rows of <c>columns</c>.</summary>
public static class ChartGrid
{
    /// <summary>The SVG of <paramref name="charts"/> in a grid; each keeps its own Width and Height.</summary>
    public static string ToSvg(IReadOnlyList<Chart> charts, int columns) => ChartRenderer.Svg(charts, columns);

    /// <summary>Writes the grid to <paramref name="path"/> atomically (PNG for a .png name, SVG otherwise).</summary>
    public static void Save(string path, IReadOnlyList<Chart> charts, int columns) => ChartRenderer.Save(path, charts, columns);
}
