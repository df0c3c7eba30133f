using ScalingLab.Common;
using ScalingLab.Data;
using ScalingLab.Tensors;
using Xunit.Abstractions;

namespace ScalingLab.Tests.Data;

public class QfTrueModelTests(ITestOutputHelper output)
{
    private static readonly Lazy<QfTrueModel> McCoy = new(() => QfTrueModel.Build(QfGrammar.McCoy()));

    /// <summary>
    /// Two sentence templates: "the N_S does V ." (¾) and "the N_S who does V does V ." (¼, subject RC, never "quest").
    /// Z = 1 − ½·¼ = 7/8, so the lines are A-decl 3/7, A-quest 3/7, B-decl 1/7; words add ln 2 (N_S) and ln 3 per V;
    /// A lines have 2·5 + 2 = 12 tokens, B lines 2·8 + 2 = 18.
    /// </summary>
    private const string Toy = """
        1	ROOT	S .
        1	S	NP_M_S VP_M_S
        3	NP_M_S	Det N_S
        1	NP_M_S	Det N_S RC_S
        1	VP_M_S	Aux_S V_intrans
        1	RC_S	Rel Aux_S V_intrans
        1	Det	the
        1	N_S	newt
        1	N_S	yak
        1	Aux_S	does
        1	V_intrans	sleep
        1	V_intrans	swim
        1	V_intrans	move
        1	Rel	who
        """;

    [Fact]
    public void ToyGrammarMatchesTheHandComputation()
    {
        var m = QfTrueModel.Build(new QfGrammar(Toy, "toy"));
        double hTemplates = -(2 * 3.0 / 7 * Math.Log(3.0 / 7) + 1.0 / 7 * Math.Log(1.0 / 7));
        double hWords = 6.0 / 7 * Math.Log(6) + 1.0 / 7 * Math.Log(18);
        Assert.Equal(hTemplates + hWords, m.LineEntropy, 12);
        Assert.Equal(90.0 / 7, m.MeanTokensPerLine, 12);
        Assert.Equal((hTemplates + hWords) / (90.0 / 7), m.EntropyRate, 12);
        Assert.Equal(0.25, m.SubjectRcMass, 12);
        Assert.Equal(2, m.Templates);
        Assert.Equal(0, m.AmbiguousTemplates);
        // Per position: "the" is certain; the noun ln 2; then "does" (6/7) or "who" (1/7).
        Assert.Equal(0, m.PositionFloor[0], 12);
        Assert.Equal(Math.Log(2), m.PositionFloor[1], 12);
        Assert.Equal(-(6.0 / 7 * Math.Log(6.0 / 7) + 1.0 / 7 * Math.Log(1.0 / 7)), m.PositionFloor[2], 12);
        // Token 5 of an A line is the marker: decl or quest, ½ each (A lines are 6/7 of all); B's token 5 is "does".
        Assert.Equal(6.0 / 7 * Math.Log(2), m.PositionFloor[5], 12);
        // Whole lines: "the yak does swim . quest does the yak swim ?" has probability 3/7 · ½ · ⅓.
        Assert.Equal(Math.Log(3.0 / 7 / 6), m.LogProbability(new QfExample("the yak does swim . quest", "does the yak swim ?")), 12);
        Assert.Equal(Math.Log(1.0 / 7 / 18), m.LogProbability(new QfExample("the newt who does move does sleep . decl", "the newt who does move does sleep .")), 12);
        // A question with a subject RC, or a wrong target, is impossible.
        Assert.True(double.IsNegativeInfinity(m.LogProbability(new QfExample("the newt who does move does sleep . quest", "does the newt who move does sleep ?"))));
        Assert.True(double.IsNegativeInfinity(m.LogProbability(new QfExample("the yak does swim . decl", "the yak does sleep ."))));
    }

    /// <summary>"the newt does V ." has two derivations (NP → Det N_S, or NP → Det N with N → N_S): inside sums them.</summary>
    [Fact]
    public void AmbiguousSentencesGetTheMassOfEveryDerivation()
    {
        const string amb = """
            1	ROOT	S .
            1	S	NP_M_S VP_M_S
            1	NP_M_S	Det N_S
            1	NP_M_S	Det N
            1	N	N_S
            1	N	N_P
            1	VP_M_S	Aux_S V_intrans
            1	Det	the
            1	N_S	newt
            1	N_P	newts
            1	Aux_S	does
            1	V_intrans	sleep
            """;
        var g = new QfGrammar(amb, "amb");
        // P(the newt does sleep .) = ½·1 + ½·½ = ¾; P(the newts does sleep .) = ¼.
        Assert.Equal(0.75, g.Inside("the newt does sleep .".Split(' ')), 14);
        Assert.Equal(0.25, g.Inside("the newts does sleep .".Split(' ')), 14);
        Assert.Equal(0, g.Inside("the newt sleep does .".Split(' ')));
        var m = QfTrueModel.Build(g);
        Assert.Equal(1, m.AmbiguousTemplates);
        Assert.Equal(Math.Log(0.75 / 2), m.LogProbability(new QfExample("the newt does sleep . decl", "the newt does sleep .")), 12);
        double h = -(2 * 0.375 * Math.Log(0.375) + 2 * 0.125 * Math.Log(0.125));
        Assert.Equal(h / 12, m.EntropyRate, 12);
    }

    /// <summary>
    /// The exact floor of McCoy's grammar against Monte-Carlo: lines drawn as the generator draws them (without its
    /// de-duplication), each scored by the inside probability of its sentence times ½ / Z, where Z is the sample's own
    /// acceptance rate; the ratio estimate Σ −ln P / Σ tokens with its delta-method standard error must hold the exact
    /// value within 4 standard errors.
    /// </summary>
    [Fact]
    public void McCoyFloorAgreesWithMonteCarlo()
    {
        var g = QfGrammar.McCoy();
        var m = McCoy.Value;
        var rng = new Rng(2024, 77);
        const int n = 6_000;
        var nll = new double[n];
        var len = new double[n];
        long draws = 0;
        for (int i = 0; i < n;)
        {
            draws++;
            var p = QuestionFormation.Analyze(g.Sample(ref rng));
            bool quest = rng.NextInt(2) == 1;
            if (quest && p.SubjectRc) continue;
            nll[i] = -Math.Log(g.Inside(p.Words) / 2);
            len[i] = 2 * p.Words.Length + 2;
            i++;
        }
        double logZ = Math.Log((double)n / draws);
        double sumNll = nll.Sum() + n * logZ, sumLen = len.Sum();
        double r = sumNll / sumLen;
        double meanLen = sumLen / n;
        double var = 0;
        for (int i = 0; i < n; i++) { double d = nll[i] + logZ - r * len[i]; var += d * d; }
        double se = Math.Sqrt(var / (n - 1) / n) / meanLen;
        output.WriteLine($"exact floor {m.EntropyRate:F6} nats/token (H(line) {m.LineEntropy:F4}, {m.MeanTokensPerLine:F4} tokens/line); Monte-Carlo {r:F6} ± {se:F6}");
        Assert.InRange(m.EntropyRate, r - 4 * se, r + 4 * se);
        Assert.Equal(1 - 0.5 * m.SubjectRcMass, (double)n / draws, 2);
        // The per-position floors add up to the line entropy, and the reach to the mean line length.
        Assert.Equal(m.LineEntropy, m.PositionFloor.Zip(m.PositionReach, (f, q) => f * q).Sum(), 9);
        Assert.Equal(m.MeanTokensPerLine, m.PositionReach.Sum(), 9);
    }

    /// <summary>The template enumeration and the inside algorithm agree on every line of McCoy's dev file.</summary>
    [Fact]
    public void LineProbabilitiesAgreeWithTheInsideAlgorithm()
    {
        var g = QfGrammar.McCoy();
        var m = McCoy.Value;
        double z = 1 - 0.5 * m.SubjectRcMass;
        foreach (var ex in QuestionFormation.ReadFile(Path.Combine(QfDir(), "question.dev")).Take(300))
        {
            string[] s = ex.Source.Split(' ')[..^1];
            double expected = Math.Log(g.Inside(s) / 2 / z);
            Assert.Equal(expected, m.LogProbability(ex), 9);
        }
    }

    [Fact]
    public void WindowLossScoresWholeLinesAndSkipsACutOne()
    {
        var m = McCoy.Value;
        var tok = m.Tokenizer;
        var lines = QuestionFormation.Generate(QfGrammar.McCoy(), 9, train: 4, dev: 0, test: 0, gen: 0)["train"];
        var ids = new List<int>();
        foreach (var ex in lines) { ids.AddRange(tok.Encode(ex.LmText)); ids.Add(0); }
        // A window that starts two tokens into line 0: line 0 is cut (left out), lines 1..3 are whole.
        var window = ids.Skip(2).ToArray();
        var (nats, scored) = m.LogLoss(window, window.Length - 1);
        double expected = -lines.Skip(1).Sum(m.LogProbability);
        Assert.Equal(expected, nats, 9);
        Assert.Equal(window.Length - 1 - (tok.Encode(lines[0].LmText).Length + 1 - 3), scored);
        // A line cut by the window's end is scored by its prefix probability: the chain rule over its tokens.
        int end = window.Length - 4;
        var (partial, _) = m.LogLoss(window, end);
        var lastWords = lines[3].LmText.Split(' ');
        double prefix = m.LogPrefixProbability(lastWords[..^2]);
        Assert.Equal(-lines.Skip(1).Take(2).Sum(m.LogProbability) - prefix, partial, 9);
    }

    [Fact]
    public void McCoysFilesAreScoredAndTheirImpossibleLinesCounted()
    {
        var m = McCoy.Value;
        var dev = m.CrossEntropy(QuestionFormation.ReadFile(Path.Combine(QfDir(), "question.dev")));
        output.WriteLine($"McCoy dev: {dev.NatsPerToken:F4} nats/token over {dev.Lines} lines, {dev.Impossible} impossible");
        Assert.Equal(1000, dev.Lines + dev.Impossible);
        Assert.InRange(dev.NatsPerToken, 0.5, 2.0);
        // The generalisation set asks questions of subjects with relative clauses, which the training process never does.
        var gen = m.CrossEntropy(QuestionFormation.ReadFile(Path.Combine(QfDir(), "question.gen")));
        Assert.Equal(0, gen.Lines);
        Assert.True(gen.Impossible > 0);
    }

    [Fact]
    public void UnsupportedGrammarsAreOneLineErrors()
    {
        const string shared = "1\tROOT\tS .\n1\tS\tNP_M_S VP_M_S\n1\tNP_M_S\tDet N_S\n1\tVP_M_S\tAux_S V_intrans\n1\tDet\tthe\n1\tN_S\tthe\n1\tAux_S\tdoes\n1\tV_intrans\tsleep\n";
        var e = Assert.Throws<UserError>(() => QfTrueModel.Build(new QfGrammar(shared, "g")));
        Assert.Contains("'the'", e.Message);
        const string recursive = "1\tROOT\tS .\n1\tS\tNP_M_S VP_M_S\n1\tNP_M_S\tDet N_S\n1\tNP_M_S\tNP_M_S Det\n1\tVP_M_S\tAux_S V_intrans\n1\tDet\tthe\n1\tN_S\tnewt\n1\tAux_S\tdoes\n1\tV_intrans\tsleep\n";
        Assert.Contains("recursive", Assert.Throws<UserError>(() => QfTrueModel.Build(new QfGrammar(recursive, "g"))).Message);
    }

    private static string QfDir()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            string p = Path.Combine(d.FullName, "tests", "ScalingLab.Tests", "Data", "qf");
            if (File.Exists(Path.Combine(p, "question.dev"))) return p;
        }
        throw new FileNotFoundException("tests/ScalingLab.Tests/Data/qf not found");
    }
}
