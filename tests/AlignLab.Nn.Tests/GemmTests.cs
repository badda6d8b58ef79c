using AlignLab.Nn.Kernels;

namespace AlignLab.Nn.Tests;

public class GemmTests
{
    public static TheoryData<int, int, int, bool, bool> Cases()
    {
        var d = new TheoryData<int, int, int, bool, bool>();
        int[][] sizes = [[1, 5, 75], [4, 64, 64], [7, 13, 33], [64, 75, 64], [9, 169, 36], [3, 16, 1], [5, 130, 17]];
        foreach (var s in sizes)
        {
            foreach (var ta in new[] { false, true })
            {
                foreach (var tb in new[] { false, true })
                {
                    d.Add(s[0], s[1], s[2], ta, tb);
                }
            }
        }

        return d;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void AllPathsMatchDoubleReference(int m, int n, int k, bool transA, bool transB)
    {
        var rng = new Random(m * 1000 + n * 10 + k);
        var a = Rand(rng, m * k);
        var b = Rand(rng, k * n);
        var c0 = Rand(rng, m * n);
        foreach (var accumulate in new[] { false, true })
        {
            var expected = new double[m * n];
            for (var i = 0; i < m; i++)
            {
                for (var j = 0; j < n; j++)
                {
                    double s = accumulate ? c0[(i * n) + j] : 0;
                    for (var kk = 0; kk < k; kk++)
                    {
                        var av = transA ? a[(kk * m) + i] : a[(i * k) + kk];
                        var bv = transB ? b[(j * k) + kk] : b[(kk * n) + j];
                        s += (double)av * bv;
                    }

                    expected[(i * n) + j] = s;
                }
            }

            foreach (var path in AvailablePaths())
            {
                var c = (float[])c0.Clone();
                Gemm.Multiply(m, n, k, a, transA, b, transB, c, accumulate, path);
                for (var i = 0; i < c.Length; i++)
                {
                    // float32 dot products of length k with |terms| ≤ 1: error ≤ k·2⁻²⁴·Σ|terms| ≈ k²·6e-8.
                    Assert.True(Math.Abs(c[i] - expected[i]) <= 1e-5 * (k + 1) + 1e-5 * Math.Abs(expected[i]), $"{path} at {i}: {c[i]} vs {expected[i]}");
                }
            }
        }
    }

    [Fact]
    public void VectorPathsAgreeWithScalarFallback()
    {
        var rng = new Random(3);
        var a = Rand(rng, 64 * 75);
        var b = Rand(rng, 75 * 64);
        var reference = new float[64 * 64];
        Gemm.Multiply(64, 64, 75, a, false, b, false, reference, false, GemmPath.Scalar);
        foreach (var path in AvailablePaths())
        {
            var c = new float[64 * 64];
            Gemm.Multiply(64, 64, 75, a, false, b, false, c, false, path);
            for (var i = 0; i < c.Length; i++)
            {
                Assert.Equal(reference[i], c[i], 1e-4f);
            }
        }
    }

    [Theory]
    [InlineData(4, 64, 9)]
    [InlineData(7, 181, 36)] // a tail panel and a remainder row
    [InlineData(16, 966, 144)]
    public unsafe void RowOffsetsReadTheSameMatrixAsACopy(int m, int n, int k)
    {
        // B's rows are overlapping windows of one buffer (as a convolution's shifted planes are); the implicit
        // product must equal the product with those rows copied out, bit for bit, on every path.
        var rng = new Random(m + n + k);
        var a = Rand(rng, m * k);
        var buffer = Rand(rng, (3 * k) + n + 64);
        var offsets = new int[k];
        for (var kk = 0; kk < k; kk++)
        {
            offsets[kk] = rng.Next(0, 3 * k);
        }

        var ldb = Gemm.PaddedWidth(n);
        var copy = new float[k * ldb];
        for (var kk = 0; kk < k; kk++)
        {
            buffer.AsSpan(offsets[kk], ldb).CopyTo(copy.AsSpan(kk * ldb));
        }

        foreach (var path in AvailablePaths())
        {
            var expected = new float[m * n];
            var actual = new float[m * n];
            fixed (float* pa = a, pb = buffer, pcopy = copy, pe = expected, pc = actual)
            fixed (int* po = offsets)
            {
                Gemm.Run(m, n, k, pa, k, 1, pcopy, ldb, pe, n, false, path);
                Gemm.RunOffsets(m, n, k, pa, k, 1, pb, po, pc, n, false, path);
            }

            Assert.Equal(expected, actual);
        }
    }

    internal static IEnumerable<GemmPath> AvailablePaths()
    {
        yield return GemmPath.Scalar;
        if (System.Runtime.Intrinsics.Vector256.IsHardwareAccelerated)
        {
            yield return GemmPath.Vector256;
        }

        if (System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated)
        {
            yield return GemmPath.Vector512;
        }
    }

    private static float[] Rand(Random rng, int n)
    {
        var x = new float[n];
        for (var i = 0; i < n; i++)
        {
            x[i] = (float)((rng.NextDouble() * 2) - 1);
        }

        return x;
    }
}
