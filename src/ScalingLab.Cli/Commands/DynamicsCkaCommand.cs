namespace ScalingLab.Cli.Commands;

/// <summary>`scalinglab dynamics cka`: linear CKA of two saved matrices with the same rows.</summary>
public static class DynamicsCkaCommand
{
    /// <summary>The `dynamics cka` sub-verb.</summary>
    public static Command Create()
    {
        var x = new Option<string>("--x") { Description = "first matrix: rows = samples (CSV of numbers without header, or float32 .npy)", Required = true };
        var y = new Option<string>("--y") { Description = "second matrix: same number of rows as --x", Required = true };
        return Verb.Printing("cka",
            Verb.Help("Linear CKA (Kornblith et al. 2019) of two matrices with the same rows (samples), column-centred.",
            "scalinglab dynamics cka --x layer3_ckpt1000.csv --y layer3_final.csv",
            "scalinglab dynamics cka --x A.npy --y B.npy --json"), [x, y], parse =>
        {
            var a = MatrixFile.Read(parse.GetValue(x)!);
            var b = MatrixFile.Read(parse.GetValue(y)!);
            if (a.Rows != b.Rows)
                throw new UserError($"--x has {a.Rows} rows and --y has {b.Rows}; CKA compares the same samples, so rows must match");
            if (a.Rows < 2) throw new UserError("CKA needs at least 2 rows (samples)");
            double cka = LinearCka.Compute(Gemm.Create(), a.Data, a.Cols, b.Data, b.Cols, a.Rows);
            if (double.IsNaN(cka))
                throw new UserError("CKA is undefined: a matrix has zero variance (all rows equal after centring)");
            return Verb.Print(parse, () => JsonSerializer.Serialize(new { cka, rows = a.Rows, x_cols = a.Cols, y_cols = b.Cols }),
                o => o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"linear CKA = {cka:0.######}  ({a.Rows} samples, {a.Cols} vs {b.Cols} features)")));
        }, json: "cka, rows, x_cols, y_cols");
    }
}
