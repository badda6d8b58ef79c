using System.Numerics.Tensors;

namespace AlignLab.Nn.Kernels;

/// <summary>
/// Convolution helpers (stride 1, zero padding k/2, odd square kernels). A convolution is computed as a GEMM of
/// the weight [O, C·k·k] with the unfolded input ("im2col") [C·k·k, H·W].
/// </summary>
internal static class Conv
{
    [ThreadStatic]
    private static float[]? _padded;

    /// <summary>
    /// Unfolds one image x [C,H,W] so that element (r, p) with r = (c·k + ky)·k + kx and p = y·W + x is written at
    /// dst[r·rowStride + p]; out-of-image taps are zero. Each channel is first copied into a zero-bordered
    /// plane, so every tap row is a plain copy of W floats with no bounds logic.
    /// </summary>
    internal static unsafe void Im2Col(ReadOnlySpan<float> x, int channels, int height, int width, int k, Span<float> dst, int rowStride)
    {
        var pad = k / 2;
        int wp = width + (2 * pad), hp = height + (2 * pad), hw = height * width;
        var padded = PaddedPlane(hp * wp);
        var rows = (long)((channels * k * k) - 1) * rowStride;
        if (x.Length < channels * hw || dst.Length < rows + hw)
        {
            throw new ArgumentException("Im2Col: a buffer is too small for the requested sizes.");
        }

        fixed (float* px = x, pd = dst, pp = padded)
        {
            for (var c = 0; c < channels; c++)
            {
                var plane = px + ((long)c * hw);
                for (var y = 0; y < height; y++)
                {
                    CopyRow(plane + (y * width), pp + ((y + pad) * wp) + pad, width);
                }

                for (var ky = 0; ky < k; ky++)
                {
                    for (var kx = 0; kx < k; kx++)
                    {
                        var row = pd + ((long)((((c * k) + ky) * k) + kx) * rowStride);
                        for (var y = 0; y < height; y++)
                        {
                            CopyRow(pp + ((y + ky) * wp) + kx, row + (y * width), width);
                        }
                    }
                }
            }
        }
    }

    /// <summary>
    /// Copies a short row (a map width) between non-overlapping buffers with 8-float vectors, the last one
    /// overlapping the previous; a library memmove costs more in call overhead than the copy itself at these sizes.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static unsafe void CopyRow(float* src, float* dst, int count)
    {
        if (count < 8)
        {
            for (var i = 0; i < count; i++)
            {
                dst[i] = src[i];
            }

            return;
        }

        var j = 0;
        for (; j + 8 <= count; j += 8)
        {
            System.Runtime.Intrinsics.Vector256.Store(System.Runtime.Intrinsics.Vector256.Load(src + j), dst + j);
        }

        if (j < count)
        {
            System.Runtime.Intrinsics.Vector256.Store(System.Runtime.Intrinsics.Vector256.Load(src + count - 8), dst + count - 8);
        }
    }

    /// <summary>A zeroed scratch plane of at least <paramref name="length"/> floats for this thread (Im2Col writes only its interior, so the border stays zero).</summary>
    private static float[] PaddedPlane(int length)
    {
        var plane = _padded;
        if (plane is null || plane.Length < length)
        {
            plane = new float[Math.Max(length, 256)];
            _padded = plane;
        }
        else
        {
            plane.AsSpan(0, length).Clear();
        }

        return plane;
    }

    /// <summary>Columns (image positions) one GEMM of a convolution covers: enough images to fill about this many.</summary>
    private const int TargetColumns = 1024;

    /// <summary>Images per GEMM for <paramref name="hw"/> positions each (at least one, at most <paramref name="batch"/>).</summary>
    internal static int ChunkImages(int batch, int hw) => Math.Clamp(TargetColumns / Math.Max(1, hw), 1, Math.Max(1, batch));

    /// <summary>Floats of scratch <see cref="Forward"/> needs: the chunk's unfolded input and its GEMM output.</summary>
    internal static int ForwardScratch(int batch, int channels, int height, int width, int k, int outChannels)
    {
        var hw = height * width;
        var cols = ChunkImages(batch, hw) * hw;
        return (channels * k * k * Gemm.PaddedWidth(cols)) + (outChannels * cols);
    }

    /// <summary>
    /// Forward convolution for a batch: x [B,C,H,W], w [O,C,k,k], optional bias [O], into y [B,O,H,W] (added to y
    /// when <paramref name="accumulate"/>, which takes no bias). The images are unfolded a chunk at a time into one column matrix
    /// [C·k·k, chunk·H·W], so each GEMM is [O, C·k·k] · [C·k·k, chunk·H·W] (wide enough to keep the SIMD tiles
    /// full), and its output is scattered back to the NCHW layout with the bias. <paramref name="scratch"/> holds at
    /// least <see cref="ForwardScratch"/> floats.
    /// </summary>
    internal static unsafe void Forward(
        ReadOnlySpan<float> x, int batch, int channels, int height, int width, ReadOnlySpan<float> w, int outChannels,
        int k, ReadOnlySpan<float> bias, Span<float> y, Span<float> scratch, bool accumulate = false)
    {
        if (accumulate && !bias.IsEmpty)
        {
            throw new ArgumentException("Conv.Forward: an accumulating convolution takes no bias.", nameof(bias));
        }

        var hw = height * width;
        var ckk = channels * k * k;
        var chunk = ChunkImages(batch, hw);
        var ld = Gemm.PaddedWidth(chunk * hw);
        var col = scratch[..(ckk * ld)];
        var product = scratch.Slice(ckk * ld, outChannels * chunk * hw);
        fixed (float* pw = w, pc = col, pp = product)
        {
            for (var b0 = 0; b0 < batch; b0 += chunk)
            {
                var nb = Math.Min(chunk, batch - b0);
                var cols = nb * hw;
                var ldb = Unfold(x, b0, nb, channels, height, width, k, col);
                Gemm.Run(outChannels, cols, ckk, pw, ckk, 1, pc, ldb, pp, cols, false, GemmPath.Auto);
                for (var j = 0; j < nb; j++)
                {
                    var yb = y.Slice((b0 + j) * outChannels * hw, outChannels * hw);
                    for (var o = 0; o < outChannels; o++)
                    {
                        var src = product.Slice((o * cols) + (j * hw), hw);
                        var dst = yb.Slice(o * hw, hw);
                        if (accumulate)
                        {
                            TensorPrimitives.Add(dst, src, dst);
                        }
                        else if (bias.IsEmpty)
                        {
                            src.CopyTo(dst);
                        }
                        else
                        {
                            TensorPrimitives.Add(src, bias[o], dst);
                        }
                    }
                }
            }
        }
    }

    /// <summary>Floats of scratch <see cref="Backward"/> needs.</summary>
    internal static int BackwardScratch(int batch, int channels, int height, int width, int k, int outChannels)
    {
        var hw = height * width;
        var ckk = channels * k * k;
        var cols = ChunkImages(batch, hw) * hw;
        var weights = channels * outChannels * k * k;
        var dwStage = (ckk * Gemm.PaddedWidth(cols)) + (cols * Gemm.PaddedWidth(outChannels)) + (ckk * outChannels);
        return Math.Max(dwStage, weights + ForwardScratch(batch, outChannels, height, width, k, channels));
    }

    /// <summary>
    /// Backward convolution for a batch. dw (+)= Σ dY·colᵀ, computed as (dwᵀ)[C·k·k, O] = col [C·k·k, cols] ·
    /// dYᵀ [cols, O] a chunk at a time (the unfolded input keeps the fast forward layout; only the O-channel
    /// output gradient is transposed). dx (+)= the "full" convolution of dy with the kernel rotated by 180° and
    /// its channel axes swapped, which for stride 1 and padding k/2 is a forward convolution: no col2im.
    /// db (+)= Σ dy. dx, dw or db may be empty (no gradient wanted). <paramref name="scratch"/> holds at least
    /// <see cref="BackwardScratch"/> floats.
    /// </summary>
    internal static unsafe void Backward(
        ReadOnlySpan<float> x, ReadOnlySpan<float> dy, int batch, int channels, int height, int width, ReadOnlySpan<float> w,
        int outChannels, int k, Span<float> dx, Span<float> dw, Span<float> db, Span<float> scratch)
    {
        var hw = height * width;
        var kk = k * k;
        var ckk = channels * kk;
        if (!db.IsEmpty)
        {
            for (var b = 0; b < batch; b++)
            {
                for (var o = 0; o < outChannels; o++)
                {
                    db[o] += TensorPrimitives.Sum(dy.Slice(((b * outChannels) + o) * hw, hw));
                }
            }
        }

        if (!dw.IsEmpty)
        {
            var chunk = ChunkImages(batch, hw);
            var ld = Gemm.PaddedWidth(chunk * hw);
            var ldo = Gemm.PaddedWidth(outChannels);
            var col = scratch[..(ckk * ld)];
            var dyT = scratch.Slice(ckk * ld, chunk * hw * ldo);
            var dwT = scratch.Slice((ckk * ld) + (chunk * hw * ldo), ckk * outChannels);
            dwT.Clear();
            if (ldo > outChannels)
            {
                dyT.Clear(); // the padding columns of dYᵀ must read as zero; the rest is overwritten per chunk
            }

            fixed (float* pc = col, pt = dyT, pdw = dwT)
            {
                for (var b0 = 0; b0 < batch; b0 += chunk)
                {
                    var nb = Math.Min(chunk, batch - b0);
                    var cols = nb * hw;
                    var ldb = Unfold(x, b0, nb, channels, height, width, k, col);
                    fixed (float* pdy = dy)
                    {
                        // dYᵀ row by row: contiguous writes, one read stream per channel.
                        for (var j = 0; j < nb; j++)
                        {
                            var src = pdy + ((long)(b0 + j) * outChannels * hw);
                            var dst = pt + ((long)j * hw * ldo);
                            for (var p = 0; p < hw; p++)
                            {
                                var row = dst + ((long)p * ldo);
                                for (var o = 0; o < outChannels; o++)
                                {
                                    row[o] = src[((long)o * hw) + p];
                                }
                            }
                        }
                    }

                    Gemm.Run(ckk, outChannels, cols, pc, ldb, 1, pt, ldo, pdw, outChannels, true, GemmPath.Auto);
                }
            }

            for (var o = 0; o < outChannels; o++)
            {
                for (var r = 0; r < ckk; r++)
                {
                    dw[(o * ckk) + r] += dwT[(r * outChannels) + o];
                }
            }
        }

        if (!dx.IsEmpty)
        {
            // w' [C, O, k, k] with w'[c, o, ky, kx] = w[o, c, k−1−ky, k−1−kx].
            var flipped = scratch[..(channels * outChannels * kk)];
            for (var o = 0; o < outChannels; o++)
            {
                for (var c = 0; c < channels; c++)
                {
                    var src = w.Slice(((o * channels) + c) * kk, kk);
                    var dst = flipped.Slice(((c * outChannels) + o) * kk, kk);
                    for (var t = 0; t < kk; t++)
                    {
                        dst[t] = src[kk - 1 - t];
                    }
                }
            }

            Forward(dy, batch, outChannels, height, width, flipped, channels, k, default, dx, scratch[flipped.Length..], accumulate: true);
        }
    }

    /// <summary>Unfolds images b0 … b0+nb−1 side by side into <paramref name="col"/> [C·k·k, ldb] (padding columns zeroed); returns ldb.</summary>
    private static int Unfold(ReadOnlySpan<float> x, int b0, int nb, int channels, int height, int width, int k, Span<float> col)
    {
        var hw = height * width;
        var cols = nb * hw;
        var ldb = Gemm.PaddedWidth(cols);
        var ckk = channels * k * k;
        for (var j = 0; j < nb; j++)
        {
            Im2Col(x.Slice((b0 + j) * channels * hw, channels * hw), channels, height, width, k, col[(j * hw)..], ldb);
        }

        if (ldb > cols)
        {
            for (var r = 0; r < ckk; r++)
            {
                col.Slice((r * ldb) + cols, ldb - cols).Clear();
            }
        }

        return ldb;
    }
}
