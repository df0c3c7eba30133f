using System.Text.Json.Nodes;
using ScalingLab.Common;

namespace ScalingLab.Data;

/// <summary>Cross-entropy of lines under a <see cref="QfTrueModel"/>: nats per token over the lines it can produce,
/// and how many it cannot (probability 0: a line of another grammar or process).</summary>
public sealed record QfCrossEntropy(double NatsPerToken, long Lines, long Tokens, long Impossible);

/// <summary>
/// Question-Formation data as its generator produces it (<see cref="QuestionFormation.Generate"/> for train, dev and
/// test), used as a language model over the token stream the trainer sees: per line the source sentence s
/// (grammar words, the final "."), the task marker, the target, and the newline separator, so a line of n sentence
/// words is 2n + 2 tokens. The generator draws a tree from the grammar, then "decl" or "quest" with probability ½,
/// and redraws when it chose "quest" for a subject with a relative clause; so
///     P(s, decl) = P_G(s)·½ / Z,   P(s, quest) = P_G(s)·½·[no subject RC] / Z,   Z = 1 − ½·P_G(subject RC),
/// and the target is a function of (s, marker). P_G(s) sums every derivation of s (the inside probability; see
/// <see cref="QfGrammar.Inside"/>). The grammar is finite below its word choices: every derivation is enumerated
/// down to preterminals (nonterminals whose rules each give one word), grouped into line templates (preterminal
/// sequence, marker, main auxiliary), and each template's mass is summed over its derivations. With every word under
/// one preterminal, a line is its template plus independent word choices, so exactly
///     H(line) = −Σ_t q_t ln q_t + Σ_t q_t Σ_{preterminals c of t} H(c),   floor = H(line) / E[tokens per line]
/// nats per token, the separator counted as a token (it is predicted, with probability 1, at the end of each line,
/// and the aligned training windows predict it too). That is the loss of the true model on an endless stream of
/// independent lines, and the lowest loss any model can expect on them. Caveat: the generator also removes repeated
/// lines (within and across splits), which makes the short, frequent lines rarer in a finite split than here;
/// <see cref="CrossEntropy(IEnumerable{QfExample})"/> measures a split's own per-token loss under this model.
/// </summary>
public sealed class QfTrueModel : ITrueModel
{
    /// <summary>One line template: symbols per token (a preterminal, a literal word, or a copy of a source position).</summary>
    private sealed record Key(string[] Sym, bool[] Lexical, int[] Copy, int SourceLength, double Q);

    private readonly List<Key> _keys = [];
    private readonly Dictionary<string, List<Key>> _bySource = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _categoryOf = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Dictionary<string, double>> _lexicon = new(StringComparer.Ordinal);
    private readonly Dictionary<string, double> _categoryEntropy = new(StringComparer.Ordinal);
    private readonly string[] _words; // token id → word (id 0 = "\n")

    /// <summary>Entropy of one line in nats (template choice plus word choices).</summary>
    public double LineEntropy { get; private set; }
    /// <summary>Expected tokens per line, the separator included (2n + 2 for n sentence words).</summary>
    public double MeanTokensPerLine { get; private set; }
    /// <summary>The floor: <see cref="LineEntropy"/> / <see cref="MeanTokensPerLine"/>, nats per token.</summary>
    public double EntropyRate => LineEntropy / MeanTokensPerLine;
    /// <summary>P_G(subject has a relative clause): the share of draws that can only be "decl".</summary>
    public double SubjectRcMass { get; private set; }
    /// <summary>Derivations enumerated (down to preterminals).</summary>
    public long Derivations { get; private set; }
    /// <summary>Distinct sentence templates (preterminal sequences).</summary>
    public int Templates { get; private set; }
    /// <summary>Sentence templates with more than one derivation (their masses are summed).</summary>
    public int AmbiguousTemplates { get; private set; }
    /// <summary>
    /// Per line position k (0 = the first source word): E[−ln p(x_k | x_&lt;k)] over the lines that reach position k,
    /// i.e. the floor of the k-th token of a line. Σ_k <see cref="PositionFloor"/>[k]·<see cref="PositionReach"/>[k]
    /// = <see cref="LineEntropy"/>.
    /// </summary>
    public IReadOnlyList<double> PositionFloor { get; private set; } = [];
    /// <summary>P(a line has more than k tokens).</summary>
    public IReadOnlyList<double> PositionReach { get; private set; } = [];
    /// <summary>The word tokenizer of the data (<see cref="QuestionFormation.Tokenizer"/>).</summary>
    public WordTokenizer Tokenizer { get; }

    private QfTrueModel(WordTokenizer tok)
    {
        Tokenizer = tok;
        _words = tok.Words.ToArray();
    }

    /// <summary>
    /// Enumerates <paramref name="g"/>'s line templates. A grammar with a word under two preterminals (or also used
    /// literally), with more than <paramref name="maxDerivations"/> derivations, or with a template whose question
    /// could move two different auxiliaries is refused with a <see cref="UserError"/>.
    /// </summary>
    public static QfTrueModel Build(QfGrammar g, long maxDerivations = 2_000_000)
    {
        var m = new QfTrueModel(QuestionFormation.Tokenizer(g));
        m.Enumerate(g, maxDerivations);
        return m;
    }

    private void Enumerate(QfGrammar g, long maxDerivations)
    {
        // Preterminals and their word distributions.
        var lexical = new HashSet<string>(StringComparer.Ordinal);
        foreach (string a in g.Nonterminals)
        {
            var rules = g.Rules(a);
            if (!rules.All(r => r.Rhs.Length == 1 && !g.IsNonterminal(r.Rhs[0]))) continue;
            lexical.Add(a);
            var words = new Dictionary<string, double>(StringComparer.Ordinal);
            foreach (var (p, rhs) in rules) words[rhs[0]] = words.GetValueOrDefault(rhs[0]) + p;
            _lexicon[a] = words;
            _categoryEntropy[a] = -words.Values.Sum(p => p * Math.Log(p));
            foreach (string w in words.Keys)
                if (!_categoryOf.TryAdd(w, a))
                    throw new UserError($"grammar: the word '{w}' is under both {_categoryOf[w]} and {a}; the exact Question-Formation floor needs each word under one preterminal");
        }
        foreach (string a in g.Nonterminals.Where(a => !lexical.Contains(a)))
            foreach (var (_, rhs) in g.Rules(a))
                foreach (string s in rhs.Where(s => !g.IsNonterminal(s) && _categoryOf.ContainsKey(s)))
                    throw new UserError($"grammar: the word '{s}' is both a preterminal's word ({_categoryOf[s]}) and literal in a rule of {a}; the exact floor needs each word in one place");
        foreach (string marker in new[] { "decl", "quest", "?" })
            if (_categoryOf.ContainsKey(marker)) throw new UserError($"grammar: '{marker}' is a task word and may not be a grammar word");

        // Every derivation down to preterminals (a preterminal is a leaf carrying its own name).
        var memo = new Dictionary<string, List<(double P, QfGrammar.Node Tree)>>(StringComparer.Ordinal);
        var open = new HashSet<string>(StringComparer.Ordinal);
        List<(double, QfGrammar.Node)> Trees(string sym)
        {
            if (memo.TryGetValue(sym, out var done)) return done;
            if (!g.IsNonterminal(sym)) return memo[sym] = [(1.0, new QfGrammar.Node(sym, []))];
            if (lexical.Contains(sym)) return memo[sym] = [(1.0, new QfGrammar.Node(sym, [new QfGrammar.Node(sym, [])]))];
            if (!open.Add(sym)) throw new UserError($"grammar: {sym} is recursive; the exact floor enumerates a finite grammar only");
            var list = new List<(double, QfGrammar.Node)>();
            foreach (var (p, rhs) in g.Rules(sym))
            {
                var partial = new List<(double P, QfGrammar.Node[] Children)> { (p, []) };
                foreach (string child in rhs)
                {
                    var options = Trees(child);
                    if ((long)partial.Count * options.Count > maxDerivations)
                        throw new UserError($"grammar: {sym} has more than {maxDerivations} derivations above its words; too large for the exact floor");
                    partial = partial.SelectMany(x => options.Select(o => (x.P * o.Item1, (QfGrammar.Node[])[.. x.Children, o.Item2]))).ToList();
                }
                list.AddRange(partial.Select(x => (x.P, new QfGrammar.Node(sym, x.Children))));
                if (list.Count > maxDerivations)
                    throw new UserError($"grammar: {sym} has more than {maxDerivations} derivations above its words; too large for the exact floor");
            }
            open.Remove(sym);
            return memo[sym] = list;
        }

        // Line templates: (sentence template, marker, main auxiliary) with their mass summed over derivations.
        var mass = new Dictionary<(string Template, bool Quest, int MainAux), double>();
        var templates = new Dictionary<string, (string[] Words, int Count)>(StringComparer.Ordinal);
        double subjectRc = 0, z = 0;
        var root = Trees("ROOT");
        Derivations = root.Count;
        foreach (var (p, tree) in root)
        {
            var parse = QuestionFormation.Analyze(tree);
            string t = string.Join(' ', parse.Words);
            templates[t] = (parse.Words, templates.TryGetValue(t, out var c) ? c.Count + 1 : 1);
            mass[(t, false, -1)] = mass.GetValueOrDefault((t, false, -1)) + p / 2;
            z += p / 2;
            if (parse.SubjectRc) subjectRc += p;
            else
            {
                mass[(t, true, parse.MainAux)] = mass.GetValueOrDefault((t, true, parse.MainAux)) + p / 2;
                z += p / 2;
            }
        }
        SubjectRcMass = subjectRc;
        Templates = templates.Count;
        AmbiguousTemplates = templates.Values.Count(v => v.Count > 1);
        var twoAux = mass.Keys.Where(k => k.Quest).GroupBy(k => k.Template).FirstOrDefault(x => x.Count() > 1);
        if (twoAux is not null)
            throw new UserError($"grammar: the sentence template '{twoAux.Key}' has parses with different main auxiliaries; its question is not a function of the sentence");

        foreach (var ((t, quest, mainAux), w) in mass.OrderBy(kv => kv.Key.Template, StringComparer.Ordinal).ThenBy(kv => kv.Key.Quest))
        {
            string[] src = templates[t].Words;
            int n = src.Length;
            var sym = new List<string>(2 * n + 2);
            var lex = new List<bool>(2 * n + 2);
            var copy = new List<int>(2 * n + 2);
            void Add(string s, bool l, int c) { sym.Add(s); lex.Add(l); copy.Add(c); }
            foreach (string s in src) Add(s, lexical.Contains(s), -1);
            Add(quest ? "quest" : "decl", false, -1);
            if (quest)
            {
                Add("", false, mainAux);
                for (int i = 0; i < n - 1; i++) if (i != mainAux) Add("", false, i);
                Add("?", false, -1);
            }
            else for (int i = 0; i < n; i++) Add("", false, i);
            Add(WordTokenizer.Newline, false, -1);
            var key = new Key(sym.ToArray(), lex.ToArray(), copy.ToArray(), n + 1, w / z);
            _keys.Add(key);
            string bySource = t + " " + (quest ? "quest" : "decl");
            if (!_bySource.TryGetValue(bySource, out var keys)) _bySource[bySource] = keys = [];
            keys.Add(key);
        }

        double h = 0, len = 0;
        foreach (var k in _keys)
        {
            h -= k.Q * Math.Log(k.Q);
            for (int i = 0; i < k.SourceLength; i++) if (k.Lexical[i]) h += k.Q * _categoryEntropy[k.Sym[i]];
            len += k.Q * k.Sym.Length;
        }
        LineEntropy = h;
        MeanTokensPerLine = len;
        PerPosition();
    }

    // E[−ln p(x_k | x_<k)] per line position k: the template-prefix entropy step plus the word entropy at k.
    private void PerPosition()
    {
        int max = _keys.Max(k => k.Sym.Length);
        var floor = new double[max];
        var reach = new double[max];
        for (int pos = 0; pos < max; pos++)
        {
            var group = new Dictionary<string, double>(StringComparer.Ordinal);
            var parent = new Dictionary<string, double>(StringComparer.Ordinal);
            double e = 0, r = 0;
            foreach (var k in _keys)
            {
                if (k.Sym.Length <= pos) continue;
                r += k.Q;
                string prev = Prefix(k, pos);
                string cur = prev + "\u0001" + Symbol(k, pos);
                group[cur] = group.GetValueOrDefault(cur) + k.Q;
                parent[prev] = parent.GetValueOrDefault(prev) + k.Q;
                if (k.Lexical[pos]) e += k.Q * _categoryEntropy[k.Sym[pos]];
            }
            foreach (var (cur, q) in group) e -= q * Math.Log(q / parent[cur[..cur.LastIndexOf('\u0001')]]);
            reach[pos] = r;
            floor[pos] = e / r;
        }
        PositionFloor = floor;
        PositionReach = reach;
    }

    private static string Symbol(Key k, int i) => k.Copy[i] >= 0 ? "@" + k.Copy[i] : k.Sym[i];

    private static string Prefix(Key k, int length)
    {
        var parts = new string[length];
        for (int i = 0; i < length; i++) parts[i] = Symbol(k, i);
        return string.Join('\u0001', parts);
    }

    /// <summary>
    /// ln P(the line starts with <paramref name="words"/>): source words, marker, target words, and the newline
    /// ("\n") when the line is complete; −∞ when no line of the generator starts so.
    /// </summary>
    public double LogPrefixProbability(IReadOnlyList<string> words)
    {
        IEnumerable<Key> candidates = _keys;
        int marker = -1;
        for (int i = 0; i < words.Count; i++) if (words[i] is "decl" or "quest") { marker = i; break; }
        if (marker >= 0)
        {
            var cats = new string[marker];
            for (int i = 0; i < marker; i++) cats[i] = _categoryOf.TryGetValue(words[i], out var c) ? c : words[i];
            candidates = _bySource.TryGetValue(string.Join(' ', cats) + " " + words[marker], out var keys) ? keys : [];
        }
        double p = 0;
        foreach (var k in candidates)
        {
            if (words.Count > k.Sym.Length) continue;
            double f = k.Q;
            for (int i = 0; i < words.Count && f > 0; i++)
            {
                if (k.Lexical[i]) f *= _lexicon[k.Sym[i]].GetValueOrDefault(words[i]);
                else if (k.Copy[i] >= 0) { if (words[k.Copy[i]] != words[i]) f = 0; }
                else if (k.Sym[i] != words[i]) f = 0;
            }
            p += f;
        }
        return Math.Log(p);
    }

    /// <summary>ln P(<paramref name="ex"/>) as a whole line (its tokens and the separator).</summary>
    public double LogProbability(QfExample ex) => LogPrefixProbability(LineWords(ex));

    private static string[] LineWords(QfExample ex) => [.. ex.LmText.Split(' '), WordTokenizer.Newline];

    /// <summary>
    /// Per-token cross-entropy of <paramref name="lines"/> under this model (Σ −ln P(line) / Σ tokens, separators
    /// counted), over the lines it can produce; the others are counted as impossible.
    /// </summary>
    public QfCrossEntropy CrossEntropy(IEnumerable<QfExample> lines)
    {
        double nats = 0;
        long n = 0, tokens = 0, impossible = 0;
        foreach (var ex in lines)
        {
            var w = LineWords(ex);
            double lp = LogPrefixProbability(w);
            if (double.IsNegativeInfinity(lp)) { impossible++; continue; }
            nats -= lp;
            tokens += w.Length;
            n++;
        }
        return new QfCrossEntropy(tokens == 0 ? double.NaN : nats / tokens, n, tokens, impossible);
    }

    /// <inheritdoc />
    /// <remarks>Lines are scored from their first token, given the separator before it; the tokens of a line that
    /// began before the window are left out. A line cut by the window's end is scored by its prefix probability.</remarks>
    public (double Nats, int Scored) LogLoss(ReadOnlySpan<int> window, int predicted)
    {
        double nats = 0;
        int scored = 0;
        int i = 1;
        while (i <= predicted && window[i - 1] != 0) i++; // skip to the first line start
        var words = new List<string>(48);
        while (i <= predicted)
        {
            words.Clear();
            int j = i;
            while (j <= predicted)
            {
                words.Add(_words[window[j]]);
                if (window[j++] == 0) break;
            }
            nats -= LogPrefixProbability(words);
            scored += words.Count;
            i = j;
        }
        return (nats, scored);
    }

    /// <summary>The floor and its parts as the data manifest records them.</summary>
    public JsonObject ToJson() => new()
    {
        ["floor_nats_per_token"] = EntropyRate,
        ["line_entropy_nats"] = LineEntropy,
        ["mean_tokens_per_line"] = MeanTokensPerLine,
        ["separator_counted"] = true,
        ["subject_rc_mass"] = SubjectRcMass,
        ["derivations"] = Derivations,
        ["sentence_templates"] = Templates,
        ["ambiguous_templates"] = AmbiguousTemplates,
        ["position_floor"] = new JsonArray(PositionFloor.Select(x => (JsonNode?)Math.Round(x, 6)).ToArray()),
        ["note"] = "exact per-token entropy of independent lines from the grammar (tree, then decl/quest with ½ each, quest redrawn for a subject relative clause; the target follows from the source); tokens per line = 2n + 2 for n sentence words, the newline separator counted as a predicted token; the generator's removal of repeated lines is not modelled (see cross_entropy per split)",
    };
}
