namespace ScalingLab.Cli;

/// <summary>
/// The `scalinglab` command: the root and its verbs, and the one policy for errors:
/// a parse error prints one line and exits 2; a <see cref="UserError"/> prints one line and
/// exits with its code; anything else is a bug and prints its type and message (exit 70).
/// </summary>
public static class CliApp
{
    /// <summary>Builds the root command with every verb.</summary>
    public static Command BuildRoot()
    {
        // A plain Command named "scalinglab" (a RootCommand takes the assembly's name, ScalingLab.Cli).
        var root = new Command("scalinglab",
            Verb.Help("ScalingLab: train families of GPT-style models on the CPU, fit scaling laws, and explain them.",
            "scalinglab demo                    # the whole job on built-in data: sweep, fit, memory, dynamics, report",
            "scalinglab train --model 2x128 --data DATA_DIR --tokens 1M --out runs/a",
            "scalinglab fit --csv runs.csv --n-column N --d-column D --loss-column loss",
            "scalinglab bench gemm              # managed GEMM vs OpenBLAS, GFLOP/s side by side",
            "scalinglab <verb> --help           # every verb has examples"));
        root.Options.Add(new System.CommandLine.Help.HelpOption());
        root.Options.Add(new VersionOption());
        Command[] verbs =
        [
            BenchCommand.Create(), FitCommand.Create(), SweepCommand.Create(), ReportCommand.Create(), DemoCommand.Create(),
            ReproduceCommand.Create(), DataCommand.Create(), DynamicsCommand.Create(), MemoryCommand.Create(), TrainCommand.Create(),
            SampleCommand.Create(), EvalCommand.Create(),
        ];
        foreach (var verb in verbs) root.Subcommands.Add(verb);
        return root;
    }

    /// <summary>Parses and runs <paramref name="args"/>, writing to the given streams; returns the exit code.</summary>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var root = BuildRoot();
        ParseResult parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            string cmd = CommandPath(parse.CommandResult.Command);
            // An unknown word says more than the "required command" error that it causes.
            var error = parse.Errors.FirstOrDefault(e => e.Message.StartsWith("Unrecognized", StringComparison.Ordinal))
                        ?? parse.Errors[0];
            stderr.WriteLine($"scalinglab: {error.Message} (see '{cmd} --help')");
            return 2;
        }
        var config = new InvocationConfiguration
        {
            Output = stdout,
            Error = stderr,
            EnableDefaultExceptionHandler = false,
            ProcessTerminationTimeout = null, // SIGTERM and SIGINT are ours (StopSignals): no forced exit after 2 s
        };
        try
        {
            using var signals = new StopSignals();
            return parse.InvokeAsync(config, signals.Token).GetAwaiter().GetResult();
        }
        catch (UserError e)
        {
            stderr.WriteLine($"scalinglab: {e.Message}");
            return e.ExitCode;
        }
        catch (OperationCanceledException)
        {
            stderr.WriteLine("scalinglab: cancelled");
            return 130;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            stderr.WriteLine($"scalinglab: {e.Message}");
            return 1;
        }
        catch (Exception e)
        {
            stderr.WriteLine($"scalinglab: internal error: {e.GetType().Name}: {e.Message}");
            if (Environment.GetEnvironmentVariable("SCALINGLAB_TRACE") == "1") stderr.WriteLine(e);
            return 70;
        }
    }

    private static string CommandPath(Command? command)
    {
        var names = new List<string>();
        for (Symbol? s = command; s is not null; s = (s as Command)?.Parents.FirstOrDefault() as Symbol)
        {
            names.Add(s.Name);
        }
        names.Reverse();
        return string.Join(' ', names);
    }
}
