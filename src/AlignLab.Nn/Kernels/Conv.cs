namespace AlignLab.Nn.Kernels;

/// <summary>
/// Convolution helpers (stride 1, zero padding k/2, odd square kernels). A convolution is computed as a GEMM of
/// the weight [O, C·k·k] with the unfolded input ("im2col") [C·k·k, H·W].
/// </summary>
internal static class Conv
{
    /// <summary>
    /// Unfolds one image x [C,H,W] so that element (r, p) with r = (c·k + ky)·k + kx and p = y·W + x is written at
    /// dst[r·rowStride + p·posStride]; out-of-image taps are zero.
    /// </summary>
    internal static void Im2Col(ReadOnlySpan<float> x, int channels, int height, int width, int k, Span<float> dst, int rowStride, int posStride)
    {
        var pad = k / 2;
        var hw = height * width;
        for (var c = 0; c < channels; c++)
        {
            var plane = x.Slice(c * hw, hw);
            for (var ky = 0; ky < k; ky++)
            {
                for (var kx = 0; kx < k; kx++)
                {
                    var r = (((c * k) + ky) * k) + kx;
                    var rowBase = r * rowStride;
                    var dx = kx - pad;
                    for (var y = 0; y < height; y++)
                    {
                        var iy = y + ky - pad;
                        var outBase = rowBase + (y * width * posStride);
                        if ((uint)iy >= (uint)height)
                        {
                            for (var xx = 0; xx < width; xx++)
                            {
                                dst[outBase + (xx * posStride)] = 0f;
                            }

                            continue;
                        }

                        var src = plane.Slice(iy * width, width);
                        var x0 = Math.Max(0, -dx);
                        var x1 = Math.Min(width, width - dx);
                        for (var xx = 0; xx < x0; xx++)
                        {
                            dst[outBase + (xx * posStride)] = 0f;
                        }

                        if (posStride == 1 && x1 > x0)
                        {
                            src.Slice(x0 + dx, x1 - x0).CopyTo(dst.Slice(outBase + x0, x1 - x0));
                        }
                        else
                        {
                            for (var xx = x0; xx < x1; xx++)
                            {
                                dst[outBase + (xx * posStride)] = src[xx + dx];
                            }
                        }

                        for (var xx = Math.Max(x1, x0); xx < width; xx++)
                        {
                            dst[outBase + (xx * posStride)] = 0f;
                        }
                    }
                }
            }
        }
    }

    /// <summary>Folds a column gradient [C·k·k, H·W] (row stride <paramref name="rowStride"/>) back, adding into dx [C,H,W].</summary>
    internal static void Col2ImAdd(ReadOnlySpan<float> col, int rowStride, int channels, int height, int width, int k, Span<float> dx)
    {
        var pad = k / 2;
        var hw = height * width;
        for (var c = 0; c < channels; c++)
        {
            var plane = dx.Slice(c * hw, hw);
            for (var ky = 0; ky < k; ky++)
            {
                for (var kx = 0; kx < k; kx++)
                {
                    var r = (((c * k) + ky) * k) + kx;
                    var row = col.Slice(r * rowStride, hw);
                    var ddx = kx - pad;
                    var x0 = Math.Max(0, -ddx);
                    var x1 = Math.Min(width, width - ddx);
                    for (var y = 0; y < height; y++)
                    {
                        var iy = y + ky - pad;
                        if ((uint)iy >= (uint)height)
                        {
                            continue;
                        }

                        var dstRow = plane.Slice(iy * width, width);
                        var srcRow = row.Slice(y * width, width);
                        for (var xx = x0; xx < x1; xx++)
                        {
                            dstRow[xx + ddx] += srcRow[xx];
                        }
                    }
                }
            }
        }
    }

    /// <summary>
    /// Forward convolution for a batch: x [B,C,H,W], w [O,C,k,k], optional bias [O], into y [B,O,H,W].
    /// <paramref name="col"/> is scratch of at least C·k·k·pad16(H·W) floats.
    /// </summary>
    internal static unsafe void Forward(
        ReadOnlySpan<float> x, int batch, int channels, int height, int width, ReadOnlySpan<float> w, int outChannels,
        int k, ReadOnlySpan<float> bias, Span<float> y, Span<float> col)
    {
        var hw = height * width;
        var ld = Gemm.PaddedWidth(hw);
        var ckk = channels * k * k;
        var hasBias = !bias.IsEmpty;
        fixed (float* pw = w, pc = col, py = y)
        {
            for (var b = 0; b < batch; b++)
            {
                Im2Col(x.Slice(b * channels * hw, channels * hw), channels, height, width, k, col, ld, 1);
                var yb = y.Slice(b * outChannels * hw, outChannels * hw);
                if (hasBias)
                {
                    for (var o = 0; o < outChannels; o++)
                    {
                        yb.Slice(o * hw, hw).Fill(bias[o]);
                    }
                }

                Gemm.Run(outChannels, hw, ckk, pw, ckk, 1, pc, ld, py + ((long)b * outChannels * hw), hw, hasBias, GemmPath.Auto);
            }
        }
    }
}
