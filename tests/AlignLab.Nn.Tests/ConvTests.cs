using AlignLab.Nn.Kernels;

namespace AlignLab.Nn.Tests;

/// <summary>The chunked im2col convolution against a direct float64 convolution, for one chunk and for several with a partial last one.</summary>
public class ConvTests
{
    [Theory]
    [InlineData(3, 2, 3, 4, 5, 4)]    // one chunk
    [InlineData(3, 13, 4, 16, 13, 13)] // 6 images per chunk: three chunks, the last one partial
    [InlineData(5, 3, 2, 3, 9, 7)]
    [InlineData(1, 40, 3, 2, 6, 5)]    // 34 images per chunk: two chunks
    [InlineData(3, 20, 4, 16, 7, 7)]   // the VIN's 7×7 maps: rows stored whole (stride 8), 16 images per chunk, two chunks
    public void ForwardAndBackwardMatchADirectConvolution(int k, int batch, int c, int o, int h, int w)
    {
        var rng = new Random((k * 1000) + (batch * 10) + c);
        var x = Rand(rng, batch * c * h * w);
        var weight = Rand(rng, o * c * k * k);
        var bias = Rand(rng, o);
        var dy = Rand(rng, batch * o * h * w);
        var pad = k / 2;

        double Tap(float[] plane, int b, int channels, int ch, int y, int xx) =>
            (uint)y < (uint)h && (uint)xx < (uint)w ? plane[((((b * channels) + ch) * h) + y) * w + xx] : 0;

        var y = new float[batch * o * h * w];
        Conv.Forward(x, batch, c, h, w, weight, o, k, bias, y);
        var dx = new float[x.Length];
        var dw = new float[weight.Length];
        var db = new float[o];
        Conv.Backward(x, dy, batch, c, h, w, weight, o, k, dx, dw, db);

        var expectedDx = new double[x.Length];
        var expectedDw = new double[weight.Length];
        var expectedDb = new double[o];
        for (var b = 0; b < batch; b++)
        {
            for (var oc = 0; oc < o; oc++)
            {
                for (var py = 0; py < h; py++)
                {
                    for (var px = 0; px < w; px++)
                    {
                        double sum = bias[oc];
                        var g = dy[((((b * o) + oc) * h) + py) * w + px];
                        expectedDb[oc] += g;
                        for (var ic = 0; ic < c; ic++)
                        {
                            for (var ky = 0; ky < k; ky++)
                            {
                                for (var kx = 0; kx < k; kx++)
                                {
                                    int sy = py + ky - pad, sx = px + kx - pad;
                                    var wi = ((((oc * c) + ic) * k) + ky) * k + kx;
                                    sum += weight[wi] * Tap(x, b, c, ic, sy, sx);
                                    expectedDw[wi] += g * Tap(x, b, c, ic, sy, sx);
                                    if ((uint)sy < (uint)h && (uint)sx < (uint)w)
                                    {
                                        expectedDx[((((b * c) + ic) * h) + sy) * w + sx] += g * weight[wi];
                                    }
                                }
                            }
                        }

                        Assert.Equal(sum, y[((((b * o) + oc) * h) + py) * w + px], 1e-4);
                    }
                }
            }
        }

        for (var i = 0; i < dx.Length; i++)
        {
            Assert.Equal(expectedDx[i], dx[i], 1e-4);
        }

        for (var i = 0; i < dw.Length; i++)
        {
            Assert.Equal(expectedDw[i], dw[i], 1e-3);
        }

        for (var i = 0; i < o; i++)
        {
            Assert.Equal(expectedDb[i], db[i], 1e-3);
        }
    }

    private static float[] Rand(Random rng, int n)
    {
        var a = new float[n];
        for (var i = 0; i < n; i++)
        {
            a[i] = (float)((rng.NextDouble() * 2) - 1);
        }

        return a;
    }
}
