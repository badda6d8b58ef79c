using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace AlignLab.Nn.Kernels;

/// <summary>
/// Convolution (stride 1, zero padding k/2, odd square kernels) as an implicit GEMM. A chunk of images is copied
/// into a "strip": per channel, the images one below the other, each row followed by k/2 zero columns and each
/// image by k/2 zero rows, so that the input under kernel tap (ky, kx) for every output position is the strip
/// shifted by one fixed offset. The forward pass is then one GEMM [O, C·k·k] · B, where B's row for (c, ky, kx)
/// is channel c's plane read at that offset (no unfolded copy: <see cref="Gemm.RunOffsets"/>), computed for
/// every strip position; positions that fall on the zero border are computed and dropped. Each thread keeps its
/// strips between calls, one per layout (<see cref="ThreadStrips"/>): their zero borders are written once, and a
/// call only copies images into their interiors.
/// </summary>
internal static class Conv
{

    /// <summary>Strip positions one GEMM of a convolution covers: enough images to fill about this many.</summary>
    private const int TargetColumns = 1024;

    [ThreadStatic]
    private static int[]? _offsets;

    [ThreadStatic]
    private static float[]? _partials;

    [ThreadStatic]
    private static float[]? _flipped;

    /// <summary>
    /// Forward convolution for a batch: x [B,C,H,W], w [O,C,k,k], optional bias [O], into y [B,O,H,W], followed by
    /// max(·, 0) when <paramref name="relu"/>.
    /// </summary>
    internal static unsafe void Forward(
        ReadOnlySpan<float> x, int batch, int channels, int height, int width, ReadOnlySpan<float> w, int outChannels,
        int k, ReadOnlySpan<float> bias, Span<float> y, bool relu = false)
    {
        var s = new Strip(batch, height, width, k);
        CheckSizes(x.Length, batch * channels * height * width, y.Length, batch * outChannels * height * width);
        var offsets = OffsetBuffer(channels * k * k);
        FillOffsets(s, channels, offsets);
        var chunks = (batch + s.Chunk - 1) / s.Chunk;
        fixed (float* px = x, pw = w, py = y, pbias = bias)
        fixed (int* po = offsets)
        {
            // Chunks of images are independent pieces (each writes only its images of y): the same bits on any
            // number of threads. Each thread packs into its own strip of this layout.
            var job = ForwardChunks.Job ??= new ForwardChunks();
            job.Set(s, px, batch, channels, pw, outChannels, k, pbias, py, po, relu);
            WorkerPool.For(chunks, job);
        }
    }

    /// <summary>Forward pass of one convolution's chunks of images, as pieces on the worker pool (one instance per thread).</summary>
    private sealed unsafe class ForwardChunks : IPieceWork
    {
        [ThreadStatic]
        internal static ForwardChunks? Job;

        private Strip _s;
        private float* _x, _w, _bias, _y;
        private int* _offsets;
        private int _batch, _channels, _outChannels, _k;
        private bool _relu;

        public void Set(in Strip s, float* x, int batch, int channels, float* w, int outChannels, int k, float* bias, float* y, int* offsets, bool relu)
        {
            _s = s;
            _x = x;
            _batch = batch;
            _channels = channels;
            _w = w;
            _outChannels = outChannels;
            _k = k;
            _bias = bias;
            _y = y;
            _offsets = offsets;
            _relu = relu;
        }

        public void Run(int piece)
        {
            var s = _s;
            var stripLength = _channels * s.PlaneStride;
            var ps = ThreadStrips.Get(stripLength + (_outChannels * s.MaxColumns), stripLength, new LayoutKey(0, s.PlaneStride, _channels, s.Lead, s.RowStride, s.ImageStride, _outChannels));
            var pp = ps + stripLength;
            var b0 = piece * s.Chunk;
            var nb = Math.Min(s.Chunk, _batch - b0);
            Pack(_x, b0, nb, _channels, s, ps);
            Gemm.RunOffsets(_outChannels, s.Columns(nb), _channels * _k * _k, _w, _channels * _k * _k, 1, ps, _offsets, pp, s.MaxColumns, false, GemmPath.Auto);
            Unpack(pp, b0, nb, _outChannels, s, _y, _bias, _relu ? RowMode.BiasRelu : RowMode.Bias);
        }
    }

    /// <summary>The layout a strip buffer is kept for; its zero borders hold for every call of the same layout.</summary>
    private readonly record struct LayoutKey(int Kind, int PlaneStride, int Channels, int Lead, int RowStride, int ImageStride, int OutChannels);

    /// <summary>
    /// Each thread's strips (and the GEMM output after them), one buffer per layout, kept between calls on the pinned
    /// heap: a network's convolutions each have their own layout, forward and backward, so a training step finds its
    /// strips with their zero borders already written and only copies images into their interiors (which is all a
    /// call writes there, besides the backward pass zeroing dy past its last image). A buffer's first
    /// <c>clear</c> floats are zeroed once, when it is made; the least recently used of <see cref="Slots"/> is
    /// replaced when a thread meets more layouts.
    /// </summary>
    private static unsafe class ThreadStrips
    {
        private const int Slots = 16;

        [ThreadStatic]
        private static Slot[]? _slots;

        [ThreadStatic]
        private static long _clock;

        /// <summary>At least <paramref name="length"/> floats for <paramref name="layout"/>, its first <paramref name="clear"/> zero when first made.</summary>
        public static float* Get(int length, int clear, LayoutKey layout)
        {
            var slots = _slots ??= new Slot[Slots];
            var use = ++_clock;
            var victim = 0;
            for (var i = 0; i < slots.Length; i++)
            {
                if (slots[i].Buffer is { } buffer && slots[i].Layout == layout && buffer.Length >= length)
                {
                    slots[i].LastUse = use;
                    return Pointer(buffer);
                }

                victim = slots[i].LastUse < slots[victim].LastUse ? i : victim;
            }

            var made = GC.AllocateUninitializedArray<float>(length, pinned: true);
            var p = Pointer(made);
            new Span<float>(p, clear).Clear();
            slots[victim] = new Slot { Layout = layout, Buffer = made, LastUse = use };
            return p;
        }

        private static float* Pointer(float[] buffer) => (float*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(buffer));

        private struct Slot
        {
            public LayoutKey Layout;
            public float[]? Buffer;
            public long LastUse;
        }
    }

    /// <summary>
    /// Backward convolution for a batch, a chunk of images at a time, with x and dy both laid out as strips:
    /// dw[o, (c,ky,kx)] (+)= Σ_positions dy_strip[o, q] · x_strip[c, q + offset(ky,kx)] (dot products of whole
    /// strip rows; dy is zero on the border, so border positions add nothing); dx (+)= the "full" convolution of dy
    /// with the kernel rotated by 180° and its channel axes swapped, which for stride 1 and padding k/2 is a forward
    /// convolution of dy's strip; db (+)= Σ dy. dx, dw or db may be empty (no gradient wanted). When
    /// <paramref name="reluOutput"/> is given, the convolution was followed by a ReLU whose output it is and dy is
    /// the gradient with respect to that output: dy is masked by output &gt; 0 as it is copied into its strip.
    /// </summary>
    internal static unsafe void Backward(
        ReadOnlySpan<float> x, ReadOnlySpan<float> dy, int batch, int channels, int height, int width, ReadOnlySpan<float> w,
        int outChannels, int k, Span<float> dx, Span<float> dw, Span<float> db, ReadOnlySpan<float> reluOutput = default)
    {
        var hw = height * width;
        var kk = k * k;
        var ckk = channels * kk;
        CheckSizes(x.Length, batch * channels * hw, dy.Length, batch * outChannels * hw);
        if (!reluOutput.IsEmpty && reluOutput.Length < dy.Length)
        {
            throw new ArgumentException("Conv.Backward: the ReLU output is smaller than dy.", nameof(reluOutput));
        }

        if (dw.IsEmpty && dx.IsEmpty && db.IsEmpty)
        {
            return;
        }

        var s = new Strip(batch, height, width, k);
        var flipped = FlippedBuffer(channels * outChannels * kk).AsSpan(0, channels * outChannels * kk);
        if (!dx.IsEmpty)
        {
            // w' [C, O, k, k] with w'[c, o, ky, kx] = w[o, c, k−1−ky, k−1−kx].
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
        }

        // Row offsets into the input's strip (dw), then into dy's strip (dx).
        var offsets = OffsetBuffer(ckk + (outChannels * kk));
        FillOffsets(s, channels, offsets);
        FillOffsets(s, outChannels, offsets.AsSpan(ckk));

        // Chunks of images are independent pieces: each writes its images of dx and its own partial sums of dw
        // and db, which are then added in chunk order, exactly as one thread adds them chunk after chunk.
        var chunks = (batch + s.Chunk - 1) / s.Chunk;
        var partialLength = dw.IsEmpty && db.IsEmpty ? 0 : (outChannels * ckk) + outChannels;
        var partials = PartialBuffer(chunks * partialLength);
        fixed (float* px = x, pdy = dy, pmask = reluOutput, pf = flipped, pdx = dx, ppart = partials)
        fixed (int* po = offsets)
        {
            var job = BackwardChunks.Job ??= new BackwardChunks();
            job.Set(s, px, pdy, pmask, batch, channels, outChannels, k, pf, pdx, !dw.IsEmpty, db.Length, ppart, partialLength, po);
            WorkerPool.For(chunks, job);
        }

        for (var chunk = 0; chunk < chunks && partialLength > 0; chunk++)
        {
            var part = partials.AsSpan(chunk * partialLength, partialLength);
            if (!dw.IsEmpty)
            {
                var dwPart = part[..(outChannels * ckk)];
                for (var i = 0; i < dwPart.Length; i++)
                {
                    dw[i] += dwPart[i];
                }
            }

            for (var o = 0; o < db.Length; o++)
            {
                db[o] += part[(outChannels * ckk) + o];
            }
        }
    }

    /// <summary>This thread's buffer for the rotated kernel of <see cref="Backward"/>, at least <paramref name="length"/> floats.</summary>
    private static float[] FlippedBuffer(int length)
    {
        var flipped = _flipped;
        if (flipped is null || flipped.Length < length)
        {
            flipped = new float[Math.Max(length, 256)];
            _flipped = flipped;
        }

        return flipped;
    }

    /// <summary>This thread's buffer of per-chunk partial weight and bias gradients, at least <paramref name="length"/> floats.</summary>
    private static float[] PartialBuffer(int length)
    {
        var partials = _partials;
        if (partials is null || partials.Length < length)
        {
            partials = new float[Math.Max(length, 256)];
            _partials = partials;
        }

        return partials;
    }

    /// <summary>Backward pass of one convolution's chunks of images, as pieces on the worker pool (one instance per thread).</summary>
    private sealed unsafe class BackwardChunks : IPieceWork
    {
        [ThreadStatic]
        internal static BackwardChunks? Job;

        private Strip _s;
        private float* _x, _dy, _mask, _flipped, _dx, _partials;
        private int* _offsets;
        private int _batch, _channels, _outChannels, _k, _dbLength, _partialLength;
        private bool _dw;

        public void Set(in Strip s, float* x, float* dy, float* mask, int batch, int channels, int outChannels, int k, float* flipped, float* dx, bool dw, int dbLength, float* partials, int partialLength, int* offsets)
        {
            _s = s;
            _x = x;
            _dy = dy;
            _mask = mask;
            _batch = batch;
            _channels = channels;
            _outChannels = outChannels;
            _k = k;
            _flipped = flipped;
            _dx = dx;
            _dw = dw;
            _dbLength = dbLength;
            _partials = partials;
            _partialLength = partialLength;
            _offsets = offsets;
        }

        public void Run(int piece)
        {
            var s = _s;
            int channels = _channels, outChannels = _outChannels, kk = _k * _k, ckk = channels * kk;
            var strips = (channels + outChannels) * s.PlaneStride;
            var ps = ThreadStrips.Get(strips + (channels * s.MaxColumns), strips, new LayoutKey(1, s.PlaneStride, channels, s.Lead, s.RowStride, s.ImageStride, outChannels));
            var pxs = ps;
            var pys = ps + ((long)channels * s.PlaneStride);

            // The rotated kernel is the caller's (written before the pieces started); the product is this thread's.
            var pf = _flipped;
            var pp = ps + strips;
            var b0 = piece * s.Chunk;
            var nb = Math.Min(s.Chunk, _batch - b0);
            var columns = s.Columns(nb);
            var part = _partials + ((long)piece * _partialLength);
            Pack(_dy, b0, nb, outChannels, s, pys, _mask);
            for (var o = 0; o < _dbLength; o++)
            {
                // The strip is zero off the images, so its sum is the images' sum.
                part[(outChannels * ckk) + o] = TensorPrimitives.Sum(new ReadOnlySpan<float>(pys + ((long)o * s.PlaneStride) + s.Lead, columns));
            }

            if (_dw)
            {
                Pack(_x, b0, nb, channels, s, pxs);

                // Positions past the last image's bottom border may hold an earlier chunk's images; the dot
                // products read dy up to the next multiple of 16, so that stretch must read as zero.
                var end = (columns + 15) & ~15;
                for (var o = 0; o < outChannels; o++)
                {
                    new Span<float>(pys + ((long)o * s.PlaneStride) + s.Lead + columns, end - columns).Clear();
                }
                WeightGradient(outChannels, ckk, end, pys + s.Lead, s.PlaneStride, pxs, _offsets, part);
            }

            if (_dx != null)
            {
                Gemm.RunOffsets(channels, columns, outChannels * kk, pf, outChannels * kk, 1, pys, _offsets + ckk, pp, s.MaxColumns, false, GemmPath.Auto);
                Unpack(pp, b0, nb, channels, s, _dx, null, RowMode.Add);
            }
        }
    }

    private static void CheckSizes(int xLength, int xNeed, int yLength, int yNeed)
    {
        if (xLength < xNeed || yLength < yNeed)
        {
            throw new ArgumentException("Conv: a buffer is too small for the requested sizes.");
        }
    }

    /// <summary>
    /// This thread's buffer of B row offsets, at least <paramref name="length"/> long: for a strip of c planes,
    /// row (c·k + ky)·k + kx reads channel c shifted by (ky − k/2, kx − k/2).
    /// </summary>
    private static int[] OffsetBuffer(int length)
    {
        var offsets = _offsets;
        if (offsets is null || offsets.Length < length)
        {
            offsets = new int[Math.Max(length, 256)];
            _offsets = offsets;
        }

        return offsets;
    }

    /// <summary>Writes the row offsets for a strip of <paramref name="channels"/> planes into <paramref name="dst"/>.</summary>
    private static void FillOffsets(in Strip s, int channels, Span<int> dst)
    {
        var r = 0;
        for (var c = 0; c < channels; c++)
        {
            for (var ky = 0; ky < s.K; ky++)
            {
                for (var kx = 0; kx < s.K; kx++)
                {
                    dst[r++] = (c * s.PlaneStride) + s.Lead + ((ky - s.Pad) * s.RowStride) + (kx - s.Pad);
                }
            }
        }
    }

    /// <summary>
    /// Copies images b0 … b0+nb−1 of src [B, channels, H, W] into the strip's interior (the border is never
    /// written, so it stays zero); where <paramref name="mask"/> (same layout as src) is given, only the values
    /// whose mask is positive are copied and the rest become zero.
    /// </summary>
    private static unsafe void Pack(float* src, int b0, int nb, int channels, in Strip s, float* strip, float* mask = null)
    {
        var hw = s.Height * s.Width;

        // A row narrower than a vector whose border columns reach a vector's end is stored whole (StripRow).
        var whole = s.RowStride >= 8;
        for (var j = 0; j < nb; j++)
        {
            for (var c = 0; c < channels; c++)
            {
                var at = ((long)((b0 + j) * channels) + c) * hw;
                var dst = strip + ((long)c * s.PlaneStride) + s.Lead + ((long)j * s.ImageStride);
                for (var y = 0; y < s.Height; y++)
                {
                    if (mask == null)
                    {
                        CopyRow(src + at + (y * s.Width), dst + (y * s.RowStride), s.Width, whole);
                    }
                    else
                    {
                        MaskRow(src + at + (y * s.Width), mask + at + (y * s.Width), dst + (y * s.RowStride), s.Width, whole);
                    }
                }
            }
        }
    }

    /// <summary>Writes (<see cref="RowMode"/>) the image positions of a GEMM output [channels, MaxColumns] over strip positions into dst [B, channels, H, W].</summary>
    private static unsafe void Unpack(float* product, int b0, int nb, int channels, in Strip s, float* dst, float* bias, RowMode mode)
    {
        // Row by row across the channels, not plane by plane: a map narrower than a vector has its rows a few
        // floats apart, and a masked read-modify-write of the next row of the same plane would wait for the
        // previous row's masked store to retire (it cannot be forwarded), about a dozen cycles a row.
        var hw = s.Height * s.Width;
        for (var j = 0; j < nb; j++)
        {
            for (var y = 0; y < s.Height; y++)
            {
                for (var c = 0; c < channels; c++)
                {
                    var src = product + ((long)c * s.MaxColumns) + ((long)j * s.ImageStride) + (y * s.RowStride);
                    var row = dst + (((long)((b0 + j) * channels) + c) * hw) + (y * s.Width);
                    switch (mode)
                    {
                        case RowMode.Add:
                            AddRow(src, row, s.Width);
                            break;
                        case RowMode.BiasRelu:
                            BiasRow(src, row, s.Width, bias == null ? 0f : bias[c], relu: true);
                            break;
                        default:
                            BiasRow(src, row, s.Width, bias == null ? 0f : bias[c], relu: false);
                            break;
                    }
                }
            }
        }
    }

    /// <summary>
    /// dw[o, r] = Σ_{q &lt; n} dy[o·planeStride + q] · x[offsets[r] + q] for o &lt; m, r &lt; rows (n a multiple of
    /// 16): with AVX-512, blocks of 4 output channels × 4 weight rows, sixteen 16-lane accumulators (eight loads feed
    /// sixteen multiply-adds, so the FMA units rather than the loads set the pace); else blocks of 2 × 4 with 8 lanes.
    /// Each accumulator is summed once at the end.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void WeightGradient(int m, int rows, int n, float* dy, int planeStride, float* x, int* offsets, float* dw)
    {
        if (Vector512.IsHardwareAccelerated)
        {
            WeightGradient512(m, rows, n, dy, planeStride, x, offsets, dw);
            return;
        }

        if (!Vector256.IsHardwareAccelerated)
        {
            for (var o = 0; o < m; o++)
            {
                for (var r = 0; r < rows; r++)
                {
                    float* a = dy + ((long)o * planeStride), b = x + offsets[r];
                    var sum = 0f;
                    for (var q = 0; q < n; q++)
                    {
                        sum += a[q] * b[q];
                    }

                    dw[((long)o * rows) + r] = sum;
                }
            }

            return;
        }

        Span<float> sums = stackalloc float[8];
        for (var o = 0; o < m; o += 2)
        {
            // An odd last channel reads its own row twice and keeps one result.
            var o1 = Math.Min(o + 1, m - 1);
            float* a0 = dy + ((long)o * planeStride), a1 = dy + ((long)o1 * planeStride);
            for (var r = 0; r < rows; r += 4)
            {
                int r1 = Math.Min(r + 1, rows - 1), r2 = Math.Min(r + 2, rows - 1), r3 = Math.Min(r + 3, rows - 1);
                float* b0 = x + offsets[r], b1 = x + offsets[r1], b2 = x + offsets[r2], b3 = x + offsets[r3];
                Vector256<float> s00 = Vector256<float>.Zero, s01 = s00, s02 = s00, s03 = s00, s10 = s00, s11 = s00, s12 = s00, s13 = s00;
                for (var q = 0; q < n; q += 8)
                {
                    var u = Vector256.Load(a0 + q);
                    var v = Vector256.Load(a1 + q);
                    var t = Vector256.Load(b0 + q);
                    s00 = Vector256.FusedMultiplyAdd(u, t, s00);
                    s10 = Vector256.FusedMultiplyAdd(v, t, s10);
                    t = Vector256.Load(b1 + q);
                    s01 = Vector256.FusedMultiplyAdd(u, t, s01);
                    s11 = Vector256.FusedMultiplyAdd(v, t, s11);
                    t = Vector256.Load(b2 + q);
                    s02 = Vector256.FusedMultiplyAdd(u, t, s02);
                    s12 = Vector256.FusedMultiplyAdd(v, t, s12);
                    t = Vector256.Load(b3 + q);
                    s03 = Vector256.FusedMultiplyAdd(u, t, s03);
                    s13 = Vector256.FusedMultiplyAdd(v, t, s13);
                }

                sums[0] = Vector256.Sum(s00);
                sums[1] = Vector256.Sum(s01);
                sums[2] = Vector256.Sum(s02);
                sums[3] = Vector256.Sum(s03);
                sums[4] = Vector256.Sum(s10);
                sums[5] = Vector256.Sum(s11);
                sums[6] = Vector256.Sum(s12);
                sums[7] = Vector256.Sum(s13);
                for (var i = 0; i < 2 && o + i < m; i++)
                {
                    for (var j = 0; j < 4 && r + j < rows; j++)
                    {
                        dw[((long)(o + i) * rows) + r + j] = sums[(i * 4) + j];
                    }
                }
            }
        }
    }

    /// <summary>The AVX-512 blocks of <see cref="WeightGradient"/>: 4 output channels × 4 weight rows at a time.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void WeightGradient512(int m, int rows, int n, float* dy, int planeStride, float* x, int* offsets, float* dw)
    {
        Span<float> sums = stackalloc float[16];
        for (var o = 0; o < m; o += 4)
        {
            // A last block of fewer than 4 channels (or rows) reads its last one again and keeps one result.
            float* a0 = dy + ((long)o * planeStride), a1 = dy + ((long)Math.Min(o + 1, m - 1) * planeStride);
            float* a2 = dy + ((long)Math.Min(o + 2, m - 1) * planeStride), a3 = dy + ((long)Math.Min(o + 3, m - 1) * planeStride);
            for (var r = 0; r < rows; r += 4)
            {
                float* b0 = x + offsets[r], b1 = x + offsets[Math.Min(r + 1, rows - 1)];
                float* b2 = x + offsets[Math.Min(r + 2, rows - 1)], b3 = x + offsets[Math.Min(r + 3, rows - 1)];
                Vector512<float> s00 = Vector512<float>.Zero, s01 = s00, s02 = s00, s03 = s00, s10 = s00, s11 = s00, s12 = s00, s13 = s00;
                Vector512<float> s20 = s00, s21 = s00, s22 = s00, s23 = s00, s30 = s00, s31 = s00, s32 = s00, s33 = s00;
                for (var q = 0; q < n; q += 16)
                {
                    var u0 = Vector512.Load(a0 + q);
                    var u1 = Vector512.Load(a1 + q);
                    var u2 = Vector512.Load(a2 + q);
                    var u3 = Vector512.Load(a3 + q);
                    var t = Vector512.Load(b0 + q);
                    s00 = Vector512.FusedMultiplyAdd(u0, t, s00);
                    s10 = Vector512.FusedMultiplyAdd(u1, t, s10);
                    s20 = Vector512.FusedMultiplyAdd(u2, t, s20);
                    s30 = Vector512.FusedMultiplyAdd(u3, t, s30);
                    t = Vector512.Load(b1 + q);
                    s01 = Vector512.FusedMultiplyAdd(u0, t, s01);
                    s11 = Vector512.FusedMultiplyAdd(u1, t, s11);
                    s21 = Vector512.FusedMultiplyAdd(u2, t, s21);
                    s31 = Vector512.FusedMultiplyAdd(u3, t, s31);
                    t = Vector512.Load(b2 + q);
                    s02 = Vector512.FusedMultiplyAdd(u0, t, s02);
                    s12 = Vector512.FusedMultiplyAdd(u1, t, s12);
                    s22 = Vector512.FusedMultiplyAdd(u2, t, s22);
                    s32 = Vector512.FusedMultiplyAdd(u3, t, s32);
                    t = Vector512.Load(b3 + q);
                    s03 = Vector512.FusedMultiplyAdd(u0, t, s03);
                    s13 = Vector512.FusedMultiplyAdd(u1, t, s13);
                    s23 = Vector512.FusedMultiplyAdd(u2, t, s23);
                    s33 = Vector512.FusedMultiplyAdd(u3, t, s33);
                }

                sums[0] = Vector512.Sum(s00);
                sums[1] = Vector512.Sum(s01);
                sums[2] = Vector512.Sum(s02);
                sums[3] = Vector512.Sum(s03);
                sums[4] = Vector512.Sum(s10);
                sums[5] = Vector512.Sum(s11);
                sums[6] = Vector512.Sum(s12);
                sums[7] = Vector512.Sum(s13);
                sums[8] = Vector512.Sum(s20);
                sums[9] = Vector512.Sum(s21);
                sums[10] = Vector512.Sum(s22);
                sums[11] = Vector512.Sum(s23);
                sums[12] = Vector512.Sum(s30);
                sums[13] = Vector512.Sum(s31);
                sums[14] = Vector512.Sum(s32);
                sums[15] = Vector512.Sum(s33);
                for (var i = 0; i < 4 && o + i < m; i++)
                {
                    for (var j = 0; j < 4 && r + j < rows; j++)
                    {
                        dw[((long)(o + i) * rows) + r + j] = sums[(i * 4) + j];
                    }
                }
            }
        }
    }

    /// <summary>
    /// Copies a short row (a map width) into a strip with 8-float vectors, the last one overlapping the previous; a
    /// library memmove costs more in call overhead than the copy itself at these sizes. With <paramref name="whole"/>
    /// a row narrower than a vector is stored as a whole vector (<see cref="StripRow"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void CopyRow(float* src, float* dst, int count, bool whole)
    {
        if (count < 8 && Avx.IsSupported)
        {
            StripRow(Avx.MaskLoad(src, Part(count)), dst, count, whole);
            return;
        }

        BiasRow(src, dst, count, 0f, relu: false);
    }

    /// <summary>
    /// Stores a row narrower than a vector (its lanes from <paramref name="count"/> on are zero) into a strip. With
    /// <paramref name="whole"/> (the strip's row stride is at least a vector) the whole vector is stored, a plain
    /// store instead of a masked one: the zeros land on the row's own border columns, which are zero anyway.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void StripRow(Vector256<float> row, float* dst, int count, bool whole)
    {
        if (whole)
        {
            row.Store(dst);
        }
        else
        {
            Avx.MaskStore(dst, Part(count), row);
        }
    }

    /// <summary>
    /// dst[i] = src[i] + bias, or max(src[i] + bias, 0) when <paramref name="relu"/>, for i &lt; count
    /// (non-overlapping buffers; the last vector may overlap the previous one).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void BiasRow(float* src, float* dst, int count, float bias, bool relu)
    {
        if (count < 8 && Avx.IsSupported)
        {
            var part = Part(count);
            Avx.MaskStore(dst, part, Finish(Avx.MaskLoad(src, part) + Vector256.Create(bias), relu));
            return;
        }

        if (count < 8 || !Vector256.IsHardwareAccelerated)
        {
            for (var i = 0; i < count; i++)
            {
                var v = src[i] + bias;
                dst[i] = relu && !(v > 0f) ? 0f : v;
            }

            return;
        }

        var b = Vector256.Create(bias);
        var j = 0;
        for (; j + 8 <= count; j += 8)
        {
            Finish(Vector256.Load(src + j) + b, relu).Store(dst + j);
        }

        if (j < count)
        {
            Finish(Vector256.Load(src + count - 8) + b, relu).Store(dst + count - 8);
        }
    }

    /// <summary>
    /// The mask of lanes [0, <paramref name="count"/>) for rows shorter than a vector (maps narrower than 8): AVX's
    /// masked loads and stores then do a row in one step, where a scalar loop with a branch per value (the ReLU's,
    /// the mask's) mispredicts about half the time. Every value gets the same operation as in the scalar loop, so
    /// the bits are the same.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Part(int count) =>
        Vector256.LessThan(Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7), Vector256.Create(count)).AsSingle();

    /// <summary>v, or max(v, 0) when <paramref name="relu"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Finish(Vector256<float> v, bool relu) =>
        relu ? Vector256.ConditionalSelect(Vector256.GreaterThan(v, Vector256<float>.Zero), v, Vector256<float>.Zero) : v;

    /// <summary>dst[i] = mask[i] &gt; 0 ? src[i] : 0 for i &lt; count into a strip (the last vector may overlap the previous one; <paramref name="whole"/> as for <see cref="CopyRow"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void MaskRow(float* src, float* mask, float* dst, int count, bool whole)
    {
        if (count < 8 && Avx.IsSupported)
        {
            var part = Part(count);
            var keep = Vector256.GreaterThan(Avx.MaskLoad(mask, part), Vector256<float>.Zero);
            StripRow(Vector256.ConditionalSelect(keep, Avx.MaskLoad(src, part), Vector256<float>.Zero), dst, count, whole);
            return;
        }

        if (count < 8 || !Vector256.IsHardwareAccelerated)
        {
            for (var i = 0; i < count; i++)
            {
                dst[i] = mask[i] > 0f ? src[i] : 0f;
            }

            return;
        }

        var j = 0;
        for (; j + 8 <= count; j += 8)
        {
            Vector256.ConditionalSelect(Vector256.GreaterThan(Vector256.Load(mask + j), Vector256<float>.Zero), Vector256.Load(src + j), Vector256<float>.Zero).Store(dst + j);
        }

        if (j < count)
        {
            var t = count - 8;
            Vector256.ConditionalSelect(Vector256.GreaterThan(Vector256.Load(mask + t), Vector256<float>.Zero), Vector256.Load(src + t), Vector256<float>.Zero).Store(dst + t);
        }
    }

    /// <summary>dst[i] += src[i] for i &lt; count.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void AddRow(float* src, float* dst, int count)
    {
        if (count < 8 && Avx.IsSupported)
        {
            var part = Part(count);
            Avx.MaskStore(dst, part, Avx.MaskLoad(dst, part) + Avx.MaskLoad(src, part));
            return;
        }

        var j = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; j + 8 <= count; j += 8)
            {
                (Vector256.Load(dst + j) + Vector256.Load(src + j)).Store(dst + j);
            }
        }

        for (; j < count; j++)
        {
            dst[j] += src[j];
        }
    }

    /// <summary>How <see cref="Unpack"/> writes a row.</summary>
    private enum RowMode
    {
        /// <summary>dst = src + bias.</summary>
        Bias,

        /// <summary>dst = max(src + bias, 0).</summary>
        BiasRelu,

        /// <summary>dst += src.</summary>
        Add,
    }

    /// <summary>
    /// The strip layout for H×W images and k×k kernels: per channel, a plane of <see cref="PlaneStride"/> floats
    /// holding a chunk of images; row y of image j starts at Lead + j·ImageStride + y·RowStride, each row is
    /// followed by k/2 zeros and each image by k/2 zero rows (shared with the next image's top border).
    /// </summary>
    private readonly struct Strip
    {
        public Strip(int batch, int height, int width, int k)
        {
            Height = height;
            Width = width;
            K = k;
            Pad = k / 2;
            RowStride = width + Pad;
            ImageStride = (height + Pad) * RowStride;
            Lead = Gemm.PaddedWidth((Pad * RowStride) + Pad);
            Chunk = Math.Clamp(TargetColumns / ImageStride, 1, Math.Max(1, batch));
            MaxColumns = Gemm.PaddedWidth(Columns(Chunk));

            // Reads reach MaxColumns − 1 + Lead past a row's start, which may begin Lead before the first image.
            PlaneStride = Gemm.PaddedWidth(Lead + MaxColumns + Lead);
        }

        public int Height { get; }

        public int Width { get; }

        public int K { get; }

        public int Pad { get; }

        public int RowStride { get; }

        public int ImageStride { get; }

        public int Lead { get; }

        public int Chunk { get; }

        public int MaxColumns { get; }

        public int PlaneStride { get; }

        /// <summary>Strip positions from the first image's first row to the last image's last row.</summary>
        public int Columns(int images) => ((images - 1) * ImageStride) + ((Height - 1) * RowStride) + Width;
    }
}
