using ScalingLab.Tensors.Kernels;

namespace ScalingLab.Tests.Tensors.Kernels;

public class BiasResidualTests
{
    [Fact]
    public void BiasAddBroadcastAndGradient()
    {
        const int rows = 5, cols = 7;
        var y = Fd.Random(rows * cols, 31); var b = Fd.Random(cols, 32);
        var expected = new double[y.Length];
        for (int r = 0; r < rows; r++) for (int c = 0; c < cols; c++) expected[r * cols + c] = (double)y[r * cols + c] + b[c];
        Bias.Add(y, b);
        Fd.Close(expected, y, 1e-6, 1e-6, "add");

        var z = new float[rows * cols];
        Bias.Broadcast(z, b);
        for (int r = 0; r < rows; r++) for (int c = 0; c < cols; c++) Assert.Equal(b[c], z[r * cols + c]);

        var dy = Fd.Random(rows * cols, 33);
        var db = new float[cols]; Array.Fill(db, 2f);
        Bias.Backward(dy, db);
        var eb = new double[cols];
        for (int c = 0; c < cols; c++) { eb[c] = 2; for (int r = 0; r < rows; r++) eb[c] += dy[r * cols + c]; }
        Fd.Close(eb, db, 1e-6, 1e-6, "dbias");
    }

    [Fact]
    public void ResidualForwardAndBackward()
    {
        var a = Fd.Random(19, 34); var b = Fd.Random(19, 35);
        var y = new float[19];
        Residual.Forward(a, b, y);
        for (int i = 0; i < 19; i++) Assert.Equal(a[i] + b[i], y[i]);
        var d = (float[])a.Clone();
        Residual.Backward(b, d);
        for (int i = 0; i < 19; i++) Assert.Equal(a[i] + b[i], d[i]);
    }
}
