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

    /// <summary>The example command lines of a help text: the lines after "Example(s):" that start with "scalinglab" (a line ending in \ goes on).</summary>
    private static IEnumerable<string> Examples(string? help)
    {
        if (help is null) yield break;
        int at = help.IndexOf("Example", StringComparison.Ordinal);
        if (at < 0) yield break;
        var lines = help[at..].Split('\n').Skip(1).Select(l => l.Trim()).ToList();
        for (int i = 0; i < lines.Count; i++)
        {
            string line = lines[i];
            if (!line.StartsWith("scalinglab ", StringComparison.Ordinal)) continue;
            while (line.EndsWith(" \\", StringComparison.Ordinal) && i + 1 < lines.Count) line = line[..^1] + lines[++i]; // continued line
            int comment = line.IndexOf(" #", StringComparison.Ordinal);
            if (comment >= 0) line = line[..comment];
            int redirect = line.IndexOf(" > ", StringComparison.Ordinal);
            if (redirect >= 0) line = line[..redirect];
            yield return line.Trim();
        }
    }

    /// <summary>Splits a command line as a POSIX shell would for these examples: spaces, '…' and "…" quoting, \" inside "…".</summary>
    private static string[] ShellWords(string line)
    {
        var words = new List<string>();
        var w = new System.Text.StringBuilder();
        bool any = false;
        for (int i = 0; i < line.Length; i++)
        {
            char c = line[i];
            if (c == ' ') { if (any) words.Add(w.ToString()); w.Clear(); any = false; continue; }
            any = true;
            if (c == '\'')
            {
                int end = line.IndexOf('\'', i + 1);
                w.Append(line, i + 1, end - i - 1);
                i = end;
            }
            else if (c == '"')
            {
                for (i++; line[i] != '"'; i++)
                {
                    if (line[i] == '\\' && line[i + 1] == '"') i++;
                    w.Append(line[i]);
                }
            }
            else w.Append(c);
        }
        if (any) words.Add(w.ToString());
        return [.. words];
    }

    [Fact]
    public void EveryExampleInTheHelpParses()
    {
        var root = CliApp.BuildRoot();
        var bad = new List<string>();
        int seen = 0;
        foreach (var (path, command, _) in Walk(root, "scalinglab", []))
        {
            foreach (string example in Examples(command.Description))
            {
                if (example.Contains('<')) continue; // "scalinglab <verb> --help": a pattern, not a command
                seen++;
                var parse = root.Parse(ShellWords(example)[1..]);
                if (parse.Errors.Count > 0) bad.Add($"{path}: {example}: {parse.Errors[0].Message}");
            }
        }
        Assert.True(seen >= 60, $"found only {seen} examples");
        Assert.True(bad.Count == 0, string.Join("\n", bad));
    }

    [Fact]
    public void ShellWordsQuoteAsTheShellDoes()
    {
        Assert.Equal(["a", "-2,-0.5;0.2", "x y", "it's"], ShellWords("a \"-2,-0.5;0.2\" 'x y' \"it's\""));
        Assert.Equal(["q", "say \"hi\""], ShellWords("q \"say \\\"hi\\\"\""));
    }
}
