using System.Net;
using System.Text;
using ScalingLab.Common;

namespace ScalingLab.Reports;

/// <summary>A piece of a report section.</summary>
public abstract record ReportBlock;

/// <summary>A paragraph of plain text.</summary>
public sealed record ReportText(string Text) : ReportBlock;

/// <summary>A table with a header row.</summary>
public sealed record ReportTable(string[] Head, IReadOnlyList<string[]> Rows) : ReportBlock;

/// <summary>A figure: an SVG document (a file beside report.md, an image in report.html) and its caption.</summary>
public sealed record ReportFigure(string FileName, string Svg, string Caption) : ReportBlock;

/// <summary>Preformatted text (commands, versions).</summary>
public sealed record ReportCode(string Text) : ReportBlock;

/// <summary>A titled section of a report; its id is the HTML anchor the rendering check looks for.</summary>
public sealed class ReportSection(string id, string title)
{
    /// <summary>HTML id (letters, digits, '-').</summary>
    public string Id { get; } = id;
    /// <summary>Heading.</summary>
    public string Title { get; } = title;
    /// <summary>Content in order.</summary>
    public List<ReportBlock> Blocks { get; } = [];

    /// <summary>Adds a paragraph.</summary>
    public ReportSection Text(string text) { Blocks.Add(new ReportText(text)); return this; }
    /// <summary>Adds a table.</summary>
    public ReportSection Table(string[] head, IReadOnlyList<string[]> rows) { Blocks.Add(new ReportTable(head, rows)); return this; }
    /// <summary>Adds a figure.</summary>
    public ReportSection Figure(string fileName, string svg, string caption) { Blocks.Add(new ReportFigure(fileName, svg, caption)); return this; }
    /// <summary>Adds preformatted text.</summary>
    public ReportSection Code(string text) { Blocks.Add(new ReportCode(text)); return this; }
}

/// <summary>
/// Renders sections as report.html (self-contained: CSS inline, each figure an &lt;img&gt; whose source is its SVG as a
/// data: URI, no scripts, nothing fetched) and report.md (figures as SVG files in report-files/ beside it). Both are
/// written atomically. A figure is an image, not SVG markup pasted into the page, so it is its own document: ids in
/// one figure (ScottPlot's clip paths) cannot capture another's, and it renders exactly as its file does.
/// </summary>
public static class ReportDocument
{
    /// <summary>The folder of figure files beside report.md.</summary>
    public const string FilesDir = "report-files";

    /// <summary>Writes report.html, report.md and the figure files into <paramref name="dir"/>; returns the HTML path.</summary>
    public static string Write(string dir, string title, IReadOnlyList<ReportSection> sections)
    {
        Directory.CreateDirectory(Path.Combine(dir, FilesDir));
        foreach (var f in sections.SelectMany(s => s.Blocks).OfType<ReportFigure>())
            AtomicFile.WriteAllText(Path.Combine(dir, FilesDir, f.FileName), f.Svg);
        AtomicFile.WriteAllText(Path.Combine(dir, "report.md"), Markdown(title, sections));
        string html = Path.Combine(dir, "report.html");
        AtomicFile.WriteAllText(html, Html(title, sections));
        return html;
    }

    /// <summary>The HTML document.</summary>
    public static string Html(string title, IReadOnlyList<ReportSection> sections)
    {
        var sb = new StringBuilder();
        sb.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n");
        sb.Append($"<title>{E(title)}</title>\n<style>\n");
        sb.Append("body{font-family:Helvetica,Arial,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222;line-height:1.45}\n");
        sb.Append("h1{border-bottom:2px solid #333}h2{margin-top:2em;border-bottom:1px solid #ccc}\n");
        sb.Append("table{border-collapse:collapse;margin:1em 0;font-size:90%}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}");
        sb.Append("th{background:#f0f0f0}td:first-child,th:first-child{text-align:left}\n");
        sb.Append("figure{margin:1em 0}figure img{display:block;max-width:100%;height:auto;border:1px solid #eee}figcaption{font-size:90%;color:#555}\n");
        sb.Append("pre{background:#f6f6f6;padding:.8em;overflow-x:auto;font-size:85%}nav li{display:inline;margin-right:1.2em}\n");
        sb.Append("</style></head><body>\n");
        sb.Append($"<h1>{E(title)}</h1>\n<nav><ul>");
        foreach (var s in sections) sb.Append($"<li><a href=\"#{s.Id}\">{E(s.Title)}</a></li>");
        sb.Append("</ul></nav>\n");
        foreach (var s in sections)
        {
            sb.Append($"<section id=\"{s.Id}\">\n<h2>{E(s.Title)}</h2>\n");
            foreach (var b in s.Blocks)
            {
                switch (b)
                {
                    case ReportText t: sb.Append($"<p>{E(t.Text)}</p>\n"); break;
                    case ReportCode c: sb.Append($"<pre>{E(c.Text)}</pre>\n"); break;
                    case ReportTable t:
                        sb.Append("<table><thead><tr>");
                        foreach (var h in t.Head) sb.Append($"<th>{E(h)}</th>");
                        sb.Append("</tr></thead><tbody>\n");
                        foreach (var r in t.Rows)
                        {
                            sb.Append("<tr>");
                            foreach (var c in r) sb.Append($"<td>{E(c)}</td>");
                            sb.Append("</tr>\n");
                        }
                        sb.Append("</tbody></table>\n");
                        break;
                    case ReportFigure f:
                        sb.Append("<figure>\n").Append(Image(f)).Append($"\n<figcaption>{E(f.Caption)}</figcaption></figure>\n");
                        break;
                }
            }
            sb.Append("</section>\n");
        }
        sb.Append("</body></html>\n");
        return sb.ToString();
    }

    /// <summary>The Markdown document (figures link to report-files/NAME.svg).</summary>
    public static string Markdown(string title, IReadOnlyList<ReportSection> sections)
    {
        var sb = new StringBuilder();
        sb.Append($"# {title}\n\n");
        foreach (var s in sections)
        {
            sb.Append($"## {s.Title}\n\n");
            foreach (var b in s.Blocks)
            {
                switch (b)
                {
                    case ReportText t: sb.Append(t.Text).Append("\n\n"); break;
                    case ReportCode c: sb.Append("```\n").Append(c.Text.TrimEnd()).Append("\n```\n\n"); break;
                    case ReportTable t:
                        sb.Append("| ").Append(string.Join(" | ", t.Head.Select(Md))).Append(" |\n");
                        sb.Append('|').Append(string.Concat(t.Head.Select(_ => "---|"))).Append('\n');
                        foreach (var r in t.Rows) sb.Append("| ").Append(string.Join(" | ", r.Select(Md))).Append(" |\n");
                        sb.Append('\n');
                        break;
                    case ReportFigure f: sb.Append($"![{Md(f.Caption)}]({FilesDir}/{f.FileName})\n\n*{Md(f.Caption)}*\n\n"); break;
                }
            }
        }
        return sb.ToString();
    }

    private static string E(string s) => WebUtility.HtmlEncode(s);

    private static string Md(string s) => s.Replace("|", "\\|").Replace("\n", " ");

    /// <summary>
    /// The figure as an &lt;img&gt;: its SVG as a base64 data: URI, its size from the SVG's width and height (so the
    /// page lays out before decoding), its caption as the alternative text, and its file name in data-file (the render
    /// check opens that file to compare).
    /// </summary>
    private static string Image(ReportFigure f)
    {
        var (w, h) = SvgSize(f.Svg);
        string size = w > 0 && h > 0 ? $" width=\"{w}\" height=\"{h}\"" : "";
        string data = Convert.ToBase64String(Encoding.UTF8.GetBytes(f.Svg));
        return $"<img src=\"data:image/svg+xml;base64,{data}\" alt=\"{E(f.Caption)}\"{size} data-file=\"{E(FilesDir + "/" + f.FileName)}\">";
    }

    /// <summary>The width and height attributes of an SVG's root element in pixels (0 when absent).</summary>
    public static (int Width, int Height) SvgSize(string svg)
    {
        var root = System.Text.RegularExpressions.Regex.Match(svg, "<svg\\b[^>]*>");
        int Attr(string name)
        {
            var m = System.Text.RegularExpressions.Regex.Match(root.Value, $"\\b{name}=\"([0-9.]+)\"");
            return m.Success ? (int)Math.Round(double.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)) : 0;
        }
        return root.Success ? (Attr("width"), Attr("height")) : (0, 0);
    }
}
