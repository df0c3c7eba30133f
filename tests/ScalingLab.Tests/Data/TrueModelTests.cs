using System.Text.Json.Nodes;
using ScalingLab.Data;

namespace ScalingLab.Tests.Data;

public class TrueModelTests
{
    private static int[] All(ITokenSequence s)
    {
        var a = new int[s.Count];
        s.Read(0, a);
        return a;
    }

    /// <summary>
    /// The Markov chain's own loss on a sample equals its entropy rate within 4 standard errors (per-token losses
    /// treated as independent: a first-order chain over 8 symbols mixes in a few steps, so the error is small), and
    /// a window's first targets, which see fewer than k tokens, get the stationary conditional (a proper distribution).
    /// </summary>
    [Fact]
    public void MarkovTrueModelScoresItsOwnSampleAtTheEntropyRate()
    {
        string dir = Path.Combine(Directory.CreateTempSubdirectory("sl-true").FullName, "m");
        var manifest = SyntheticCorpora.WriteMarkov(dir, 2, 8, 0.5, 60_000, 1_000, 5);
        var model = TrueModels.For(manifest, dir)!;
        Assert.Equal(manifest.EntropyRateNats!.Value, model.EntropyRate, 12);
        using var ds = TokenDataset.Open(dir);
        int[] t = All(ds.Train);
        var per = new double[t.Length - 2];
        for (int i = 2; i < t.Length; i++)
        {
            var (nats, scored) = model.LogLoss(t.AsSpan(i - 2, 3), 2);
            var (first, _) = model.LogLoss(t.AsSpan(i - 2, 2), 1);
            Assert.Equal(2, scored);
            per[i - 2] = nats - first; // −ln p(t_i | t_{i-2}, t_{i-1})
        }
        double mean = per.Average();
        double se = Math.Sqrt(per.Select(x => (x - mean) * (x - mean)).Sum() / (per.Length - 1) / per.Length);
        Assert.InRange(model.EntropyRate, mean - 4 * se, mean + 4 * se);
        // The stationary conditionals after 0 and 1 seen tokens sum to 1 over the next symbol.
        var chain = ((MarkovTrueModel)model).Chain;
        for (int a = 1; a <= chain.Vocab; a++)
        {
            double sum = 0;
            for (int b = 1; b <= chain.Vocab; b++) sum += Math.Exp(-model.LogLoss(new[] { a, b }, 1).Nats);
            Assert.Equal(1, sum, 9);
        }
    }

    /// <summary>Each whole line of the memorisable corpus costs exactly ln d: the shares of agreeing sequences telescope.</summary>
    [Fact]
    public void MemorizeTrueModelCostsLnDPerLine()
    {
        string dir = Path.Combine(Directory.CreateTempSubdirectory("sl-true").FullName, "m");
        var manifest = SyntheticCorpora.WriteMemorize(dir, 50, 15, 16, 6, 4_000, 400, 2);
        var model = TrueModels.For(manifest, dir)!;
        using var ds = TokenDataset.Open(dir);
        int[] t = All(ds.Train);
        // From the first separator: whole lines only.
        int s = Array.IndexOf(t, 0);
        int lines = (t.Length - 1 - s) / 16;
        var (nats, scored) = model.LogLoss(t.AsSpan(s, lines * 16 + 1), lines * 16);
        Assert.Equal(lines * 16, scored);
        Assert.Equal(lines * Math.Log(50), nats, 6);
        Assert.Equal(manifest.EntropyRateNats!.Value, model.EntropyRate, 12);
    }

    /// <summary>`data qf` writes the exact floor into the manifest (and the grammar beside the data, for the true model);
    /// McCoy's own files get their per-split cross-entropy and no claimed entropy rate.</summary>
    [Fact]
    public void QfManifestCarriesTheFloorAndTheSplitsCrossEntropy()
    {
        string tmp = Directory.CreateTempSubdirectory("sl-true").FullName;
        var g = QfGrammar.McCoy();
        var splits = QuestionFormation.Generate(g, 3, train: 500, dev: 50, test: 50, gen: 20);
        var m = QuestionFormation.WriteFolder(tmp + "/gen", g, splits, "generated", 3, new JsonObject { ["from_files"] = false });
        var exact = QfTrueModel.Build(g);
        Assert.Equal(exact.EntropyRate, m.EntropyRateNats!.Value, 12);
        var e = m.Parameters!["entropy"]!;
        Assert.Equal(exact.EntropyRate, (double)e["floor_nats_per_token"]!, 12);
        Assert.Equal(exact.CrossEntropy(splits["train"]).NatsPerToken, (double)e["cross_entropy"]!["train"]!["nats_per_token"]!, 12);
        Assert.NotNull(e["cross_entropy"]!["val"]);
        var back = DataManifest.Read(tmp + "/gen");
        Assert.Equal(exact.EntropyRate, TrueModels.For(back, tmp + "/gen")!.EntropyRate, 12);

        var files = new Dictionary<string, List<QfExample>> { ["train"] = splits["train"], ["dev"] = splits["dev"] };
        var f = QuestionFormation.WriteFolder(tmp + "/files", g, files, "files", 0, new JsonObject { ["from_files"] = true });
        Assert.Null(f.EntropyRateNats);
        Assert.NotNull(f.Parameters!["entropy"]!["cross_entropy"]!["train"]);
        Assert.Null(TrueModels.For(f, tmp + "/files"));
    }

    /// <summary>
    /// The floor on evaluation windows of generated Question-Formation (aligned windows, the data's default): the true
    /// model scores every predicted token (whole lines), and the figure is the val lines' own per-token log-loss.
    /// </summary>
    [Fact]
    public void QfFloorOnAlignedEvaluationWindowsScoresWholeLines()
    {
        string dir = Path.Combine(Directory.CreateTempSubdirectory("sl-true").FullName, "qf");
        var g = QfGrammar.McCoy();
        var splits = QuestionFormation.Generate(g, 4, train: 400, dev: 200, test: 0, gen: 0);
        QuestionFormation.WriteFolder(dir, g, splits, "generated", 4, new JsonObject { ["from_files"] = false });
        var f = ScalingLab.Training.LossFloor.For(dir, 64, 1000)!;
        var model = QfTrueModel.Build(g);
        Assert.Equal(model.EntropyRate, f.EntropyRate!.Value, 12);
        // Every aligned window predicts whole val lines after the first, so the windows together cover lines 1..199.
        var whole = model.CrossEntropy(splits["dev"].Skip(1));
        Assert.Equal(whole.NatsPerToken, f.BestEvalLoss!.Value, 9);
        Assert.Contains("aligned", f.Note);
    }
}
