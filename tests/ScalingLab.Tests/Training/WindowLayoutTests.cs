using ScalingLab.Common;
using ScalingLab.Data;
using ScalingLab.Model;
using ScalingLab.Training;

namespace ScalingLab.Tests.Training;

public class WindowLayoutTests
{
    /// <summary>Question-Formation lines as the model sees them: word ids, each line ended by the newline id 0.</summary>
    internal static ArrayTokens QfTokens(int lines, ulong seed)
    {
        var g = QfGrammar.McCoy();
        var tok = QuestionFormation.Tokenizer(g);
        var ex = QuestionFormation.Generate(g, seed, train: lines, dev: 0, test: 0, gen: 0)["train"];
        var ids = new List<int>();
        foreach (var e in ex) { ids.AddRange(tok.Encode(e.LmText)); ids.Add(tok.EndOfTextId); }
        return new ArrayTokens(ids.ToArray(), tok.VocabSize);
    }

    private static int[] All(ITokenSequence s)
    {
        var a = new int[s.Count];
        s.Read(0, a);
        return a;
    }

    [Theory]
    [InlineData(32)]  // some QF lines (up to 36 tokens) are longer than a window
    [InlineData(64)]
    [InlineData(128)]
    public void NoWindowStartsMidLineAndEveryPredictedTokenSeesItsWholeLine(int T)
    {
        var data = QfTokens(600, 4);
        int[] all = All(data);
        var s = new WindowSampler(data, WindowLayout.AlignedOn(data, T, separator: 0), seed: 3);
        var inp = new int[T * 5];
        var tgt = new int[T * 5];
        var predictedTokens = new HashSet<long>();
        int draws = 0;
        while (draws < s.WindowCount)
        {
            s.Next(5, inp, tgt);
            for (int b = 0; b < 5 && draws < s.WindowCount; b++, draws++)
            {
                var x = inp.AsSpan(b * T, T);
                var y = tgt.AsSpan(b * T, T);
                Assert.Equal(0, x[0]); // the window starts on the separator: its first target starts a line
                // Where it lies in the stream (the window's inputs are a contiguous stretch from a separator).
                int kept = 0;
                while (kept < T && y[kept] != TransformerLm.IgnoreTarget) kept++;
                for (int j = kept; j < T; j++) Assert.Equal(TransformerLm.IgnoreTarget, y[j]);
                Assert.True(kept > 0);
                // Every predicted target's line started inside the window: between position 0 and the target there is
                // the line's beginning (a separator at input position ≤ its index).
                int lastSep = -1;
                for (int j = 0; j < kept; j++)
                {
                    if (x[j] == 0) lastSep = j;
                    Assert.True(lastSep >= 0);
                    Assert.Equal(j + 1 < T ? x[j + 1] : y[j], y[j]); // targets are the next inputs
                }
                // Whole lines: the last predicted target ends a line, unless one line fills the window (then the
                // window holds that line's first T tokens and nothing else).
                bool ends = y[kept - 1] == 0;
                bool oneLongLine = kept == T && !x[1..].Contains(0);
                Assert.True(ends || oneLongLine, $"window {draws} (T={T}) ends mid-line with {kept} targets");
            }
        }
        // One epoch predicts each line after the first exactly once when lines fit in T (packing, no overlap).
        var layout = s.Layout;
        if (T >= 64)
        {
            long covered = 0;
            for (int k = 0; k < layout.Count; k++) covered += layout.Targets(k);
            int firstSep = Array.IndexOf(all, 0), lastSep = Array.LastIndexOf(all, 0);
            Assert.Equal(lastSep - firstSep, covered);
            Assert.Equal(firstSep, layout.Start(0));
            for (int k = 1; k < layout.Count; k++) Assert.Equal(layout.Start(k - 1) + layout.Targets(k - 1), layout.Start(k));
        }
    }

    [Fact]
    public void StreamGridIsUnchanged()
    {
        var data = new ArrayTokens(Enumerable.Range(0, 1001).Select(i => i % 7).ToArray(), 7);
        var g = WindowLayout.Grid(data, 10);
        Assert.Equal(100, g.Count);
        Assert.Equal(370, g.Start(37));
        Assert.Equal(10, g.Targets(37));
        Assert.Equal([0L, 250, 500, 750], WindowSampler.EvalStarts(data, 10, 4));
    }

    [Fact]
    public void TheDataDecidesTheDefaultAndBadSettingsAreOneLineErrors()
    {
        var qf = new DataManifest { Kind = "qf" };
        var corpus = new DataManifest { Kind = "corpus" };
        var tok = QuestionFormation.Tokenizer(QfGrammar.McCoy());
        var aligned = new TrainConfig().ForData(qf, tok).Resolve();
        Assert.Equal("aligned", aligned.Windows);
        Assert.Equal(0, aligned.Separator);
        Assert.Equal("stream", new TrainConfig().ForData(corpus, tok).Resolve().Windows);
        Assert.Equal("stream", new TrainConfig { Windows = "stream" }.ForData(qf, tok).Resolve().Windows);
        Assert.Equal("aligned", new TrainConfig { Windows = "aligned" }.ForData(corpus, tok).Resolve().Windows);
        Assert.Equal("stream", new TrainConfig().Resolve().Windows); // no data known: the stream grid
        Assert.Contains("--windows", Assert.Throws<UserError>(() => new TrainConfig { Windows = "lines" }.Resolve()).Message);
        Assert.Contains("separator", Assert.Throws<UserError>(() => new TrainConfig { Windows = "aligned" }.Resolve()).Message);
        // A legacy train.json (no "windows") reads as the stream grid it was trained with.
        Assert.Equal("stream", TrainConfig.FromJson("{\"seq\": 8}").Resolve().Windows);
        Assert.Contains("separator", Assert.Throws<UserError>(() => WindowLayout.AlignedOn(new ArrayTokens([1, 2, 3, 4], 5), 2, 0)).Message);
    }
}
