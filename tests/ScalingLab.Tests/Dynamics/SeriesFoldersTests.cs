using ScalingLab.Dynamics;
using ScalingLab.Training;

namespace ScalingLab.Tests.Dynamics;

/// <summary>
/// `dynamics --series DIR...`: checkpoint folders outside a run (as Pythia's step revisions are) give the same
/// series as the run they came from, ordered by the step in their names.
/// </summary>
public class SeriesFoldersTests(TinyRunsFixture runs) : IClassFixture<TinyRunsFixture>
{
    [Fact]
    public void FoldersNamedByStep_GiveTheRunsSeries()
    {
        string root = Directory.CreateTempSubdirectory("sl-series").FullName;
        var dirs = new List<string>();
        foreach (var (step, path) in Checkpoints.List(runs.Large))
        {
            // Hugging Face folders as a download holds them: weights, config.json, tokenizer; no trainer state, no ScalingLab config.
            string dir = Path.Combine(root, $"step{step}");
            Directory.CreateDirectory(dir);
            foreach (string f in Directory.GetFiles(path))
                if (Path.GetFileName(f) is not ("trainer_state.json" or "optimizer.safetensors" or "scalinglab.json"))
                    File.Copy(f, Path.Combine(dir, Path.GetFileName(f)));
            dirs.Add(dir);
        }
        dirs.Reverse(); // any order on the command line
        var common = new DynamicsOptions { Data = runs.Data, Split = "val", Offset = 100, Batch = 3, Threads = 1, Gemm = "managed" };
        var fromFolders = DynamicsAnalysis.Run(common with { Series = dirs, Seq = 8 }).Series[0];
        var fromRun = DynamicsAnalysis.Run(common with { Runs = [runs.Large] }).Series[0];
        Assert.Equal(fromRun.Steps, fromFolders.Steps);
        foreach (Site s in Enum.GetValues<Site>())
            for (int c = 0; c < fromRun.Steps.Length; c++)
            {
                Assert.Equal(fromRun.Cka[s][c], fromFolders.Cka[s][c]);
                Assert.Equal(fromRun.GradPer[s][c], fromFolders.GradPer[s][c]);
            }
    }
}
