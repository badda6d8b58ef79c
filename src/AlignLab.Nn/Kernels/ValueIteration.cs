using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace AlignLab.Nn.Kernels;

/// <summary>
/// The kernels of a value-iteration network, shared by the tape and tape-free inference
/// (<see cref="ValueIterationNetwork"/>): the two reductions (<see cref="Graph.MaxChannels"/>,
/// <see cref="Graph.MaskedCellSum"/>) and the fused planner (<see cref="Graph.ValueIterationSteps"/>), which runs
/// all K steps of value iteration in one pass with the batch innermost (one sample per SIMD lane).
/// </summary>
internal static class ValueIteration
{
    /// <summary>
    /// y[b, cell] = max over a of x[b, a, cell] for x [batch, channels, cells]; with <paramref name="argmax"/>, the
    /// first channel attaining the maximum.
    /// </summary>
    public static void MaxChannels(ReadOnlySpan<float> x, int batch, int channels, int cells, Span<float> y, Span<int> argmax)
    {
        var keep = !argmax.IsEmpty;
        for (var b = 0; b < batch; b++)
        {
            var xb = x.Slice(b * channels * cells, channels * cells);
            var yb = y.Slice(b * cells, cells);
            xb[..cells].CopyTo(yb);
            if (keep)
            {
                argmax.Slice(b * cells, cells).Clear();
            }

            for (var a = 1; a < channels; a++)
            {
                var xa = xb.Slice(a * cells, cells);
                for (var i = 0; i < cells; i++)
                {
                    if (xa[i] > yb[i])
                    {
                        yb[i] = xa[i];
                        if (keep)
                        {
                            argmax[(b * cells) + i] = a;
                        }
                    }
                }
            }
        }
    }

    /// <summary>
    /// y[b, a] = Σ_cell q[b, a, cell]·mask[b, channel, cell] for q [batch, actions, cells] and mask [batch, maskChannels, cells].
    /// </summary>
    public static void MaskedCellSum(ReadOnlySpan<float> q, ReadOnlySpan<float> mask, int batch, int actions, int cells, int maskChannels, int channel, Span<float> y)
    {
        // The mask is mostly zeros (one-hot at the agent's cell): its nonzero cells are found once per sample with
        // vector compares, then each action sums only those, in cell order and in double as a full pass would.
        Span<int> nonzero = cells <= 1024 ? stackalloc int[cells] : new int[cells];
        for (var b = 0; b < batch; b++)
        {
            var m = mask.Slice(((b * maskChannels) + channel) * cells, cells);
            var count = NonzeroCells(m, nonzero);
            for (var a = 0; a < actions; a++)
            {
                var qa = q.Slice(((b * actions) + a) * cells, cells);
                double s = 0;
                for (var j = 0; j < count; j++)
                {
                    var i = nonzero[j];
                    s += (double)qa[i] * m[i];
                }

                y[(b * actions) + a] = (float)s;
            }
        }
    }

    /// <summary>Writes the indices i with m[i] != 0 (NaN included) in ascending order into <paramref name="indices"/>; returns how many.</summary>
    private static int NonzeroCells(ReadOnlySpan<float> m, Span<int> indices)
    {
        var count = 0;
        var i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            ref var start = ref MemoryMarshal.GetReference(m);
            for (; i + 8 <= m.Length; i += 8)
            {
                var bits = ~Vector256.Equals(Vector256.LoadUnsafe(ref start, (nuint)i), Vector256<float>.Zero).ExtractMostSignificantBits() & 0xFFu;
                while (bits != 0)
                {
                    indices[count++] = i + System.Numerics.BitOperations.TrailingZeroCount(bits);
                    bits &= bits - 1;
                }
            }
        }

        for (; i < m.Length; i++)
        {
            if (m[i] != 0f)
            {
                indices[count++] = i;
            }
        }

        return count;
    }

    /// <summary>
    /// Samples one SIMD vector holds: the planner's lane width (samples are the innermost axis of its layout), one
    /// <see cref="Vector512{T}"/> of floats. Where AVX-512 is missing, .NET runs Vector512 as two Vector256 halves:
    /// the same results, more slowly.
    /// </summary>
    internal const int Lanes = 16;

    /// <summary>Blocks of <see cref="Lanes"/> samples a batch splits into: the planner's pieces of work.</summary>
    internal static int Blocks(int batch) => (batch + Lanes - 1) / Lanes;

    /// <summary>
    /// Floats <see cref="Plan"/> keeps for <see cref="PlanBackward"/>: per block of <see cref="Lanes"/> samples and per
    /// step k &lt; K, V_k and the argmax action of Q_k (as the bits of an int) on the zero-bordered (H + 2) × (W + 2) map.
    /// </summary>
    internal static int SavedLength(int batch, int height, int width, int iterations) =>
        Blocks(batch) * iterations * 2 * (height + 2) * (width + 2) * Lanes;

    /// <summary>
    /// All K steps of value iteration in one pass: Q_R = conv3×3(r; w_R), Q_0 = Q_R, and K times V = max_a Q,
    /// Q = Q_R + conv3×3(V; w_V), for rewards r [batch, H·W] and kernels w_R, w_V [A, 9] (zero padding), into
    /// q [batch, A, H·W] (Q_K). Samples are processed <see cref="Lanes"/> at a time, one per SIMD lane, each block
    /// of samples a piece on the <see cref="WorkerPool"/> that runs all K steps on maps that stay in the L1 cache;
    /// a sample's result does not depend on its block or thread, so the bits are the same on any number of
    /// threads. With <paramref name="saved"/> (<see cref="SavedLength"/> floats), keeps every V_k and the first
    /// action attaining each maximum for <see cref="PlanBackward"/>.
    /// </summary>
    internal static unsafe void Plan(
        ReadOnlySpan<float> rewards, int batch, int height, int width, ReadOnlySpan<float> rewardKernel,
        ReadOnlySpan<float> valueKernel, int actions, int iterations, Span<float> q, Span<float> saved)
    {
        var cells = height * width;
        if (rewards.Length < batch * cells || q.Length < batch * actions * cells || rewardKernel.Length < actions * 9
            || valueKernel.Length < actions * 9 || (!saved.IsEmpty && saved.Length < SavedLength(batch, height, width, iterations)))
        {
            throw new ArgumentException("ValueIteration.Plan: a buffer is smaller than the sizes need.", nameof(rewards));
        }

        fixed (float* pr = rewards, pwr = rewardKernel, pwv = valueKernel, pq = q, ps = saved)
        {
            // Without saved state (inference) a batch smaller than one block per thread is spread over the threads,
            // fewer samples per block: a lane's result does not depend on the others, and a rollout's 8 samples
            // then take half the time on two threads, though each block computes all its lanes.
            var span = Lanes;
            if (saved.IsEmpty && Blocks(batch) < WorkerPool.Available)
            {
                span = (batch + Math.Min(WorkerPool.Available, batch) - 1) / Math.Min(WorkerPool.Available, batch);
            }

            var job = PlanJob.Job ??= new PlanJob();
            job.Set(new Layout(height, width, actions, iterations), batch, span, pr, pwr, pwv, pq, saved.IsEmpty ? null : ps);
            WorkerPool.For((batch + span - 1) / span, job);
        }
    }

    /// <summary>
    /// The backward pass of <see cref="Plan"/> from dq [batch, A, H·W] and its <paramref name="saved"/> state:
    /// adds into dr [batch, H·W], dw_R and dw_V [A, 9] (each may be empty: not needed). Each block of samples is a
    /// piece; its weight gradients are summed over its lanes and cells into its own partial sums, which are added
    /// in block order after all pieces ran, so the bits do not depend on the thread count either.
    /// </summary>
    internal static unsafe void PlanBackward(
        ReadOnlySpan<float> rewards, ReadOnlySpan<float> dq, int batch, int height, int width, ReadOnlySpan<float> rewardKernel,
        ReadOnlySpan<float> valueKernel, int actions, int iterations, ReadOnlySpan<float> saved, Span<float> dr,
        Span<float> dRewardKernel, Span<float> dValueKernel)
    {
        var cells = height * width;
        if (rewards.Length < batch * cells || dq.Length < batch * actions * cells || saved.Length < SavedLength(batch, height, width, iterations)
            || (!dr.IsEmpty && dr.Length < batch * cells) || (!dRewardKernel.IsEmpty && dRewardKernel.Length < actions * 9)
            || (!dValueKernel.IsEmpty && dValueKernel.Length < actions * 9))
        {
            throw new ArgumentException("ValueIteration.PlanBackward: a buffer is smaller than the sizes need.", nameof(rewards));
        }

        if (dr.IsEmpty && dRewardKernel.IsEmpty && dValueKernel.IsEmpty)
        {
            return;
        }

        var blocks = Blocks(batch);
        var taps = actions * 9;
        var partials = PartialBuffer(blocks * 2 * taps);
        fixed (float* pr = rewards, pdq = dq, pwr = rewardKernel, pwv = valueKernel, ps = saved, pdr = dr, ppart = partials)
        {
            var job = PlanBackwardJob.Job ??= new PlanBackwardJob();
            job.Set(new Layout(height, width, actions, iterations), batch, pr, pdq, pwr, pwv, ps, dr.IsEmpty ? null : pdr, !dRewardKernel.IsEmpty, !dValueKernel.IsEmpty, ppart);
            WorkerPool.For(blocks, job);
        }

        for (var block = 0; block < blocks; block++)
        {
            var part = partials.AsSpan(block * 2 * taps, 2 * taps);
            for (var i = 0; i < dRewardKernel.Length && i < taps; i++)
            {
                dRewardKernel[i] += part[i];
            }

            for (var i = 0; i < dValueKernel.Length && i < taps; i++)
            {
                dValueKernel[i] += part[taps + i];
            }
        }
    }

    [ThreadStatic]
    private static float[]? _partials;

    [ThreadStatic]
    private static float[]? _scratch;

    /// <summary>The calling thread's buffer of per-block partial weight gradients, at least <paramref name="length"/> floats.</summary>
    private static float[] PartialBuffer(int length)
    {
        if (_partials is null || _partials.Length < length)
        {
            _partials = new float[Math.Max(length, 256)];
        }

        return _partials;
    }

    /// <summary>This thread's pinned working memory of one block, at least <paramref name="length"/> floats (grown, never shrunk).</summary>
    private static unsafe float* Scratch(int length)
    {
        if (_scratch is null || _scratch.Length < length)
        {
            _scratch = GC.AllocateArray<float>(Math.Max(length, 1024), pinned: true);
        }

        return (float*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_scratch));
    }

    /// <summary>The sizes of one plan: map, actions, steps, and the zero-bordered map's positions.</summary>
    private readonly record struct Layout(int Height, int Width, int Actions, int Iterations)
    {
        public int Cells => Height * Width;

        /// <summary>Positions of the map with a zero border of one cell all round.</summary>
        public int Padded => (Height + 2) * (Width + 2);

        /// <summary>Floats one block saves: K × (bordered V + bordered argmax) × lanes.</summary>
        public int SavedPerBlock => Iterations * 2 * Padded * Lanes;

        /// <summary>The bordered position of cell <paramref name="cell"/>.</summary>
        public int Pad(int cell) => ((cell / Width) + 1) * (Width + 2) + (cell % Width) + 1;
    }

    /// <summary>Zeroes the border of a bordered map (its interior is written by the caller).</summary>
    private static unsafe void ClearBorder(float* map, in Layout l)
    {
        // Vector stores: a library clear of each border row costs more in call overhead than the few stores.
        var stride = l.Width + 2;
        var bottom = map + ((l.Height + 1) * stride * Lanes);
        for (var c = 0; c < stride; c++)
        {
            Vector512<float>.Zero.Store(map + (c * Lanes));
            Vector512<float>.Zero.Store(bottom + (c * Lanes));
        }

        for (var r = 1; r <= l.Height; r++)
        {
            Vector512<float>.Zero.Store(map + (r * stride * Lanes));
            Vector512<float>.Zero.Store(map + (((r * stride) + l.Width + 1) * Lanes));
        }
    }

    /// <summary>
    /// One convolution of a bordered one-channel map into A action channels, then the maximum over actions: for every
    /// cell, Q_a = add_a + Σ_t w[a, t]·src[cell + tap t] (add_a = 0 when <paramref name="add"/> is null), stored to
    /// <paramref name="qOut"/> [A, cells] when given; V = max_a Q_a to the bordered <paramref name="vOut"/> and the
    /// first action attaining it (an int's bits) to the bordered <paramref name="argmax"/> when given.
    /// </summary>
    /// <remarks>
    /// Two neighbouring cells of a row at a time: their 3 × 4 window is loaded once and each weight, broadcast from
    /// memory, feeds both cells' sums (one load per two multiply-adds instead of one per one). Every cell's sums are
    /// formed in the same order as for a single cell, so the bits do not depend on the pairing.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void ConvMax(float* src, float* w, float* add, in Layout l, float* qOut, float* vOut, float* argmax)
    {
        int stride = l.Width + 2, width = l.Width, cells = l.Cells, actions = l.Actions;
        for (var r = 0; r < l.Height; r++)
        {
            var c = 0;
            for (; c + 2 <= width; c += 2)
            {
                var cell = (r * width) + c;
                var p = src + (((r * stride) + c) * Lanes);
                var x0 = Vector512.Load(p);
                var x1 = Vector512.Load(p + Lanes);
                var x2 = Vector512.Load(p + (2 * Lanes));
                var x3 = Vector512.Load(p + (3 * Lanes));
                p += stride * Lanes;
                var y0 = Vector512.Load(p);
                var y1 = Vector512.Load(p + Lanes);
                var y2 = Vector512.Load(p + (2 * Lanes));
                var y3 = Vector512.Load(p + (3 * Lanes));
                p += stride * Lanes;
                var z0 = Vector512.Load(p);
                var z1 = Vector512.Load(p + Lanes);
                var z2 = Vector512.Load(p + (2 * Lanes));
                var z3 = Vector512.Load(p + (3 * Lanes));
                var bestA = Vector512<float>.Zero;
                var bestB = Vector512<float>.Zero;
                var indexA = Vector512<float>.Zero;
                var indexB = Vector512<float>.Zero;
                for (var a = 0; a < actions; a++)
                {
                    var wa = w + (a * 9);
                    var qa = ((a * cells) + cell) * Lanes;
                    var a0 = add is null ? Vector512<float>.Zero : Vector512.Load(add + qa);
                    var b0 = add is null ? Vector512<float>.Zero : Vector512.Load(add + qa + Lanes);
                    var w0 = Vector512.Create(wa[0]);
                    a0 = Vector512.FusedMultiplyAdd(w0, x0, a0);
                    b0 = Vector512.FusedMultiplyAdd(w0, x1, b0);
                    var w3 = Vector512.Create(wa[3]);
                    var a1 = w3 * y0;
                    var b1 = w3 * y1;
                    var w6 = Vector512.Create(wa[6]);
                    var a2 = w6 * z0;
                    var b2 = w6 * z1;
                    var w1 = Vector512.Create(wa[1]);
                    a0 = Vector512.FusedMultiplyAdd(w1, x1, a0);
                    b0 = Vector512.FusedMultiplyAdd(w1, x2, b0);
                    var w4 = Vector512.Create(wa[4]);
                    a1 = Vector512.FusedMultiplyAdd(w4, y1, a1);
                    b1 = Vector512.FusedMultiplyAdd(w4, y2, b1);
                    var w7 = Vector512.Create(wa[7]);
                    a2 = Vector512.FusedMultiplyAdd(w7, z1, a2);
                    b2 = Vector512.FusedMultiplyAdd(w7, z2, b2);
                    var w2 = Vector512.Create(wa[2]);
                    a0 = Vector512.FusedMultiplyAdd(w2, x2, a0);
                    b0 = Vector512.FusedMultiplyAdd(w2, x3, b0);
                    var w5 = Vector512.Create(wa[5]);
                    a1 = Vector512.FusedMultiplyAdd(w5, y2, a1);
                    b1 = Vector512.FusedMultiplyAdd(w5, y3, b1);
                    var w8 = Vector512.Create(wa[8]);
                    a2 = Vector512.FusedMultiplyAdd(w8, z2, a2);
                    b2 = Vector512.FusedMultiplyAdd(w8, z3, b2);
                    var accA = a0 + (a1 + a2);
                    var accB = b0 + (b1 + b2);
                    if (qOut is not null)
                    {
                        accA.Store(qOut + qa);
                        accB.Store(qOut + qa + Lanes);
                    }

                    if (a == 0)
                    {
                        bestA = accA;
                        bestB = accB;
                    }
                    else
                    {
                        var action = Vector512.Create(a).AsSingle();
                        var greaterA = Vector512.GreaterThan(accA, bestA);
                        bestA = Vector512.ConditionalSelect(greaterA, accA, bestA);
                        indexA = Vector512.ConditionalSelect(greaterA, action, indexA);
                        var greaterB = Vector512.GreaterThan(accB, bestB);
                        bestB = Vector512.ConditionalSelect(greaterB, accB, bestB);
                        indexB = Vector512.ConditionalSelect(greaterB, action, indexB);
                    }
                }

                var at = l.Pad(cell) * Lanes;
                if (vOut is not null)
                {
                    bestA.Store(vOut + at);
                    bestB.Store(vOut + at + Lanes);
                }

                if (argmax is not null)
                {
                    indexA.Store(argmax + at);
                    indexB.Store(argmax + at + Lanes);
                }
            }

            if (c < width)
            {
                ConvMaxCell(src, w, add, l, (r * width) + c, qOut, vOut, argmax);
            }
        }
    }

    /// <summary><see cref="ConvMax"/> at one cell (a row's last cell when the width is odd).</summary>
    private static unsafe void ConvMaxCell(float* src, float* w, float* add, in Layout l, int cell, float* qOut, float* vOut, float* argmax)
    {
        int stride = l.Width + 2, cells = l.Cells, actions = l.Actions;
        var p = src + ((l.Pad(cell) - stride - 1) * Lanes);
        var s0 = Vector512.Load(p);
        var s1 = Vector512.Load(p + Lanes);
        var s2 = Vector512.Load(p + (2 * Lanes));
        p += stride * Lanes;
        var s3 = Vector512.Load(p);
        var s4 = Vector512.Load(p + Lanes);
        var s5 = Vector512.Load(p + (2 * Lanes));
        p += stride * Lanes;
        var s6 = Vector512.Load(p);
        var s7 = Vector512.Load(p + Lanes);
        var s8 = Vector512.Load(p + (2 * Lanes));
        var best = Vector512<float>.Zero;
        var index = Vector512<float>.Zero;
        for (var a = 0; a < actions; a++)
        {
            var wa = w + (a * 9);
            var acc0 = add is null ? Vector512<float>.Zero : Vector512.Load(add + (((a * cells) + cell) * Lanes));
            acc0 = Vector512.FusedMultiplyAdd(Vector512.Create(wa[0]), s0, acc0);
            var acc1 = Vector512.Create(wa[3]) * s3;
            var acc2 = Vector512.Create(wa[6]) * s6;
            acc0 = Vector512.FusedMultiplyAdd(Vector512.Create(wa[1]), s1, acc0);
            acc1 = Vector512.FusedMultiplyAdd(Vector512.Create(wa[4]), s4, acc1);
            acc2 = Vector512.FusedMultiplyAdd(Vector512.Create(wa[7]), s7, acc2);
            acc0 = Vector512.FusedMultiplyAdd(Vector512.Create(wa[2]), s2, acc0);
            acc1 = Vector512.FusedMultiplyAdd(Vector512.Create(wa[5]), s5, acc1);
            acc2 = Vector512.FusedMultiplyAdd(Vector512.Create(wa[8]), s8, acc2);
            var acc = acc0 + (acc1 + acc2);
            if (qOut is not null)
            {
                acc.Store(qOut + (((a * cells) + cell) * Lanes));
            }

            if (a == 0)
            {
                best = acc;
            }
            else
            {
                var greater = Vector512.GreaterThan(acc, best);
                best = Vector512.ConditionalSelect(greater, acc, best);
                index = Vector512.ConditionalSelect(greater, Vector512.Create(a).AsSingle(), index);
            }
        }

        if (vOut is not null)
        {
            best.Store(vOut + (l.Pad(cell) * Lanes));
        }

        if (argmax is not null)
        {
            index.Store(argmax + (l.Pad(cell) * Lanes));
        }
    }

    /// <summary>
    /// The transposed convolution of a bordered A-channel map g [A, padded] (zero off the map): for every cell,
    /// Σ_a Σ_t w[a, t]·g[a, cell − tap t], into the interior of the bordered <paramref name="dst"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void ConvTransposed(float* g, float* w, in Layout l, float* dst)
    {
        int stride = l.Width + 2, cells = l.Cells, actions = l.Actions, planeStride = l.Padded * Lanes;
        for (var cell = 0; cell < cells; cell++)
        {
            // Three sums, one per row of taps, so that the FMAs do not wait on each other.
            var acc0 = Vector512<float>.Zero;
            var acc1 = Vector512<float>.Zero;
            var acc2 = Vector512<float>.Zero;
            var centre = g + (l.Pad(cell) * Lanes);
            for (var a = 0; a < actions; a++)
            {
                var wa = w + (a * 9);
                var p = centre + (a * planeStride) + ((stride + 1) * Lanes); // tap 0 reads g at cell + (1, 1)
                acc0 = Vector512.FusedMultiplyAdd(Vector512.Create(wa[0]), Vector512.Load(p), acc0);
                acc0 = Vector512.FusedMultiplyAdd(Vector512.Create(wa[1]), Vector512.Load(p - Lanes), acc0);
                acc0 = Vector512.FusedMultiplyAdd(Vector512.Create(wa[2]), Vector512.Load(p - (2 * Lanes)), acc0);
                p -= stride * Lanes;
                acc1 = Vector512.FusedMultiplyAdd(Vector512.Create(wa[3]), Vector512.Load(p), acc1);
                acc1 = Vector512.FusedMultiplyAdd(Vector512.Create(wa[4]), Vector512.Load(p - Lanes), acc1);
                acc1 = Vector512.FusedMultiplyAdd(Vector512.Create(wa[5]), Vector512.Load(p - (2 * Lanes)), acc1);
                p -= stride * Lanes;
                acc2 = Vector512.FusedMultiplyAdd(Vector512.Create(wa[6]), Vector512.Load(p), acc2);
                acc2 = Vector512.FusedMultiplyAdd(Vector512.Create(wa[7]), Vector512.Load(p - Lanes), acc2);
                acc2 = Vector512.FusedMultiplyAdd(Vector512.Create(wa[8]), Vector512.Load(p - (2 * Lanes)), acc2);
            }

            var acc = acc0 + acc1 + acc2;
            acc.Store(dst + (l.Pad(cell) * Lanes));
        }
    }

    /// <summary>
    /// The weight gradient of one such convolution: acc[a, t] += Σ_cell src[cell + tap t]·g[a, cell] per lane, for a
    /// bordered source map and a bordered A-channel gradient g. Nine independent sums per action, one per tap, so
    /// the FMAs do not wait on each other.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void KernelGradient(float* src, float* g, in Layout l, float* acc)
    {
        int stride = l.Width + 2, planeStride = l.Padded * Lanes;
        for (var a = 0; a < l.Actions; a++)
        {
            var sums = acc + (a * 9 * Lanes);
            var t0 = Vector512.Load(sums);
            var t1 = Vector512.Load(sums + Lanes);
            var t2 = Vector512.Load(sums + (2 * Lanes));
            var t3 = Vector512.Load(sums + (3 * Lanes));
            var t4 = Vector512.Load(sums + (4 * Lanes));
            var t5 = Vector512.Load(sums + (5 * Lanes));
            var t6 = Vector512.Load(sums + (6 * Lanes));
            var t7 = Vector512.Load(sums + (7 * Lanes));
            var t8 = Vector512.Load(sums + (8 * Lanes));
            for (var r = 1; r <= l.Height; r++)
            {
                var row = (r * stride) + 1;
                var gs = g + (a * planeStride) + (row * Lanes);
                var xs = src + ((row - stride - 1) * Lanes);
                for (var c = 0; c < l.Width; c++)
                {
                    var gv = Vector512.Load(gs + (c * Lanes));
                    var p = xs + (c * Lanes);
                    t0 = Vector512.FusedMultiplyAdd(Vector512.Load(p), gv, t0);
                    t1 = Vector512.FusedMultiplyAdd(Vector512.Load(p + Lanes), gv, t1);
                    t2 = Vector512.FusedMultiplyAdd(Vector512.Load(p + (2 * Lanes)), gv, t2);
                    p += stride * Lanes;
                    t3 = Vector512.FusedMultiplyAdd(Vector512.Load(p), gv, t3);
                    t4 = Vector512.FusedMultiplyAdd(Vector512.Load(p + Lanes), gv, t4);
                    t5 = Vector512.FusedMultiplyAdd(Vector512.Load(p + (2 * Lanes)), gv, t5);
                    p += stride * Lanes;
                    t6 = Vector512.FusedMultiplyAdd(Vector512.Load(p), gv, t6);
                    t7 = Vector512.FusedMultiplyAdd(Vector512.Load(p + Lanes), gv, t7);
                    t8 = Vector512.FusedMultiplyAdd(Vector512.Load(p + (2 * Lanes)), gv, t8);
                }
            }

            t0.Store(sums);
            t1.Store(sums + Lanes);
            t2.Store(sums + (2 * Lanes));
            t3.Store(sums + (3 * Lanes));
            t4.Store(sums + (4 * Lanes));
            t5.Store(sums + (5 * Lanes));
            t6.Store(sums + (6 * Lanes));
            t7.Store(sums + (7 * Lanes));
            t8.Store(sums + (8 * Lanes));
        }
    }

    /// <summary>Copies samples [b0, b0 + n) of maps [batch, cells] into a block's bordered lanes (the other lanes stay zero).</summary>
    private static unsafe void Gather(float* src, int b0, int n, in Layout l, float* dst)
    {
        for (var lane = 0; lane < n; lane++)
        {
            var s = src + ((long)(b0 + lane) * l.Cells);
            for (var cell = 0; cell < l.Cells; cell++)
            {
                dst[(l.Pad(cell) * Lanes) + lane] = s[cell];
            }
        }
    }

    /// <summary>The forward pass of the planner's blocks of samples, as pieces on the worker pool (one instance per calling thread).</summary>
    private sealed unsafe class PlanJob : IPieceWork
    {
        [ThreadStatic]
        internal static PlanJob? Job;

        private Layout _l;
        private int _batch, _span;
        private float* _r, _wr, _wv, _q, _saved;

        /// <summary>Sets the call's operands; a block holds <paramref name="span"/> samples (at most <see cref="Lanes"/>; exactly that with saved state, laid out by blocks of Lanes).</summary>
        public void Set(Layout l, int batch, int span, float* r, float* wr, float* wv, float* q, float* saved)
        {
            _l = l;
            _batch = batch;
            _span = span;
            _r = r;
            _wr = wr;
            _wv = wv;
            _q = q;
            _saved = saved;
        }

        public void Run(int piece)
        {
            var l = _l;
            int cells = l.Cells, padded = l.Padded, actions = l.Actions, k = l.Iterations;
            var b0 = piece * _span;
            var n = Math.Min(_span, _batch - b0);
            var rp = Scratch((((3 * padded) + ((actions + 1) * cells)) * Lanes));
            var qr = rp + (padded * Lanes);
            var ping = qr + (actions * cells * Lanes);
            var pong = ping + (padded * Lanes);
            new Span<float>(rp, padded * Lanes).Clear();
            Gather(_r, b0, n, l, rp);
            var savedV = _saved is null ? null : _saved + ((long)piece * l.SavedPerBlock);
            var savedIndex = savedV is null ? null : savedV + ((long)k * padded * Lanes);
            var v = Map(savedV, ping, pong, 0, padded);
            ClearBorder(v, l);
            ConvMax(rp, _wr, null, l, qr, v, Step(savedIndex, 0, padded, l));
            for (var step = 0; step < k; step++)
            {
                v = Map(savedV, ping, pong, step, padded);
                if (step < k - 1)
                {
                    var next = Map(savedV, ping, pong, step + 1, padded);
                    ClearBorder(next, l);
                    ConvMax(v, _wv, qr, l, null, next, Step(savedIndex, step + 1, padded, l));
                }
                else
                {
                    ConvMax(v, _wv, qr, l, qr, null, null);
                }
            }

            // Q_K, now in qr, out of the lanes.
            for (var lane = 0; lane < n; lane++)
            {
                var dst = _q + ((long)(b0 + lane) * actions * cells);
                for (var i = 0; i < actions * cells; i++)
                {
                    dst[i] = qr[(i * Lanes) + lane];
                }
            }
        }

        /// <summary>V_step: in the saved state when it is kept, else in one of two alternating maps.</summary>
        private static float* Map(float* saved, float* ping, float* pong, int step, int padded) =>
            saved is not null ? saved + ((long)step * padded * Lanes) : (step % 2 == 0 ? ping : pong);

        /// <summary>The saved argmax map of step <paramref name="step"/> with its border cleared, or null when nothing is kept.</summary>
        private static float* Step(float* saved, int step, int padded, in Layout l)
        {
            if (saved is null)
            {
                return null;
            }

            var map = saved + ((long)step * padded * Lanes);
            ClearBorder(map, l);
            return map;
        }
    }

    /// <summary>The backward pass of the planner's blocks of samples, as pieces on the worker pool (one instance per calling thread).</summary>
    private sealed unsafe class PlanBackwardJob : IPieceWork
    {
        [ThreadStatic]
        internal static PlanBackwardJob? Job;

        private Layout _l;
        private int _batch;
        private float* _r, _dq, _wr, _wv, _saved, _dr, _partials;
        private bool _dwr, _dwv;

        public void Set(Layout l, int batch, float* r, float* dq, float* wr, float* wv, float* saved, float* dr, bool dwr, bool dwv, float* partials)
        {
            _l = l;
            _batch = batch;
            _r = r;
            _dq = dq;
            _wr = wr;
            _wv = wv;
            _saved = saved;
            _dr = dr;
            _dwr = dwr;
            _dwv = dwv;
            _partials = partials;
        }

        public void Run(int piece)
        {
            var l = _l;
            int cells = l.Cells, padded = l.Padded, actions = l.Actions, k = l.Iterations, taps = actions * 9;
            var b0 = piece * Lanes;
            var n = Math.Min(Lanes, _batch - b0);

            // Bordered rewards, gradients of Q_R and of a dense Q (both [A, padded]), two bordered gradients of V,
            // the weight sums, and w_V by tap (w_V[·, t] for every action t's vector, for the gather below).
            var length = ((padded * ((2 * actions) + 3)) + (2 * taps) + 9) * Lanes;
            var rp = Scratch(length);
            var gqr = rp + (padded * Lanes);
            var gq = gqr + (actions * padded * Lanes);
            var gv = gq + (actions * padded * Lanes);
            var gvNext = gv + (padded * Lanes);
            var accR = gvNext + (padded * Lanes);
            var accV = accR + (taps * Lanes);
            var byTap = accV + (taps * Lanes);
            new Span<float>(rp, length).Clear();
            Gather(_r, b0, n, l, rp);
            var sparse = actions <= Lanes;
            for (var t = 0; t < 9 && sparse; t++)
            {
                for (var a = 0; a < actions; a++)
                {
                    byTap[(t * Lanes) + a] = _wv[(a * 9) + t];
                }
            }

            for (var a = 0; a < actions; a++)
            {
                for (var lane = 0; lane < n; lane++)
                {
                    var src = _dq + ((((long)(b0 + lane) * actions) + a) * cells);
                    var dst = gq + (a * padded * Lanes) + lane;
                    for (var cell = 0; cell < cells; cell++)
                    {
                        dst[l.Pad(cell) * Lanes] = src[cell];
                    }
                }
            }

            // Q_K = Q_R + conv(V_{K−1}; w_V), with a dense gradient.
            var savedV = _saved + ((long)piece * l.SavedPerBlock);
            var savedIndex = savedV + ((long)k * padded * Lanes);
            Accumulate(gqr, gq, l);
            if (_dwv)
            {
                KernelGradient(savedV + ((long)(k - 1) * padded * Lanes), gq, l, accV);
            }

            ConvTransposed(gq, _wv, l, gv);

            // Every earlier Q_step reaches the loss only through V_step = max_a Q_step, so its gradient is dL/dV_step
            // at the action that attained the maximum and zero at the others.
            for (var step = k - 1; step >= 0; step--)
            {
                var index = savedIndex + ((long)step * padded * Lanes);
                AccumulateAtArgmax(gqr, gv, index, l);
                if (step == 0)
                {
                    break;
                }

                if (_dwv || !sparse)
                {
                    Scatter(gv, index, l, gq);
                    if (_dwv)
                    {
                        KernelGradient(savedV + ((long)(step - 1) * padded * Lanes), gq, l, accV);
                    }
                }

                if (sparse)
                {
                    GatherTransposed(gv, index, byTap, l, gvNext);
                }
                else
                {
                    ConvTransposed(gq, _wv, l, gvNext);
                }

                var swap = gv;
                gv = gvNext;
                gvNext = swap;
            }

            if (_dr is not null)
            {
                ConvTransposed(gqr, _wr, l, gv);
                for (var lane = 0; lane < n; lane++)
                {
                    var dst = _dr + ((long)(b0 + lane) * cells);
                    for (var cell = 0; cell < cells; cell++)
                    {
                        dst[cell] += gv[(l.Pad(cell) * Lanes) + lane];
                    }
                }
            }

            if (_dwr)
            {
                KernelGradient(rp, gqr, l, accR);
            }

            // The block's weight gradients, its lanes summed in lane order.
            var part = _partials + ((long)piece * 2 * taps);
            for (var i = 0; i < 2 * taps; i++)
            {
                var lanes = accR + (i * Lanes);
                var sum = 0f;
                for (var lane = 0; lane < Lanes; lane++)
                {
                    sum += lanes[lane];
                }

                part[i] = sum;
            }
        }

        /// <summary>total[a] += g where a is the cell's argmax, for every action plane [A, padded] of <paramref name="total"/>.</summary>
        private static void AccumulateAtArgmax(float* total, float* g, float* index, in Layout l)
        {
            for (var cell = 0; cell < l.Cells; cell++)
            {
                var at = l.Pad(cell) * Lanes;
                var gc = Vector512.Load(g + at);
                var ic = Vector512.Load(index + at).AsInt32();
                for (var a = 0; a < l.Actions; a++)
                {
                    var p = total + (a * l.Padded * Lanes) + at;
                    var hit = Vector512.Equals(ic, Vector512.Create(a)).AsSingle();
                    (Vector512.Load(p) + Vector512.ConditionalSelect(hit, gc, Vector512<float>.Zero)).Store(p);
                }
            }
        }

        /// <summary>The dense gradient [A, padded] that is g at each cell's argmax action and zero elsewhere.</summary>
        private static void Scatter(float* g, float* index, in Layout l, float* dense)
        {
            for (var cell = 0; cell < l.Cells; cell++)
            {
                var at = l.Pad(cell) * Lanes;
                var gc = Vector512.Load(g + at);
                var ic = Vector512.Load(index + at).AsInt32();
                for (var a = 0; a < l.Actions; a++)
                {
                    var hit = Vector512.Equals(ic, Vector512.Create(a)).AsSingle();
                    Vector512.ConditionalSelect(hit, gc, Vector512<float>.Zero).Store(dense + (a * l.Padded * Lanes) + at);
                }
            }
        }

        /// <summary>
        /// The transposed convolution of a gradient that is g at each cell's argmax action and zero at the others:
        /// dst[cell] = Σ_t w_V[argmax(cell − tap t), t]·g[cell − tap t], nine multiply-adds a cell instead of 9·A (the
        /// weight is picked per lane from w_V by tap, <paramref name="byTap"/>, by the saved argmax).
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void GatherTransposed(float* g, float* index, float* byTap, in Layout l, float* dst)
        {
            // w_V by tap, the same for every cell: kept in registers rather than reloaded per cell.
            var w0 = Vector512.Load(byTap);
            var w1 = Vector512.Load(byTap + Lanes);
            var w2 = Vector512.Load(byTap + (2 * Lanes));
            var w3 = Vector512.Load(byTap + (3 * Lanes));
            var w4 = Vector512.Load(byTap + (4 * Lanes));
            var w5 = Vector512.Load(byTap + (5 * Lanes));
            var w6 = Vector512.Load(byTap + (6 * Lanes));
            var w7 = Vector512.Load(byTap + (7 * Lanes));
            var w8 = Vector512.Load(byTap + (8 * Lanes));
            var row = (l.Width + 2) * Lanes;
            for (var cell = 0; cell < l.Cells; cell++)
            {
                // Taps t, t + 1, t + 2 of one kernel row read the cells at −(row offset) + 1, 0, −1: the tap row
                // above the centre reads one map row below, and so on.
                var at = l.Pad(cell) * Lanes;
                var q = at + row + Lanes;
                var acc0 = Vector512.FusedMultiplyAdd(Vector512.Shuffle(w0, Vector512.Load(index + q).AsInt32()), Vector512.Load(g + q), Vector512<float>.Zero);
                var acc1 = Vector512.FusedMultiplyAdd(Vector512.Shuffle(w1, Vector512.Load(index + q - Lanes).AsInt32()), Vector512.Load(g + q - Lanes), Vector512<float>.Zero);
                var acc2 = Vector512.FusedMultiplyAdd(Vector512.Shuffle(w2, Vector512.Load(index + q - (2 * Lanes)).AsInt32()), Vector512.Load(g + q - (2 * Lanes)), Vector512<float>.Zero);
                q -= row;
                acc0 = Vector512.FusedMultiplyAdd(Vector512.Shuffle(w3, Vector512.Load(index + q).AsInt32()), Vector512.Load(g + q), acc0);
                acc1 = Vector512.FusedMultiplyAdd(Vector512.Shuffle(w4, Vector512.Load(index + q - Lanes).AsInt32()), Vector512.Load(g + q - Lanes), acc1);
                acc2 = Vector512.FusedMultiplyAdd(Vector512.Shuffle(w5, Vector512.Load(index + q - (2 * Lanes)).AsInt32()), Vector512.Load(g + q - (2 * Lanes)), acc2);
                q -= row;
                acc0 = Vector512.FusedMultiplyAdd(Vector512.Shuffle(w6, Vector512.Load(index + q).AsInt32()), Vector512.Load(g + q), acc0);
                acc1 = Vector512.FusedMultiplyAdd(Vector512.Shuffle(w7, Vector512.Load(index + q - Lanes).AsInt32()), Vector512.Load(g + q - Lanes), acc1);
                acc2 = Vector512.FusedMultiplyAdd(Vector512.Shuffle(w8, Vector512.Load(index + q - (2 * Lanes)).AsInt32()), Vector512.Load(g + q - (2 * Lanes)), acc2);
                (acc0 + acc1 + acc2).Store(dst + at);
            }
        }

        /// <summary>total += g over the map's cells, for every action plane.</summary>
        private static void Accumulate(float* total, float* g, in Layout l)
        {
            var stride = l.Width + 2;
            for (var a = 0; a < l.Actions; a++)
            {
                for (var r = 1; r <= l.Height; r++)
                {
                    var offset = ((a * l.Padded) + (r * stride) + 1) * Lanes;
                    var t = new Span<float>(total + offset, l.Width * Lanes);
                    System.Numerics.Tensors.TensorPrimitives.Add(t, new ReadOnlySpan<float>(g + offset, l.Width * Lanes), t);
                }
            }
        }
    }
}
