namespace ScalingLab.Cli.Commands;

/// <summary>`scalinglab dynamics erank`: effective rank and PER of a saved matrix.</summary>
public static class DynamicsErankCommand
{
    /// <summary>The `dynamics erank` sub-verb.</summary>
    public static Command Create()
    {
        var matrix = new Option<string>("--matrix") { Description = "the matrix (CSV of numbers without header, or float32 .npy)", Required = true };
        return Verb.Printing("erank",
            Verb.Help("Effective rank (Roy & Vetterli 2007) of a matrix and its PER, normalised by the number of singular\n" +
            "values K = min(rows, cols).",
            "scalinglab dynamics erank --matrix W_O.csv",
            "scalinglab dynamics erank --matrix grad.npy --json"), [matrix], parse =>
        {
            var m = MatrixFile.Read(parse.GetValue(matrix)!);
            var (er, per, count) = EffectiveRank.Of(m.Data, m.Rows, m.Cols, Environment.ProcessorCount);
            if (double.IsNaN(er)) throw new UserError("effective rank is undefined for the zero matrix");
            return Verb.Print(parse, () => JsonSerializer.Serialize(new
                {
                    effective_rank = er, per, singular_values = count, rows = m.Rows, cols = m.Cols,
                    per_normalised_by = "min(rows, cols)",
                }),
                o => o.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"effective rank = {er:0.####}  PER = {per:0.####} (ER / K, K = min(rows, cols) = {count} singular values; matrix {m.Rows}×{m.Cols})")));
        }, json: "effective_rank, per, singular_values, rows, cols");
    }
}
