namespace ScalingLab.Cli.Commands;

/// <summary>`scalinglab data qf`: Question-Formation (McCoy, Frank & Linzen 2020): generated from the grammar or read from the original files → a data folder.</summary>
public static class DataQfCommand
{
    // The generator's defaults live once, in its option record.
    private static readonly QfOptions Defaults = new();

    /// <summary>The `data qf` sub-verb.</summary>
    public static Command Create()
    {
        var from = new Option<string?>("--from") { Description = "read the original files (question.train/dev/test/gen) from this folder instead of generating" };
        var seed = new Option<ulong>("--seed") { Description = "generator seed", DefaultValueFactory = _ => Defaults.Seed };
        var train = new Option<int>("--train") { Description = "training lines", DefaultValueFactory = _ => Defaults.Train };
        var dev = new Option<int>("--dev") { Description = "dev lines (the 'val' split)", DefaultValueFactory = _ => Defaults.Dev };
        var test = new Option<int>("--test") { Description = "test lines", DefaultValueFactory = _ => Defaults.Test };
        var gen = new Option<int>("--gen") { Description = "generalisation lines (subject relative clauses)", DefaultValueFactory = _ => Defaults.Gen };
        var grammar = new Option<string?>("--grammar") { Description = "a .gr grammar file (default: McCoy et al.'s question.gr, built in)" };
        return DataGeneratorCommand.Create("qf",
            Verb.Help("Question formation (McCoy, Frank & Linzen 2020): generate decl/quest lines from the grammar, or read the\n" +
            "original files, and write them as they are plus word-level token shards (TAB → space, one line per\n" +
            "sequence) with splits train, val (= dev), test and gen.",
            "scalinglab data qf --out data/qf",
            "scalinglab data qf --train 20000 --seed 7 --out data/qf20k",
            "scalinglab data qf --from /work/shared/data/question_formation --out data/qf-real"), [from, seed, train, dev, test, gen, grammar],
            (parse, dir, progress) => GeneratedData.Write(dir, new QfOptions
            {
                Seed = parse.GetValue(seed), Train = parse.GetValue(train), Dev = parse.GetValue(dev), Test = parse.GetValue(test),
                Gen = parse.GetValue(gen), Grammar = parse.GetValue(grammar), From = parse.GetValue(from),
            }));
    }
}
