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

    /// <summary>McCoy et al.'s question-formation grammar.</summary>
    public static QfGrammar McCoy() => new(QfGrammarText.McCoyQuestion, "question.gr");

    /// <summary>Every terminal the grammar can produce, sorted ordinally.</summary>
    public IReadOnlyList<string> Terminals() =>
        _rules.Values.SelectMany(l => l).SelectMany(r => r.Rhs).Where(s => !_rules.ContainsKey(s))
              .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();

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
