using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;
using ScalingLab.Common;

namespace ScalingLab.Data;

/// <summary>How a plain text file is cut into documents.</summary>
public enum DocumentUnit
{
    /// <summary>Each line is a document.</summary>
    Line,
    /// <summary>Blocks separated by one or more blank lines are documents.</summary>
    Paragraph,
    /// <summary>The whole file is one document.</summary>
    File,
}

/// <summary>
/// Reads a corpus as a list of documents: a UTF-8 text file, a folder of them (files in ordinal path order,
/// recursively), or JSONL (one JSON object per line, the document in a named string field). Files are
/// checked as strict UTF-8; a bad byte is a <see cref="UserError"/> that names the file and the byte offset.
/// </summary>
public static class CorpusReader
{
    /// <summary>
    /// Documents of <paramref name="input"/> (a file or folder). <paramref name="jsonlField"/> non-null reads
    /// .jsonl/.json files (or every file when the input is one file) as JSONL with that field.
    /// </summary>
    public static List<string> Read(string input, DocumentUnit unit, string? jsonlField = null)
    {
        var docs = new List<string>();
        if (Directory.Exists(input))
        {
            var files = Directory.EnumerateFiles(input, "*", SearchOption.AllDirectories)
                .Where(f => !Path.GetFileName(f).StartsWith('.'))
                .Order(StringComparer.Ordinal).ToList();
            if (files.Count == 0) throw new UserError($"the corpus folder {input} holds no files; point --input at text files");
            foreach (string f in files)
            {
                if (jsonlField is not null) docs.AddRange(ReadJsonl(f, jsonlField));
                else docs.AddRange(Cut(ReadUtf8(f), unit));
            }
        }
        else if (File.Exists(input))
        {
            if (jsonlField is not null) docs.AddRange(ReadJsonl(input, jsonlField));
            else docs.AddRange(Cut(ReadUtf8(input), unit));
        }
        else throw new UserError($"input not found: {input}; give a text file, a folder of text files, or a JSONL file");
        docs.RemoveAll(d => d.Length == 0);
        if (docs.Count == 0) throw new UserError($"the corpus {input} is empty: no non-empty documents found");
        return docs;
    }

    /// <summary>The text of a strict UTF-8 file (a leading byte-order mark is dropped).</summary>
    public static string ReadUtf8(string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        ReadOnlySpan<byte> b = bytes;
        int skip = b.StartsWith("\uFEFF"u8) ? 3 : 0;
        b = b[skip..];
        char[] chars = ArrayPool<char>.Shared.Rent(Math.Max(1, b.Length));
        try
        {
            var status = Utf8.ToUtf16(b, chars, out int read, out int written, replaceInvalidSequences: false);
            if (status != OperationStatus.Done)
                throw new UserError($"{path} is not valid UTF-8: bad byte 0x{b[read]:X2} at byte offset {read + skip}; convert it to UTF-8 (e.g. iconv -f latin1 -t utf-8)");
            return new string(chars, 0, written);
        }
        finally { ArrayPool<char>.Shared.Return(chars); }
    }

    private static IEnumerable<string> Cut(string text, DocumentUnit unit)
    {
        switch (unit)
        {
            case DocumentUnit.File:
                return [text];
            case DocumentUnit.Line:
                return text.Split('\n').Select(l => l.TrimEnd('\r'));
            default:
                return Paragraphs(text);
        }
    }

    /// <summary>Blocks of <paramref name="text"/> separated by one or more blank lines (CR dropped, inner newlines kept).</summary>
    public static List<string> Paragraphs(string text)
    {
        var paragraphs = new List<string>();
        var sb = new StringBuilder();
        foreach (string raw in text.Split('\n'))
        {
            string line = raw.TrimEnd('\r');
            if (line.Trim().Length == 0)
            {
                if (sb.Length > 0) { paragraphs.Add(sb.ToString()); sb.Clear(); }
                continue;
            }
            if (sb.Length > 0) sb.Append('\n');
            sb.Append(line);
        }
        if (sb.Length > 0) paragraphs.Add(sb.ToString());
        return paragraphs;
    }

    private static IEnumerable<string> ReadJsonl(string path, string field)
    {
        string text = ReadUtf8(path);
        var docs = new List<string>();
        int lineNo = 0;
        foreach (string raw in text.Split('\n'))
        {
            lineNo++;
            string line = raw.Trim();
            if (line.Length == 0) continue;
            try
            {
                using var doc = JsonDocument.Parse(line);
                if (doc.RootElement.ValueKind != JsonValueKind.Object || !doc.RootElement.TryGetProperty(field, out var v))
                    throw new UserError($"{path} line {lineNo}: no field '{field}'; name the text field with --field");
                if (v.ValueKind != JsonValueKind.String)
                    throw new UserError($"{path} line {lineNo}: field '{field}' is a {v.ValueKind}, not a string");
                docs.Add(v.GetString()!);
            }
            catch (JsonException e)
            {
                throw new UserError($"{path} line {lineNo} is not valid JSON ({e.Message.Split('\n')[0]})");
            }
        }
        return docs;
    }
}
