using System.Globalization;
using System.Text;
using System.Text.Json;
using ScalingLab.Tests.Cli;

namespace ScalingLab.Tests.Dynamics;

public class DynamicsCliTests
{
    private static string WriteCsv(string dir, string name, float[] m, int cols)
    {
        var sb = new StringBuilder();
        for (int i = 0; i < m.Length; i += cols)
            sb.AppendLine(string.Join(",", m.Skip(i).Take(cols).Select(v => v.ToString("R", CultureInfo.InvariantCulture))));
        string path = Path.Combine(dir, name);
        File.WriteAllText(path, sb.ToString());
        return path;
    }

    [Fact]
    public void CkaJsonOfScaledCopyIsOneAndMatchesNaive()
    {
        var dir = Directory.CreateTempSubdirectory().FullName;
        int n = 30;
        float[] x = TestMatrices.Normal(40, n, 4);
        float[] y = TestMatrices.Normal(41, n, 3);
        string xs = WriteCsv(dir, "x.csv", x, 4);
        string x2 = WriteCsv(dir, "x2.csv", x.Select(v => -2 * v).ToArray(), 4);
        string ys = WriteCsv(dir, "y.csv", y, 3);

        var (code, output, err) = CliRunner.Run("dynamics", "cka", "--x", xs, "--y", x2, "--json");
        Assert.True(code == 0, err);
        Assert.Equal(1.0, JsonDocument.Parse(output).RootElement.GetProperty("cka").GetDouble(), 1e-6);

        (code, output, err) = CliRunner.Run("dynamics", "cka", "--x", xs, "--y", ys, "--json");
        Assert.True(code == 0, err);
        Assert.Equal(TestMatrices.NaiveCka(x, 4, y, 3, n), JsonDocument.Parse(output).RootElement.GetProperty("cka").GetDouble(), 1e-5);

        (code, output, _) = CliRunner.Run("dynamics", "cka", "--x", xs, "--y", ys);
        Assert.Equal(0, code);
        Assert.Contains("linear CKA", output);
    }

    [Fact]
    public void ErankJsonOfIdentity()
    {
        var dir = Directory.CreateTempSubdirectory().FullName;
        int n = 12;
        var eye = new float[n * n];
        for (int i = 0; i < n; i++) eye[i * n + i] = 1;
        string path = WriteCsv(dir, "eye.csv", eye, n);
        var (code, output, err) = CliRunner.Run("dynamics", "erank", "--matrix", path, "--json");
        Assert.True(code == 0, err);
        var root = JsonDocument.Parse(output).RootElement;
        Assert.Equal(12.0, root.GetProperty("effective_rank").GetDouble(), 1e-9);
        Assert.Equal(1.0, root.GetProperty("per").GetDouble(), 1e-9);
        Assert.Equal(12, root.GetProperty("singular_values").GetInt32());
    }

    [Theory]
    [InlineData("ragged")]
    [InlineData("rows")]
    [InlineData("missing")]
    public void BadMatricesAreOneLineErrors(string kind)
    {
        var dir = Directory.CreateTempSubdirectory().FullName;
        string a = Path.Combine(dir, "a.csv"), b = Path.Combine(dir, "b.csv");
        File.WriteAllText(a, "1,2\n3,4\n5,7\n");
        File.WriteAllText(b, kind switch { "ragged" => "1,2\n3\n4,5\n", "rows" => "1,2\n3,4\n", _ => "1\n2\n3\n" });
        if (kind == "missing") b = Path.Combine(dir, "nope.csv");
        var (code, _, err) = CliRunner.Run("dynamics", "cka", "--x", a, "--y", b);
        Assert.NotEqual(0, code);
        Assert.Single(err.Trim().Split('\n'));
        Assert.StartsWith("scalinglab: ", err);
    }
}
