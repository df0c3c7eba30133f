using ScalingLab.Common;

namespace ScalingLab.Tests.Common;

public class AtomicFileTests
{
    [Fact]
    public void FailedWriteLeavesOldFileAndNoTemporaries()
    {
        string dir = Directory.CreateTempSubdirectory("sl-atomic").FullName;
        string path = Path.Combine(dir, "a.txt");
        AtomicFile.WriteAllText(path, "good");
        Assert.Throws<InvalidOperationException>(() => AtomicFile.Write(path, s =>
        {
            s.WriteByte((byte)'x');
            throw new InvalidOperationException("crash mid-write");
        }));
        Assert.Equal("good", File.ReadAllText(path));
        Assert.Single(Directory.GetFileSystemEntries(dir));
    }

    [Fact]
    public void DirectoryIsReplacedWhole()
    {
        string dir = Directory.CreateTempSubdirectory("sl-atomic").FullName;
        string target = Path.Combine(dir, "ckpt");
        AtomicFile.WriteDirectory(target, d => File.WriteAllText(Path.Combine(d, "x"), "1"));
        Assert.Throws<InvalidOperationException>(() => AtomicFile.WriteDirectory(target, d =>
        {
            File.WriteAllText(Path.Combine(d, "x"), "2");
            throw new InvalidOperationException("crash");
        }));
        Assert.Equal("1", File.ReadAllText(Path.Combine(target, "x")));
        AtomicFile.WriteDirectory(target, d => File.WriteAllText(Path.Combine(d, "y"), "3"));
        Assert.False(File.Exists(Path.Combine(target, "x")));
        Assert.Equal("3", File.ReadAllText(Path.Combine(target, "y")));
        Assert.Single(Directory.GetFileSystemEntries(dir));
    }
}
