using AlignLab.Nn.Kernels;

namespace AlignLab.Nn.Tests;

public class MatrixProductTests
{
    [Theory]
    [InlineData(7, 13, 33, false, true)]
    [InlineData(5, 130, 17, true, false)]
    public void MatchesTheLayersKernelBitForBit(int m, int n, int k, bool transA, bool transB)
    {
        var rng = new Random(m + n + k);
        var a = Enumerable.Range(0, m * k).Select(_ => (float)((rng.NextDouble() * 2) - 1)).ToArray();
        var b = Enumerable.Range(0, k * n).Select(_ => (float)((rng.NextDouble() * 2) - 1)).ToArray();
        var expected = new float[m * n];
        Gemm.Multiply(m, n, k, a, transA, b, transB, expected, accumulate: false);
        var c = new float[m * n];
        MatrixProduct.Multiply(m, n, k, a, transA, b, transB, c);
        Assert.Equal(expected, c);

        // Accumulating adds the product again.
        MatrixProduct.Multiply(m, n, k, a, transA, b, transB, c, accumulate: true);
        Assert.Equal(2 * expected[0], c[0], 1e-5f);
    }

    [Fact]
    public void RefusesOperandsSmallerThanTheSizes() =>
        Assert.Throws<ArgumentException>(() => MatrixProduct.Multiply(2, 2, 2, new float[3], false, new float[4], false, new float[4]));
}
