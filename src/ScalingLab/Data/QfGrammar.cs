using System.Globalization;
using ScalingLab.Common;
using ScalingLab.Tensors;

namespace ScalingLab.Data;

/// <summary>
/// A probabilistic context-free grammar in McCoy's .gr format (weight TAB lhs TAB rhs; a symbol is a
/// nonterminal when it has rules) and a sampler of parse trees. Weights of one left-hand side are relative.
/// </summary>
public sealed class QfGrammar
{
    private readonly Dictionary<string, List<(double Weight, string[] Rhs)>> _rules = new(StringComparer.Ordinal);

    /// <summary>A parse tree node: a nonterminal with children, or a terminal word.</summary>
    public sealed record Node(string Label, IReadOnlyList<Node> Children)
    {
        /// <summary>True for a terminal (a word).</summary>
        public bool IsWord => Children.Count == 0;

        /// <summary>The words under this node, left to right.</summary>
        public IEnumerable<string> Words() => IsWord ? [Label] : Children.SelectMany(c => c.Words());
    }

    /// <summary>Parses grammar text; a malformed line is a <see cref="UserError"/>.</summary>
    public QfGrammar(string text, string name = "grammar")
    {
        Text = text;
        int lineNo = 0;
        foreach (string raw in text.Split('\n'))
        {
            lineNo++;
            string line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            var parts = line.Split('\t', StringSplitOptions.TrimEntries);
            if (parts.Length < 3 || !double.TryParse(parts[0], NumberStyles.Float, CultureInfo.InvariantCulture, out double w) || !(w > 0))
                throw new UserError($"{name} line {lineNo}: expected 'weight<TAB>lhs<TAB>rhs', got '{line}'");
            var rhs = parts[2].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (rhs.Length == 0) throw new UserError($"{name} line {lineNo}: empty right-hand side");
            if (!_rules.TryGetValue(parts[1], out var list)) _rules[parts[1]] = list = [];
            list.Add((w, rhs));
        }
        if (!_rules.ContainsKey("ROOT")) throw new UserError($"{name} has no ROOT rule");
    }

    /// <summary>The grammar file's text, as given.</summary>
    public string Text { get; }

    /// <summary>McCoy et al.'s question-formation grammar.</summary>
    public static QfGrammar McCoy() => new(QfGrammarText.McCoyQuestion, "question.gr");

    /// <summary>Every terminal the grammar can produce, sorted ordinally.</summary>
    public IReadOnlyList<string> Terminals() =>
        _rules.Values.SelectMany(l => l).SelectMany(r => r.Rhs).Where(s => !_rules.ContainsKey(s))
              .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();

    /// <summary>True when <paramref name="symbol"/> has rules (otherwise it is a terminal word).</summary>
    public bool IsNonterminal(string symbol) => _rules.ContainsKey(symbol);

    /// <summary>The nonterminals, in the order of their first rule.</summary>
    public IReadOnlyCollection<string> Nonterminals => _rules.Keys;

    /// <summary>The rules of <paramref name="symbol"/> with their probabilities (weights normalised per left-hand side).</summary>
    public IReadOnlyList<(double Probability, string[] Rhs)> Rules(string symbol)
    {
        if (!_rules.TryGetValue(symbol, out var rules)) return [];
        lock (_normalised)
        {
            if (_normalised.TryGetValue(symbol, out var n)) return n;
            double total = rules.Sum(r => r.Weight);
            return _normalised[symbol] = rules.Select(r => (r.Weight / total, r.Rhs)).ToList();
        }
    }

    private readonly Dictionary<string, List<(double, string[])>> _normalised = new(StringComparer.Ordinal);

    /// <summary>
    /// The inside probability P(<paramref name="symbol"/> ⇒* <paramref name="words"/>): the sum over every derivation of
    /// the words from the symbol of the product of its rule probabilities (Baker 1979; Lari &amp; Young 1990), so an
    /// ambiguous sentence gets the mass of all its parses. β(A, i, j) = Σ_{A→X₁…X_m} p · Σ over the ways to cut [i, j)
    /// into m non-empty spans of Π β(X_k, span_k), with β(w, i, i+1) = [words[i] = w] for a terminal; memoised per
    /// (symbol, i, j). The grammar has no empty right-hand sides; a unary cycle (A ⇒+ A) is refused.
    /// </summary>
    public double Inside(IReadOnlyList<string> words, string symbol = "ROOT") =>
        new InsideChart(this, words).Beta(symbol, 0, words.Count);

    private sealed class InsideChart(QfGrammar g, IReadOnlyList<string> words)
    {
        private readonly Dictionary<(string, int, int), double> _beta = new();
        private readonly HashSet<(string, int, int)> _open = new();

        public double Beta(string sym, int i, int j)
        {
            if (!g._rules.ContainsKey(sym)) return j == i + 1 && words[i] == sym ? 1 : 0;
            if (_beta.TryGetValue((sym, i, j), out double b)) return b;
            if (!_open.Add((sym, i, j))) throw new UserError($"grammar: {sym} derives itself through unary rules; the inside probability needs a grammar without unary cycles");
            double sum = 0;
            foreach (var (p, rhs) in g.Rules(sym))
                if (rhs.Length <= j - i) sum += p * Spans(rhs, 0, i, j);
            _open.Remove((sym, i, j));
            return _beta[(sym, i, j)] = sum;
        }

        // Σ over cuts of [i, j) into the symbols rhs[k..], each spanning at least one word.
        private double Spans(string[] rhs, int k, int i, int j)
        {
            if (k == rhs.Length - 1) return Beta(rhs[k], i, j);
            double sum = 0;
            int rest = rhs.Length - k - 1;
            for (int m = i + 1; m <= j - rest; m++)
            {
                double left = Beta(rhs[k], i, m);
                if (left != 0) sum += left * Spans(rhs, k + 1, m, j);
            }
            return sum;
        }
    }

    /// <summary>A tree from <paramref name="symbol"/>, each rule chosen with probability ∝ its weight.</summary>
    public Node Sample(ref Rng rng, string symbol = "ROOT")
    {
        if (!_rules.TryGetValue(symbol, out var rules)) return new Node(symbol, []);
        double total = 0;
        foreach (var r in rules) total += r.Weight;
        double u = rng.NextDouble() * total;
        var chosen = rules[^1].Rhs;
        foreach (var r in rules)
        {
            if (u < r.Weight) { chosen = r.Rhs; break; }
            u -= r.Weight;
        }
        var children = new Node[chosen.Length];
        for (int i = 0; i < chosen.Length; i++) children[i] = Sample(ref rng, chosen[i]);
        return new Node(symbol, children);
    }
}
