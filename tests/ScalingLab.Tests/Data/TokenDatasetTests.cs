using ScalingLab.Common;
using ScalingLab.Data;

namespace ScalingLab.Tests.Data;

public class TokenDatasetTests
{
    private static string MakeFolder(out int[] train, out int[] val, long shardTokens = 7)
    {
        var tok = new WordTokenizer(["a", "b", "c"]);
        string dir = Path.Combine(Directory.CreateTempSubdirectory().FullName, "data");
        var tr = new List<int>();
        var va = new List<int>();
        DataFolderWriter.Write(dir, tok, w =>
        {
            for (int d = 0; d < 10; d++)
            {
                var ids = tok.Encode(d % 2 == 0 ? "a b c" : "c a");
                string split = d % 5 == 4 ? "val" : "train";
                w.AppendDocument(split, ids);
                (split == "train" ? tr : va).AddRange([.. ids, tok.EndOfTextId]);
            }
            return new DataManifest { Kind = "corpus", Source = "test" };
        }, shardTokens);
        train = tr.ToArray();
        val = va.ToArray();
        return dir;
    }

    [Fact]
    public void OpenPresentsManyShardsAsOneSequence()
    {
        string dir = MakeFolder(out var train, out var val);
        using var ds = TokenDataset.Open(dir);
        Assert.True(ds.Manifest.Splits["train"].Shards.Count > 2);
        Assert.Equal(4, ds.VocabSize);
        Assert.Equal(8, ds.Manifest.Splits["train"].Documents);
        Assert.Equal(train.Length, ds.Train.Count);
        var got = new int[train.Length];
        ds.Train.Read(0, got);
        Assert.Equal(train, got);
        got = new int[val.Length];
        ds.Val.Read(0, got);
        Assert.Equal(val, got);
        Assert.Equal("a b c\nc a\n", ds.Tokenizer.Decode(train.AsSpan(0, 7)));
        Assert.Single(Directory.GetDirectories(Path.GetDirectoryName(dir)!)); // no temporary folder left beside it
    }

    [Fact]
    public void MismatchesAreUserErrors()
    {
        string dir = MakeFolder(out _, out _);
        Assert.Throws<UserError>(() => TokenDataset.Open(dir + "-missing"));

        // A shard cut short.
        string shard = Path.Combine(dir, "train-000001.bin");
        byte[] good = File.ReadAllBytes(shard);
        File.WriteAllBytes(shard, good[..^2]);
        Assert.Contains("truncated", Assert.Throws<UserError>(() => TokenDataset.Open(dir)).Message);
        File.WriteAllBytes(shard, good);

        // A different tokenizer.json.
        string tokPath = Path.Combine(dir, "tokenizer.json");
        string text = File.ReadAllText(tokPath);
        File.WriteAllText(tokPath, text.Replace("\"c\"", "\"d\""));
        Assert.Contains("does not match", Assert.Throws<UserError>(() => TokenDataset.Open(dir)).Message);
    }

    [Fact]
    public void FailedFillLeavesNoFolder()
    {
        string parent = Directory.CreateTempSubdirectory().FullName;
        string dir = Path.Combine(parent, "data");
        var tok = new WordTokenizer(["a"]);
        Assert.Throws<UserError>(() => DataFolderWriter.Write(dir, tok, w =>
        {
            w.AppendDocument("train", tok.Encode("a a"));
            tok.Encode("zzz");
            return new DataManifest();
        }));
        Assert.Empty(Directory.GetFileSystemEntries(parent));
    }
}
