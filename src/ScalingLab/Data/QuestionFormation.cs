using System.Text;
using System.Text.Json.Nodes;
using ScalingLab.Common;
using ScalingLab.Tensors;

namespace ScalingLab.Data;

/// <summary>One line of a question-formation file: "source&lt;TAB&gt;target".</summary>
public sealed record QfExample(string Source, string Target)
{
    /// <summary>"decl" (copy) or "quest" (form the question): the source's last word.</summary>
    public string Task => Source[(Source.LastIndexOf(' ') + 1)..];

    /// <summary>The line as in the original files.</summary>
    public string Line => Source + "\t" + Target;

    /// <summary>The language-model form (Murty et al. 2023): the TAB replaced by a space, one sequence.</summary>
    public string LmText => Source + " " + Target;
}

/// <summary>
/// The question-formation task of McCoy, Frank &amp; Linzen (2020), reused by Murty et al. (2023) and by
/// Niu et al. §6.3: sentences sampled from <see cref="QfGrammar"/>, each either copied ("decl") or turned into a
/// yes/no question by moving the MAIN-clause auxiliary to the front ("quest"). Split design as in the released
/// files: train/dev/test never put a relative clause on the subject of a "quest" line (so "move the first
/// auxiliary" and "move the main auxiliary" agree there); the generalisation set is all "quest" lines whose
/// subject carries a relative clause, whose object carries none, and whose first auxiliary differs from the
/// main one (so the two rules disagree on every line). No line repeats within or across splits.
/// </summary>
public static class QuestionFormation
{
    /// <summary>Split names of the original files, in generation order.</summary>
    public static readonly string[] FileSplits = ["train", "dev", "test", "gen"];

    /// <summary>What a parse tree says about one sentence.</summary>
    public sealed record Parse(string[] Words, int MainAux, bool SubjectRc, bool ObjectRc, int FirstAux);

    /// <summary>
    /// Reads the structure off a tree of the grammar: ROOT → S "."; S → subject NP, main VP; the VP's first
    /// child is the main auxiliary; a child labelled RC* of the subject (object) NP is a relative clause.
    /// </summary>
    public static Parse Analyze(QfGrammar.Node root)
    {
        if (root.Children.Count == 0 || root.Children[0].Label != "S")
            throw new UserError("grammar: ROOT must expand to S followed by punctuation (as question.gr does)");
        var s = root.Children[0];
        if (s.Children.Count != 2) throw new UserError("grammar: S must expand to a subject NP and a VP");
        var subject = s.Children[0];
        var vp = s.Children[1];
        if (vp.Children.Count < 2 || !vp.Children[0].Label.StartsWith("Aux", StringComparison.Ordinal))
            throw new UserError("grammar: the main VP must start with an Aux* nonterminal");
        var words = new List<string>(20);
        int firstAux = -1;
        Collect(subject, words, ref firstAux);
        int mainAux = words.Count;
        Collect(vp, words, ref firstAux);
        for (int i = 1; i < root.Children.Count; i++) Collect(root.Children[i], words, ref firstAux); // the final "."
        var obj = vp.Children.Count > 2 ? vp.Children[2] : null;
        return new Parse(words.ToArray(), mainAux, HasRc(subject), obj is not null && HasRc(obj), firstAux);
    }

    /// <summary>Appends the words under <paramref name="n"/>, noting the index of the first Aux* word.</summary>
    private static void Collect(QfGrammar.Node n, List<string> words, ref int firstAux)
    {
        if (n.IsWord) { words.Add(n.Label); return; }
        if (firstAux < 0 && n.Label.StartsWith("Aux", StringComparison.Ordinal)) firstAux = words.Count;
        foreach (var c in n.Children) Collect(c, words, ref firstAux);
    }

    private static bool HasRc(QfGrammar.Node np) => np.Children.Any(c => c.Label.StartsWith("RC", StringComparison.Ordinal));

    /// <summary>The copy example: "w … . decl" → "w … .".</summary>
    public static QfExample Declarative(Parse p)
    {
        string sentence = string.Join(' ', p.Words);
        return new QfExample(sentence + " decl", sentence);
    }

    /// <summary>The question: the main auxiliary moved to the front, the final "." replaced by "?".</summary>
    public static QfExample Question(Parse p)
    {
        var q = new List<string> { p.Words[p.MainAux] };
        for (int i = 0; i < p.Words.Length - 1; i++) if (i != p.MainAux) q.Add(p.Words[i]);
        q.Add("?");
        return new QfExample(string.Join(' ', p.Words) + " quest", string.Join(' ', q));
    }

    /// <summary>
    /// Generates the four splits (McCoy's sizes by default: 100,000 / 1,000 / 10,000 / 10,000) from one seeded
    /// stream. In train/dev/test each line is "decl" or "quest" with probability ½ before the subject filter.
    /// </summary>
    public static Dictionary<string, List<QfExample>> Generate(QfGrammar grammar, ulong seed, int train = 100_000, int dev = 1_000, int test = 10_000, int gen = 10_000)
    {
        var rng = new Rng(seed, 0x5146UL); // "QF"
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var splits = new Dictionary<string, List<QfExample>>();
        foreach (var (name, n) in new[] { ("train", train), ("dev", dev), ("test", test), ("gen", gen) })
        {
            if (n < 0) throw new UserError($"--{name} {n} must not be negative");
            var list = new List<QfExample>(n);
            long tries = 0;
            while (list.Count < n)
            {
                if (++tries > 200L * n + 100_000)
                    throw new UserError($"could not find {n} distinct '{name}' lines (found {list.Count}); ask for fewer");
                var p = Analyze(grammar.Sample(ref rng));
                QfExample ex;
                if (name == "gen")
                {
                    if (!p.SubjectRc || p.ObjectRc || p.Words[p.FirstAux] == p.Words[p.MainAux]) continue;
                    ex = Question(p);
                }
                else
                {
                    bool quest = rng.NextInt(2) == 1;
                    if (quest && p.SubjectRc) continue;
                    ex = quest ? Question(p) : Declarative(p);
                }
                if (seen.Add(ex.Line)) list.Add(ex);
            }
            // Shuffle: late lines of a deduplicated split are longer (short sentences run out first); McCoy's
            // files show no such drift, so any prefix of a split has the statistics of the whole.
            var perm = new int[list.Count];
            rng.Permutation(perm);
            splits[name] = perm.Select(i => list[i]).ToList();
        }
        return splits;
    }

    /// <summary>
    /// Reads an original file as it is: one "source&lt;TAB&gt;target" per line, LF endings; a line of another
    /// shape is a <see cref="UserError"/> naming its number.
    /// </summary>
    public static List<QfExample> ReadFile(string path)
    {
        string text = CorpusReader.ReadUtf8(path);
        var list = new List<QfExample>();
        int lineNo = 0;
        foreach (string raw in text.Split('\n'))
        {
            lineNo++;
            string line = raw.TrimEnd('\r');
            if (line.Length == 0) continue;
            int tab = line.IndexOf('\t');
            if (tab < 0 || line.IndexOf('\t', tab + 1) >= 0)
                throw new UserError($"{path} line {lineNo}: expected 'source<TAB>target' (one TAB)");
            var ex = new QfExample(line[..tab], line[(tab + 1)..]);
            if (ex.Task is not ("decl" or "quest"))
                throw new UserError($"{path} line {lineNo}: the source must end in 'decl' or 'quest', not '{ex.Task}'");
            list.Add(ex);
        }
        if (list.Count == 0) throw new UserError($"{path} holds no examples");
        return list;
    }

    /// <summary>The word tokenizer of the task: the grammar's terminals, the markers and "?" (68 words for McCoy's grammar).</summary>
    public static WordTokenizer Tokenizer(QfGrammar grammar) => new(grammar.Terminals().Concat(["decl", "quest", "?"]));

    /// <summary>File name of the grammar saved in a generated data folder (the true model is rebuilt from it).</summary>
    public const string GrammarFile = "grammar.gr";

    /// <summary>
    /// Writes a data folder: the original-format files (question.train/dev/test/gen) and, for language
    /// modelling, each line as one document (TAB → space, newline after) in splits train, val (= dev), test, gen.
    /// The manifest records the grammar's exact entropy floor (<see cref="QfTrueModel"/>; for generated data also as
    /// entropy_rate_nats) and each split's cross-entropy under it (train/val/test; for McCoy's files read with --from,
    /// how far their lines are from our model of the generator). A grammar the exact computation does not support is
    /// noted in the manifest instead.
    /// </summary>
    public static DataManifest WriteFolder(string dir, QfGrammar grammar, Dictionary<string, List<QfExample>> splits,
                                           string source, ulong seed, JsonObject parameters)
    {
        var tok = Tokenizer(grammar);
        bool fromFiles = parameters["from_files"] is JsonValue ff && ff.TryGetValue(out bool b) && b;
        double? floor = null;
        try
        {
            var model = QfTrueModel.Build(grammar);
            var entropy = model.ToJson();
            var ce = new JsonObject();
            foreach (string name in FileSplits.Where(n => n != "gen" && splits.ContainsKey(n)))
            {
                var c = model.CrossEntropy(splits[name]);
                ce[name == "dev" ? "val" : name] = new JsonObject
                {
                    ["nats_per_token"] = double.IsNaN(c.NatsPerToken) ? null : c.NatsPerToken,
                    ["lines"] = c.Lines, ["tokens"] = c.Tokens, ["impossible_lines"] = c.Impossible,
                };
            }
            entropy["cross_entropy"] = ce;
            parameters["entropy"] = entropy;
            if (!fromFiles) floor = model.EntropyRate;
        }
        catch (UserError e)
        {
            parameters["entropy"] = new JsonObject { ["note"] = "exact floor not computed: " + e.Message };
        }
        return DataFolderWriter.Write(dir, tok, w =>
        {
            AtomicFile.WriteAllText(Path.Combine(w.Folder, GrammarFile), grammar.Text);
            foreach (string name in FileSplits)
            {
                if (!splits.TryGetValue(name, out var list)) continue;
                var sb = new StringBuilder();
                foreach (var ex in list) sb.Append(ex.Line).Append('\n');
                AtomicFile.WriteAllText(Path.Combine(w.Folder, "question." + name), sb.ToString());
                string split = name == "dev" ? "val" : name;
                w.AddSplit(split);
                foreach (var ex in list) w.AppendDocument(split, tok.Encode(ex.LmText));
            }
            return new DataManifest
            {
                Kind = "qf", Source = source, Seed = seed, Parameters = parameters, Windows = "aligned", EntropyRateNats = floor,
            };
        });
    }
}
