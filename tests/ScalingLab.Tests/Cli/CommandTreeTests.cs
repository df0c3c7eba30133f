using System.CommandLine;
using ScalingLab.Cli;
using ScalingLab.Tensors;

namespace ScalingLab.Tests.Cli;

/// <summary>The whole `scalinglab` command tree, walked from <see cref="CliApp.BuildRoot"/>.</summary>
public class CommandTreeTests
{
    /// <summary>Every command with its path ("scalinglab sweep run") and the options in force there (its own and recursive ones of its parents).</summary>
    private static IEnumerable<(string Path, Command Command, List<Option> Options)> Walk(Command c, string path, List<Option> inherited)
    {
        var here = inherited.Concat(c.Options).ToList();
        yield return (path, c, here);
        var passDown = inherited.Concat(c.Options.Where(o => o.Recursive)).ToList();
        foreach (var sub in c.Subcommands)
            foreach (var x in Walk(sub, path + " " + sub.Name, passDown)) yield return x;
    }

    private static List<(string Path, Command Command, List<Option> Options)> Tree() => Walk(CliApp.BuildRoot(), "scalinglab", []).ToList();

    [Fact]
    public void NoVerbDeclaresAnOptionOrAliasTwice()
    {
        var tree = Tree();
        Assert.True(tree.Count >= 35, $"the walk found only {tree.Count} commands");
        var clashes = new List<string>();
        foreach (var (path, _, options) in tree)
        {
            foreach (var g in options.SelectMany(o => o.Aliases.Prepend(o.Name)).GroupBy(n => n).Where(g => g.Count() > 1))
                clashes.Add($"{path}: {g.Key} ×{g.Count()}");
        }
        Assert.Empty(clashes);
    }

    [Fact]
    public void TheWalkSeesAnInheritedClash()
    {
        // The check above must be able to fail: a parent's recursive --json clashes with a child's own --json.
        var parent = new Command("p");
        parent.Options.Add(new Option<bool>("--json") { Recursive = true });
        var child = new Command("c");
        child.Options.Add(new Option<bool>("--json"));
        parent.Subcommands.Add(child);
        var child2 = Walk(parent, "p", []).Single(x => x.Path == "p c");
        Assert.Equal(2, child2.Options.Count(o => o.Name == "--json"));
    }

    [Fact]
    public void EveryGemmOptionListsAndAcceptsExactlyTheRealBackends()
    {
        var withGemm = Tree().Where(x => x.Command.Options.Any(o => o.Name == "--gemm")).ToList();
        Assert.True(withGemm.Count >= 6, $"only {withGemm.Count} verbs take --gemm");
        foreach (var (path, _, _) in withGemm)
        {
            string[] verb = path.Split(' ')[1..];
            var (code, help, _) = CliRunner.Run([.. verb, "--help"]);
            Assert.Equal(0, code);
            string line = help.Split('\n').Single(l => l.TrimStart().StartsWith("--gemm", StringComparison.Ordinal));
            Assert.Contains("<" + string.Join("|", Gemm.Backends) + ">", line);
            var (bad, _, err) = CliRunner.Run([.. verb, "--gemm", "blas9000"]);
            Assert.Equal(2, bad);
            Assert.Contains("blas9000", err);
        }
    }
}
