using ScalingLab.Tensors.Kernels;

namespace ScalingLab.Tests.Tensors.Kernels;

public class LayerNormTests
{
    // Independent float64 reference: y = (x − mean)/sqrt(var + eps)·γ + β per row.
    private static double[] Reference(double[] x, double[] g, double[] b, int dim, double eps)
    {
        var y = new double[x.Length];
        for (int r = 0; r < x.Length / dim; r++)
        {
            double m = 0, v = 0;
            for (int i = 0; i < dim; i++) m += x[r * dim + i];
            m /= dim;
            for (int i = 0; i < dim; i++) v += (x[r * dim + i] - m) * (x[r * dim + i] - m);
            v /= dim;
            for (int i = 0; i < dim; i++) y[r * dim + i] = (x[r * dim + i] - m) / Math.Sqrt(v + eps) * g[i] + b[i];
        }
        return y;
    }

    [Theory]
    [InlineData(3, 8)]
    [InlineData(4, 37)]
    [InlineData(2, 384)]
    public void ForwardMatchesFloat64(int rows, int dim)
    {
        var x = Fd.Random(rows * dim, 1, 2f);
        for (int i = 0; i < x.Length; i++) x[i] += 3f; // an offset: the two-pass variance must not cancel
        var g = Fd.Random(dim, 2); var b = Fd.Random(dim, 3);
        var y = new float[x.Length]; var mean = new float[rows]; var rstd = new float[rows];
        LayerNorm.Forward(x, g, b, 1e-5f, y, mean, rstd, dim);
        var expected = Reference(Fd.ToDouble(x), Fd.ToDouble(g), Fd.ToDouble(b), dim, 1e-5);
        Fd.Close(expected, y, 1e-5, 1e-5, "y");
    }

    [Fact]
    public void BackwardMatchesFiniteDifferences()
    {
        const int rows = 3, dim = 10;
        const double eps = 1e-5;
        var x = Fd.Random(rows * dim, 4); var g = Fd.Random(dim, 5); var b = Fd.Random(dim, 6);
        var w = Fd.Random(rows * dim, 7); // L = Σ w·y, so dy = w
        var y = new float[x.Length]; var mean = new float[rows]; var rstd = new float[rows];
        LayerNorm.Forward(x, g, b, (float)eps, y, mean, rstd, dim);
        var dx = new float[x.Length]; var dg = new float[dim]; var db = new float[dim];
        // Accumulation: start from ones and check that the kernel adds (not overwrites).
        Array.Fill(dx, 1f); Array.Fill(dg, 1f); Array.Fill(db, 1f);
        LayerNorm.Backward(w, x, g, mean, rstd, dx, dg, db, new float[2 * dim], dim);

        double[] xd = Fd.ToDouble(x), gd = Fd.ToDouble(g), bd = Fd.ToDouble(b);
        var ex = Fd.Gradient(xd, v => Fd.Dot(Reference(v, gd, bd, dim, eps), w));
        var eg = Fd.Gradient(gd, v => Fd.Dot(Reference(xd, v, bd, dim, eps), w));
        var eb = Fd.Gradient(bd, v => Fd.Dot(Reference(xd, gd, v, dim, eps), w));
        for (int i = 0; i < ex.Length; i++) ex[i] += 1;
        for (int i = 0; i < dim; i++) { eg[i] += 1; eb[i] += 1; }
        Fd.Close(ex, dx, 1e-4, 1e-4, "dx");
        Fd.Close(eg, dg, 1e-4, 1e-4, "dgamma");
        Fd.Close(eb, db, 1e-4, 1e-4, "dbeta");
    }
}
