namespace ScalingLab.Cli;

/// <summary>
/// How every verb is put together, once: a name, help with examples, its arguments and options in help order, and an
/// action that parses, makes one library call and prints. A verb that prints a typed result is made with
/// <see cref="Printing(string, string, IEnumerable{Symbol}, Func{ParseResult, int}, string?)"/>, which declares its --json
/// last; the action prints with <see cref="Print"/> (the result's JSON with --json, else its table) or asks
/// <see cref="WantsJson"/>. A group verb (<see cref="Group"/>) holds sub-verbs.
/// </summary>
internal static class Verb
{
    /// <summary>A verb whose action returns the exit code.</summary>
    public static Command Create(string name, string help, IEnumerable<Symbol> symbols, Func<ParseResult, int> action)
    {
        var cmd = Declare(name, help, symbols);
        cmd.SetAction(action);
        return cmd;
    }

    /// <summary>A verb whose action can be cancelled (Ctrl-C, SIGTERM: see <see cref="StopSignals"/>).</summary>
    public static Command Create(string name, string help, IEnumerable<Symbol> symbols, Func<ParseResult, CancellationToken, int> action)
    {
        var cmd = Declare(name, help, symbols);
        cmd.SetAction((pr, cancel) => Task.FromResult(action(pr, cancel)));
        return cmd;
    }

    /// <summary>
    /// A verb that prints a typed result: its symbols, then --json (<see cref="SharedOptions.Json"/>, saying what the
    /// JSON <paramref name="json"/> holds when given).
    /// </summary>
    public static Command Printing(string name, string help, IEnumerable<Symbol> symbols, Func<ParseResult, int> action, string? json = null) =>
        Create(name, help, symbols.Append(SharedOptions.Json(json)), action);

    /// <summary>A cancellable verb that prints a typed result (see the other overload).</summary>
    public static Command Printing(string name, string help, IEnumerable<Symbol> symbols, Func<ParseResult, CancellationToken, int> action, string? json = null) =>
        Create(name, help, symbols.Append(SharedOptions.Json(json)), action);

    /// <summary>A verb made of sub-verbs (e.g. `sweep`: submit, run, work, status, export).</summary>
    public static Command Group(string name, string help, params Command[] verbs)
    {
        var cmd = new Command(name, help);
        foreach (var v in verbs) cmd.Subcommands.Add(v);
        return cmd;
    }

    /// <summary>
    /// A verb's help text, laid out once for every verb: what it does (<paramref name="about"/>), a blank line, then
    /// "Examples:" and each example command line indented by two spaces (the command-tree test parses every one).
    /// </summary>
    public static string Help(string about, params string[] examples) =>
        about + "\n\nExamples:\n" + string.Join('\n', examples.Select(e => "  " + e));

    /// <summary>Whether --json was given to a verb made by <see cref="Printing(string, string, IEnumerable{Symbol}, Func{ParseResult, int}, string?)"/>.</summary>
    public static bool WantsJson(ParseResult parse) => parse.GetValue<bool>("--json");

    /// <summary>
    /// Prints a verb's typed result: one JSON object when --json is given (<see cref="WantsJson"/>), else the table; returns 0.
    /// </summary>
    public static int Print(ParseResult parse, Func<string> toJson, Action<TextWriter> table)
    {
        var output = parse.InvocationConfiguration.Output;
        if (WantsJson(parse)) output.WriteLine(toJson());
        else table(output);
        return 0;
    }

    private static Command Declare(string name, string help, IEnumerable<Symbol> symbols)
    {
        var cmd = new Command(name, help);
        foreach (var s in symbols)
        {
            switch (s)
            {
                case Argument a: cmd.Arguments.Add(a); break;
                case Option o: cmd.Options.Add(o); break;
                default: throw new ArgumentException($"verb {name}: {s.GetType().Name} is neither an argument nor an option");
            }
        }
        return cmd;
    }
}
