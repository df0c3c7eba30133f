using System.Text.Json.Nodes;
using ScalingLab.Data;
using ScalingLab.Sweeps;
using ScalingLab.Training;

namespace ScalingLab.Tests.Sweeps;

public class SweepWindowsTests
{
    /// <summary>
    /// A sweep with a Question-Formation grid and a Markov grid, left to the default (train.windows unset): the QF runs
    /// train on aligned windows on the newline separator, the Markov runs on the stream grid; a grid that names
    /// train.windows gets what it names. What decides is the run's train.json, which resume reads back.
    /// </summary>
    [Fact]
    public void QuestionFormationGridsTrainOnAlignedWindowsByDefault()
    {
        string tmp = Directory.CreateTempSubdirectory("sl-sweepwin").FullName;
        var g = QfGrammar.McCoy();
        QuestionFormation.WriteFolder(Path.Combine(tmp, "qf"), g, QuestionFormation.Generate(g, 2, train: 300, dev: 40, test: 0, gen: 0),
                                      "generated", 2, new JsonObject { ["from_files"] = false });
        SyntheticCorpora.WriteMarkov(Path.Combine(tmp, "mk"), 1, 8, 1.0, 6_000, 1_000, 2);
        const string yaml = """
            name: win
            data: { dir: mk }
            model: { head_size: 8 }
            train: { batch: 2, seq: 40, eval_windows: 4, ckpt_every: 0 }
            axes: { models: [1x16], data_sizes: [400] }
            grids:
              - { name: qf, data: { dir: qf } }
              - { name: qfstream, data: { dir: qf }, train: { windows: stream } }
            """;
        var spec = SweepSpec.Parse(SpecText.Parse(yaml), tmp);
        var runs = spec.Expand(d =>
        {
            using var ds = TokenDataset.Open(d.Dir!);
            return new DataInfo(d.Dir!, ds.Train.Count, ds.VocabSize);
        });
        var windows = new Dictionary<string, (string?, int)>();
        foreach (var r in runs)
        {
            string dir = Path.Combine(tmp, "runs", r.RunDirName);
            SweepTraining.Train(r with { Threads = 1 }, dir, _ => { }, CancellationToken.None);
            var tc = Trainer.ReadRunConfig(dir).Train;
            windows[r.Grid] = (tc.Windows, tc.Separator);
        }
        Assert.Equal(("stream", -1), windows["main"]);
        Assert.Equal(("aligned", 0), windows["qf"]);
        Assert.Equal(("stream", -1), windows["qfstream"]);
    }
}
