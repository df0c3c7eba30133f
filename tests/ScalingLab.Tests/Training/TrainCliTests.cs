using System.Text.Json;
using ScalingLab.Data;
using ScalingLab.Tests.Cli;
using ScalingLab.Training;

namespace ScalingLab.Tests.Training;

public class TrainCliTests
{
    /// <summary>
    /// A data folder of words w00..w15 following the test Markov chain (train 6000 tokens, val 1500); chain state s is
    /// word "w{s:D2}", id s+1 (the word tokenizer keeps id 0 for the newline and sorts the words).
    /// </summary>
    internal static string MarkovFolder()
    {
        var tok = new WordTokenizer(Enumerable.Range(0, 16).Select(i => $"w{i:D2}"));
        string dir = Path.Combine(Directory.CreateTempSubdirectory("sl-traincli").FullName, "data");
        var train = TrainerTests.MarkovTokens(6000, 16, 1);
        var val = TrainerTests.MarkovTokens(1500, 16, 2);
        DataFolderWriter.Write(dir, tok, w =>
        {
            foreach (var (split, seq) in new[] { ("train", train), ("val", val) })
            {
                var buf = new int[seq.Count];
                seq.Read(0, buf);
                for (int i = 0; i < buf.Length; i++) buf[i]++;
                w.Append(split, buf);
            }
            return new DataManifest { Kind = "markov", Source = "test chain" };
        });
        return dir;
    }

    private static readonly string[] Small = ["train", "--model", "1x32", "--batch", "8", "--seq", "16",
                                              "--threads", "1", "--eval-every", "50", "--ckpt-every", "0"];

    [Fact]
    public void TrainsPrintsTheBaselineAndSamples()
    {
        string data = MarkovFolder();
        string run = Path.Combine(Path.GetDirectoryName(data)!, "run");
        var (code, output, err) = CliRunner.Run([.. Small, "--lr", "1e-2", "--tokens", "20K", "--data", data, "--out", run, "--json"]);
        Assert.True(code == 0, err);
        using var doc = JsonDocument.Parse(output);
        var r = doc.RootElement;
        Assert.True(r.GetProperty("completed").GetBoolean());
        Assert.True(r.GetProperty("beats_unigram").GetBoolean(), output);
        Assert.True(r.GetProperty("beat_unigram_step").GetInt64() > 0);
        Assert.True(r.GetProperty("min_val_loss").GetDouble() < r.GetProperty("unigram_val_loss").GetDouble() - 0.3);
        Assert.Contains("step 157/157", err);  // ⌈20000 / 128⌉ steps, plain progress lines

        (code, output, err) = CliRunner.Run("sample", "--run", run, "--prompt", "w00 w01", "--tokens", "12", "--temperature", "0");
        Assert.True(code == 0, err);
        var words = output.Trim().Split(' ');
        Assert.Equal(2 + 12, words.Length);
        Assert.All(words, w => Assert.Matches(@"^w\d+$", w));
        // Greedy follows the chain's most likely successor (prev·3+1 mod 16) once the model has learnt it.
        int follows = 0;
        for (int i = 2; i < words.Length; i++)
            if (int.Parse(words[i][1..]) == (int.Parse(words[i - 1][1..]) * 3 + 1) % 16) follows++;
        Assert.True(follows >= 9, output);
        var (code2, output2, _) = CliRunner.Run("sample", "--run", run, "--prompt", "w00 w01", "--tokens", "12", "--temperature", "0");
        Assert.Equal(0, code2);
        Assert.Equal(output, output2);
    }

    [Fact]
    public void HumanOutputNamesMinValLossAndUnigramEntropy()
    {
        string data = MarkovFolder();
        string run = Path.Combine(Path.GetDirectoryName(data)!, "run");
        var (code, output, err) = CliRunner.Run([.. Small, "--tokens", "2K", "--data", data, "--out", run]);
        Assert.True(code == 0, err);
        Assert.Contains("min val loss", output);
        Assert.Contains("unigram", output);
        Assert.Contains("entropy", output);
    }

    [Fact]
    public void RefusesADifferentConfigAndBadInputInOneLine()
    {
        string data = MarkovFolder();
        string run = Path.Combine(Path.GetDirectoryName(data)!, "run");
        Assert.Equal(0, CliRunner.Run([.. Small, "--tokens", "1K", "--data", data, "--out", run]).Code);
        var (code, _, err) = CliRunner.Run([.. Small, "--tokens", "1K", "--lr", "3e-3", "--data", data, "--out", run]);
        Assert.Equal(1, code);
        Assert.Single(err.Trim().Split('\n'));
        Assert.Contains("--force", err);
        Assert.Equal(0, CliRunner.Run([.. Small, "--tokens", "1K", "--lr", "3e-3", "--data", data, "--out", run, "--force"]).Code);

        (code, _, err) = CliRunner.Run([.. Small, "--tokens", "lots", "--data", data, "--out", run + "2"]);
        Assert.Equal(1, code);
        Assert.Contains("not a token count", err);
        (code, _, err) = CliRunner.Run([.. Small, "--tokens", "1K", "--data", data + "-missing", "--out", run + "3"]);
        Assert.Equal(1, code);
        Assert.Single(err.Trim().Split('\n'));
        (code, _, err) = CliRunner.Run("train", "--resume", run, "--lr", "1");
        Assert.Equal(1, code);
        Assert.Contains("drop --lr", err);
    }

    [Fact]
    public void ConfigFileAndResumeOfAFinishedRun()
    {
        string data = MarkovFolder();
        string dir = Path.GetDirectoryName(data)!;
        string cfg = Path.Combine(dir, "run.json");
        File.WriteAllText(cfg, $$"""{"model": "1x32", "data": {{JsonSerializer.Serialize(data)}}, "tokens": 1024, "batch": 8, "seq": 16, "lr": 0.01, "threads": 1}""");
        string run = Path.Combine(dir, "run");
        var (code, _, err) = CliRunner.Run("train", "--config", cfg, "--out", run, "--seed", "7");
        Assert.True(code == 0, err);
        var (_, tc) = Trainer.ReadRunConfig(run);
        Assert.Equal(1024, tc.Tokens);
        Assert.Equal(7UL, tc.Seed);
        Assert.Equal(8, tc.Batch);
        (code, var output, err) = CliRunner.Run("train", "--resume", run);
        Assert.True(code == 0, err);
        Assert.Contains("step 8/8", output);
    }

    [Theory]
    [InlineData("20M", 20_000_000L)]
    [InlineData("1.5K", 1500L)]
    [InlineData("2B", 2_000_000_000L)]
    [InlineData("12345", 12345L)]
    public void TokenCounts(string text, long expected) =>
        Assert.Equal(expected, ScalingLab.Cli.Commands.TrainCommand.ParseCount(text));
}

public class KillResumeTests
{
    [Fact]
    public void KilledChildProcessResumesBitIdentically()
    {
        string data = TrainCliTests.MarkovFolder();
        string dir = Path.GetDirectoryName(data)!;
        string whole = Path.Combine(dir, "whole"), killed = Path.Combine(dir, "killed");
        string[] args = ["train", "--model", "1x32", "--batch", "8", "--seq", "16", "--lr", "1e-2", "--tokens", "48K",
                         "--threads", "1", "--gemm", "managed", "--eval-every", "100", "--ckpt-every", "100", "--data", data];
        var (code, _, err) = CliRunner.Run([.. args, "--out", whole]);
        Assert.True(code == 0, err);

        // The same run in a child process, killed with SIGKILL once a mid-run checkpoint exists.
        string cli = Path.Combine(AppContext.BaseDirectory, "ScalingLab.Cli.dll");
        var psi = new System.Diagnostics.ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(cli);
        foreach (string a in args.Append("--out").Append(killed)) psi.ArgumentList.Add(a);
        using (var child = System.Diagnostics.Process.Start(psi)!)
        {
            child.OutputDataReceived += (_, _) => { };
            child.ErrorDataReceived += (_, _) => { };
            child.BeginOutputReadLine();
            child.BeginErrorReadLine();
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (!Checkpoints.List(killed).Any(c => c.Step >= 128) && !child.HasExited && DateTime.UtcNow < deadline)
                Thread.Sleep(5);
            Assert.False(child.HasExited, "the child finished before it could be killed");
            child.Kill(entireProcessTree: true);
            child.WaitForExit();
        }
        Assert.False(File.Exists(Path.Combine(killed, "summary.json")));
        long resumedFrom = Checkpoints.List(killed)[^1].Step;
        Assert.True(resumedFrom < 375);

        (code, _, err) = CliRunner.Run("train", "--resume", killed);
        Assert.True(code == 0, err);
        Assert.Contains($"resuming {killed} at step {resumedFrom}", err);
        Assert.Equal(File.ReadAllBytes(Path.Combine(Checkpoints.List(whole)[^1].Path, "model.safetensors")),
                     File.ReadAllBytes(Path.Combine(Checkpoints.List(killed)[^1].Path, "model.safetensors")));
        Assert.Equal(File.ReadAllBytes(Path.Combine(Checkpoints.List(whole)[^1].Path, "optimizer.safetensors")),
                     File.ReadAllBytes(Path.Combine(Checkpoints.List(killed)[^1].Path, "optimizer.safetensors")));
        static double?[] Losses(string run) => MetricsLog.Read(Path.Combine(run, "metrics.jsonl"))
            .SelectMany(r => new[] { r.Step, r.TrainLoss, r.ValLoss, r.GradNorm }).ToArray();
        Assert.Equal(Losses(whole), Losses(killed));
    }
}

public class TrainSettingNamesTests
{
    [Fact]
    public void TheSameBadSettingIsAFlagOnTheCliAndAFieldInASpec()
    {
        // One check (TrainConfig.Validate), two names: the CLI user typed --seq, the spec's author wrote train.seq.
        var (code, output, err) = ScalingLab.Tests.Cli.CliRunner.Run("train", "--model", "1x16", "--data", "/nonexistent", "--seq", "0", "--out", "/tmp/never");
        Assert.NotEqual(0, code);
        Assert.Equal("", output);
        Assert.Contains("--seq must be ≥ 1", err);
        var e = Assert.Throws<ScalingLab.Common.UserError>(() => ScalingLab.Sweeps.SweepSpec.Parse(
            ScalingLab.Sweeps.SpecText.Parse("name: x\ndata: { dir: d }\naxes: { models: [1x16] }\ntrain: { seq: 0 }"), "/tmp"));
        Assert.Equal("sweep spec: train.seq must be ≥ 1 (got 0)", e.Message);
        Assert.Equal("seq", e.Setting);
    }
}
