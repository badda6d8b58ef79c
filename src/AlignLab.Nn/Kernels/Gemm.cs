using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace AlignLab.Nn.Kernels;

/// <summary>Which instruction set the matrix kernels use.</summary>
internal enum GemmPath
{
    /// <summary>The widest path the hardware accelerates.</summary>
    Auto,

    /// <summary>Plain scalar loops (the reference).</summary>
    Scalar,

    /// <summary>256-bit vectors.</summary>
    Vector256,

    /// <summary>512-bit vectors.</summary>
    Vector512,
}

/// <summary>
/// Tiled SIMD matrix products, large ones split by blocks of rows over the <see cref="WorkerPool"/>. B is consumed as a row-major [K, ldb] panel matrix whose width
/// is padded to a multiple of 16 with zeros; A is read through row and column strides, so a transposed A needs
/// no copy. Register tiles are 4 rows by 64 (or 16) columns.
/// </summary>
[SkipLocalsInit]
internal static unsafe class Gemm
{
    /// <summary>The panel width in floats.</summary>
    internal const int Panel = 16;

    /// <summary>Parallel row blocks start at multiples of this (the register tiles' height).</summary>
    internal const int ParallelRowQuantum = 4;

    /// <summary>Multiply-adds under which a product runs on the calling thread alone (waking a helper costs more).</summary>
    internal const long ParallelMinWork = 1L << 19;

    [ThreadStatic]
    private static float[]? _packScratch;

    /// <summary>Gets the fastest path this machine accelerates.</summary>
    internal static GemmPath Best { get; } =
        Vector512.IsHardwareAccelerated ? GemmPath.Vector512
        : Vector256.IsHardwareAccelerated ? GemmPath.Vector256
        : GemmPath.Scalar;

    /// <summary>Rounds <paramref name="n"/> up to a multiple of the panel width.</summary>
    internal static int PaddedWidth(int n) => (n + (Panel - 1)) & ~(Panel - 1);

    /// <summary>
    /// C[m,n] (+)= op(A)[m,k] · op(B)[k,n] with row-major operands. op(A) = A when <paramref name="transA"/> is
    /// false (A is [m,k]) and Aᵀ otherwise (A is [k,m]); likewise B is [k,n] or, transposed, [n,k].
    /// </summary>
    internal static void Multiply(
        int m, int n, int k, ReadOnlySpan<float> a, bool transA, ReadOnlySpan<float> b, bool transB,
        Span<float> c, bool accumulate, GemmPath path = GemmPath.Auto)
    {
        if (a.Length < m * k || b.Length < k * n || c.Length < m * n)
        {
            throw new ArgumentException("GEMM operand is too small for the requested sizes.");
        }

        if (m == 0 || n == 0)
        {
            return;
        }

        if (k == 0)
        {
            if (!accumulate)
            {
                c[..(m * n)].Clear();
            }

            return;
        }

        var rsA = transA ? 1 : k;
        var csA = transA ? m : 1;
        if (!transB && n % Panel == 0)
        {
            fixed (float* pa = a, pb = b, pc = c)
            {
                Run(m, n, k, pa, rsA, csA, pb, n, pc, n, accumulate, path);
            }

            return;
        }

        var ldb = PaddedWidth(n);
        var scratch = _packScratch;
        if (scratch is null || scratch.Length < k * ldb)
        {
            scratch = new float[Math.Max(k * ldb, 4096)];
            _packScratch = scratch;
        }

        PackB(b, transB, k, n, scratch, ldb);
        fixed (float* pa = a, pb = scratch, pc = c)
        {
            Run(m, n, k, pa, rsA, csA, pb, ldb, pc, n, accumulate, path);
        }
    }

    /// <summary>Writes op(B) ([k,n]) into <paramref name="dst"/> as [k, ldb] with zero padding on the right.</summary>
    internal static void PackB(ReadOnlySpan<float> b, bool transB, int k, int n, Span<float> dst, int ldb)
    {
        if (!transB)
        {
            for (var kk = 0; kk < k; kk++)
            {
                b.Slice(kk * n, n).CopyTo(dst.Slice(kk * ldb, n));
                dst.Slice((kk * ldb) + n, ldb - n).Clear();
            }

            return;
        }

        fixed (float* pb = b, pd = dst)
        {
            for (var kk = 0; kk < k; kk++)
            {
                var row = pd + ((long)kk * ldb);
                var src = pb + kk;
                for (var j = 0; j < n; j++)
                {
                    row[j] = src[(long)j * k];
                }

                for (var j = n; j < ldb; j++)
                {
                    row[j] = 0f;
                }
            }
        }
    }

    /// <summary>
    /// The kernel driver: C[m,n] (+)= A·B where A[i,kk] = a[i*rsA + kk*csA] and B is a padded panel matrix
    /// [k, ldb] (ldb a multiple of 16, or n itself when n is a multiple of 16).
    /// </summary>
    internal static void Run(
        int m, int n, int k, float* a, int rsA, int csA, float* b, int ldb, float* c, int ldc, bool accumulate,
        GemmPath path) => Run(m, n, k, a, rsA, csA, new StridedRows(b, ldb), c, ldc, accumulate, path);

    /// <summary>
    /// C[m,n] (+)= A·B where B's row kk starts at <paramref name="b"/> + <paramref name="rowOffsets"/>[kk] (an
    /// implicit matrix: a convolution reads its shifted input planes in place). Every row must be readable for
    /// the width n rounded up to a multiple of 16.
    /// </summary>
    internal static void RunOffsets(
        int m, int n, int k, float* a, int rsA, int csA, float* b, int* rowOffsets, float* c, int ldc, bool accumulate,
        GemmPath path) => Run(m, n, k, a, rsA, csA, new OffsetRows(b, rowOffsets), c, ldc, accumulate, path);

    private static void Run<TRows>(
        int m, int n, int k, float* a, int rsA, int csA, TRows b, float* c, int ldc, bool accumulate, GemmPath path)
        where TRows : struct, IRows<TRows>
    {
        if (path == GemmPath.Auto)
        {
            path = Best;
        }

        // Large products run in blocks of rows on the worker pool. Block boundaries are multiples of 4 rows, so
        // every row goes through the same register kernel as in one sequential call: the same bits for any
        // thread count.
        if (m >= 2 * ParallelRowQuantum && (long)m * n * k >= ParallelMinWork && WorkerPool.Threads > 1)
        {
            var rowsPerPiece = RowsPerPiece(m, n, k);
            var job = RowBlocks<TRows>.Job ??= new RowBlocks<TRows>();
            job.Set(m, n, k, a, rsA, csA, b, c, ldc, accumulate, path, rowsPerPiece);
            WorkerPool.For((m + rowsPerPiece - 1) / rowsPerPiece, job);
            return;
        }

        RunRows(m, n, k, a, rsA, csA, b, c, ldc, accumulate, path);
    }

    /// <summary>
    /// Rows per parallel block of an m×n×k product: a multiple of 4, with at least <see cref="ParallelMinWork"/>/4
    /// multiply-adds per block and at most 16 blocks. Depends on the sizes only, never on the thread count.
    /// </summary>
    internal static int RowsPerPiece(int m, int n, int k)
    {
        var byWork = (int)Math.Min(m, Math.Max(1L, (ParallelMinWork / 4) / Math.Max(1L, (long)n * k)));
        var byCount = (m + 15) / 16;
        var rows = Math.Max(byWork, byCount);
        return Math.Max(ParallelRowQuantum, (rows + ParallelRowQuantum - 1) / ParallelRowQuantum * ParallelRowQuantum);
    }

    private static void RunRows<TRows>(
        int m, int n, int k, float* a, int rsA, int csA, TRows b, float* c, int ldc, bool accumulate, GemmPath path)
        where TRows : struct, IRows<TRows>
    {
        switch (path)
        {
            case GemmPath.Vector512:
                Run512(m, n, k, a, rsA, csA, b, c, ldc, accumulate);
                break;
            case GemmPath.Vector256:
                Run256(m, n, k, a, rsA, csA, b, c, ldc, accumulate);
                break;
            default:
                RunScalar(m, n, k, a, rsA, csA, b, c, ldc, accumulate);
                break;
        }
    }

    /// <summary>One block of rows of a product, on the calling thread (a piece of <see cref="RowBlocks{TRows}"/>).</summary>
    internal static void RunBlock<TRows>(
        int m, int n, int k, float* a, int rsA, int csA, TRows b, float* c, int ldc, bool accumulate, GemmPath path)
        where TRows : struct, IRows<TRows> => RunRows(m, n, k, a, rsA, csA, b, c, ldc, accumulate, path);

    private static void RunScalar<TRows>(
        int m, int n, int k, float* a, int rsA, int csA, TRows b, float* c, int ldc, bool accumulate)
        where TRows : struct, IRows<TRows>
    {
        for (var i = 0; i < m; i++)
        {
            var ci = c + ((long)i * ldc);
            for (var j = 0; j < n; j++)
            {
                var sum = accumulate ? ci[j] : 0f;
                var ai = a + ((long)i * rsA);
                for (var kk = 0; kk < k; kk++)
                {
                    sum += ai[(long)kk * csA] * b.Row(kk)[j];
                }

                ci[j] = sum;
            }
        }
    }

    private static void Run512<TRows>(
        int m, int n, int k, float* a, int rsA, int csA, TRows b, float* c, int ldc, bool accumulate)
        where TRows : struct, IRows<TRows>
    {
        var full = n / Panel;
        var tail = n % Panel;
        var tile = stackalloc float[4 * Panel];
        var i = 0;
        for (; i + 4 <= m; i += 4)
        {
            var ai = a + ((long)i * rsA);
            var ci = c + ((long)i * ldc);
            var p = 0;
            for (; p + 4 <= full; p += 4)
            {
                K512x4x64(k, ai, rsA, csA, b.Shift(p * Panel), ci + (p * Panel), ldc, accumulate);
            }

            if (p + 2 <= full)
            {
                K512x4x32(k, ai, rsA, csA, b.Shift(p * Panel), ci + (p * Panel), ldc, accumulate);
                p += 2;
            }

            for (; p < full; p++)
            {
                K512x4x16(k, ai, rsA, csA, b.Shift(p * Panel), ci + (p * Panel), ldc, accumulate);
            }

            if (tail > 0)
            {
                var cp = ci + (full * Panel);
                TileIn(cp, ldc, tile, 4, tail, accumulate);
                K512x4x16(k, ai, rsA, csA, b.Shift(full * Panel), tile, Panel, accumulate);
                TileOut(tile, cp, ldc, 4, tail);
            }
        }

        for (; i < m; i++)
        {
            var ai = a + ((long)i * rsA);
            var ci = c + ((long)i * ldc);
            var p = 0;
            for (; p + 4 <= full; p += 4)
            {
                K512x1x64(k, ai, csA, b.Shift(p * Panel), ci + (p * Panel), accumulate);
            }

            for (; p < full; p++)
            {
                K512x1x16(k, ai, csA, b.Shift(p * Panel), ci + (p * Panel), accumulate);
            }

            if (tail > 0)
            {
                var cp = ci + (full * Panel);
                TileIn(cp, ldc, tile, 1, tail, accumulate);
                K512x1x16(k, ai, csA, b.Shift(full * Panel), tile, accumulate);
                TileOut(tile, cp, ldc, 1, tail);
            }
        }
    }

    private static void Run256<TRows>(
        int m, int n, int k, float* a, int rsA, int csA, TRows b, float* c, int ldc, bool accumulate)
        where TRows : struct, IRows<TRows>
    {
        var full = n / Panel;
        var tail = n % Panel;
        var tile = stackalloc float[4 * Panel];
        var i = 0;
        for (; i + 4 <= m; i += 4)
        {
            var ai = a + ((long)i * rsA);
            var ci = c + ((long)i * ldc);
            for (var p = 0; p < full; p++)
            {
                K256x4x16(k, ai, rsA, csA, b.Shift(p * Panel), ci + (p * Panel), ldc, accumulate);
            }

            if (tail > 0)
            {
                var cp = ci + (full * Panel);
                TileIn(cp, ldc, tile, 4, tail, accumulate);
                K256x4x16(k, ai, rsA, csA, b.Shift(full * Panel), tile, Panel, accumulate);
                TileOut(tile, cp, ldc, 4, tail);
            }
        }

        for (; i < m; i++)
        {
            var ai = a + ((long)i * rsA);
            var ci = c + ((long)i * ldc);
            for (var p = 0; p < full; p++)
            {
                K256x1x16(k, ai, csA, b.Shift(p * Panel), ci + (p * Panel), accumulate);
            }

            if (tail > 0)
            {
                var cp = ci + (full * Panel);
                TileIn(cp, ldc, tile, 1, tail, accumulate);
                K256x1x16(k, ai, csA, b.Shift(full * Panel), tile, accumulate);
                TileOut(tile, cp, ldc, 1, tail);
            }
        }
    }

    private static void TileIn(float* c, int ldc, float* tile, int rows, int width, bool accumulate)
    {
        if (!accumulate)
        {
            return;
        }

        for (var r = 0; r < rows; r++)
        {
            for (var j = 0; j < width; j++)
            {
                tile[(r * Panel) + j] = c[((long)r * ldc) + j];
            }

            for (var j = width; j < Panel; j++)
            {
                tile[(r * Panel) + j] = 0f;
            }
        }
    }

    private static void TileOut(float* tile, float* c, int ldc, int rows, int width)
    {
        for (var r = 0; r < rows; r++)
        {
            for (var j = 0; j < width; j++)
            {
                c[((long)r * ldc) + j] = tile[(r * Panel) + j];
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void K512x4x64<TRows>(int k, float* a, int rsA, int csA, TRows b, float* c, int ldc, bool acc)
        where TRows : struct, IRows<TRows>
    {
        float* c0 = c, c1 = c + ldc, c2 = c1 + ldc, c3 = c2 + ldc;
        Vector512<float> r00, r01, r02, r03, r10, r11, r12, r13, r20, r21, r22, r23, r30, r31, r32, r33;
        if (acc)
        {
            r00 = Vector512.Load(c0); r01 = Vector512.Load(c0 + 16); r02 = Vector512.Load(c0 + 32); r03 = Vector512.Load(c0 + 48);
            r10 = Vector512.Load(c1); r11 = Vector512.Load(c1 + 16); r12 = Vector512.Load(c1 + 32); r13 = Vector512.Load(c1 + 48);
            r20 = Vector512.Load(c2); r21 = Vector512.Load(c2 + 16); r22 = Vector512.Load(c2 + 32); r23 = Vector512.Load(c2 + 48);
            r30 = Vector512.Load(c3); r31 = Vector512.Load(c3 + 16); r32 = Vector512.Load(c3 + 32); r33 = Vector512.Load(c3 + 48);
        }
        else
        {
            r00 = r01 = r02 = r03 = r10 = r11 = r12 = r13 = Vector512<float>.Zero;
            r20 = r21 = r22 = r23 = r30 = r31 = r32 = r33 = Vector512<float>.Zero;
        }

        float* a0 = a, a1 = a + rsA, a2 = a1 + rsA, a3 = a2 + rsA;
        for (var kk = 0; kk < k; kk++)
        {
            var bk = b.Row(kk);
            var b0 = Vector512.Load(bk);
            var b1 = Vector512.Load(bk + 16);
            var b2 = Vector512.Load(bk + 32);
            var b3 = Vector512.Load(bk + 48);
            var x = Vector512.Create(*a0);
            r00 = Vector512.FusedMultiplyAdd(x, b0, r00);
            r01 = Vector512.FusedMultiplyAdd(x, b1, r01);
            r02 = Vector512.FusedMultiplyAdd(x, b2, r02);
            r03 = Vector512.FusedMultiplyAdd(x, b3, r03);
            x = Vector512.Create(*a1);
            r10 = Vector512.FusedMultiplyAdd(x, b0, r10);
            r11 = Vector512.FusedMultiplyAdd(x, b1, r11);
            r12 = Vector512.FusedMultiplyAdd(x, b2, r12);
            r13 = Vector512.FusedMultiplyAdd(x, b3, r13);
            x = Vector512.Create(*a2);
            r20 = Vector512.FusedMultiplyAdd(x, b0, r20);
            r21 = Vector512.FusedMultiplyAdd(x, b1, r21);
            r22 = Vector512.FusedMultiplyAdd(x, b2, r22);
            r23 = Vector512.FusedMultiplyAdd(x, b3, r23);
            x = Vector512.Create(*a3);
            r30 = Vector512.FusedMultiplyAdd(x, b0, r30);
            r31 = Vector512.FusedMultiplyAdd(x, b1, r31);
            r32 = Vector512.FusedMultiplyAdd(x, b2, r32);
            r33 = Vector512.FusedMultiplyAdd(x, b3, r33);
            a0 += csA; a1 += csA; a2 += csA; a3 += csA;
        }

        r00.Store(c0); r01.Store(c0 + 16); r02.Store(c0 + 32); r03.Store(c0 + 48);
        r10.Store(c1); r11.Store(c1 + 16); r12.Store(c1 + 32); r13.Store(c1 + 48);
        r20.Store(c2); r21.Store(c2 + 16); r22.Store(c2 + 32); r23.Store(c2 + 48);
        r30.Store(c3); r31.Store(c3 + 16); r32.Store(c3 + 32); r33.Store(c3 + 48);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void K512x4x32<TRows>(int k, float* a, int rsA, int csA, TRows b, float* c, int ldc, bool acc)
        where TRows : struct, IRows<TRows>
    {
        float* c0 = c, c1 = c + ldc, c2 = c1 + ldc, c3 = c2 + ldc;
        Vector512<float> r00, r01, r10, r11, r20, r21, r30, r31;
        if (acc)
        {
            r00 = Vector512.Load(c0); r01 = Vector512.Load(c0 + 16);
            r10 = Vector512.Load(c1); r11 = Vector512.Load(c1 + 16);
            r20 = Vector512.Load(c2); r21 = Vector512.Load(c2 + 16);
            r30 = Vector512.Load(c3); r31 = Vector512.Load(c3 + 16);
        }
        else
        {
            r00 = r01 = r10 = r11 = r20 = r21 = r30 = r31 = Vector512<float>.Zero;
        }

        float* a0 = a, a1 = a + rsA, a2 = a1 + rsA, a3 = a2 + rsA;
        for (var kk = 0; kk < k; kk++)
        {
            var bk = b.Row(kk);
            var b0 = Vector512.Load(bk);
            var b1 = Vector512.Load(bk + 16);
            var x = Vector512.Create(*a0);
            r00 = Vector512.FusedMultiplyAdd(x, b0, r00);
            r01 = Vector512.FusedMultiplyAdd(x, b1, r01);
            x = Vector512.Create(*a1);
            r10 = Vector512.FusedMultiplyAdd(x, b0, r10);
            r11 = Vector512.FusedMultiplyAdd(x, b1, r11);
            x = Vector512.Create(*a2);
            r20 = Vector512.FusedMultiplyAdd(x, b0, r20);
            r21 = Vector512.FusedMultiplyAdd(x, b1, r21);
            x = Vector512.Create(*a3);
            r30 = Vector512.FusedMultiplyAdd(x, b0, r30);
            r31 = Vector512.FusedMultiplyAdd(x, b1, r31);
            a0 += csA; a1 += csA; a2 += csA; a3 += csA;
        }

        r00.Store(c0); r01.Store(c0 + 16);
        r10.Store(c1); r11.Store(c1 + 16);
        r20.Store(c2); r21.Store(c2 + 16);
        r30.Store(c3); r31.Store(c3 + 16);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void K512x1x64<TRows>(int k, float* a, int csA, TRows b, float* c, bool acc)
        where TRows : struct, IRows<TRows>
    {
        Vector512<float> r0, r1, r2, r3;
        if (acc)
        {
            r0 = Vector512.Load(c); r1 = Vector512.Load(c + 16); r2 = Vector512.Load(c + 32); r3 = Vector512.Load(c + 48);
        }
        else
        {
            r0 = r1 = r2 = r3 = Vector512<float>.Zero;
        }

        for (var kk = 0; kk < k; kk++)
        {
            var bk = b.Row(kk);
            var x = Vector512.Create(*a);
            r0 = Vector512.FusedMultiplyAdd(x, Vector512.Load(bk), r0);
            r1 = Vector512.FusedMultiplyAdd(x, Vector512.Load(bk + 16), r1);
            r2 = Vector512.FusedMultiplyAdd(x, Vector512.Load(bk + 32), r2);
            r3 = Vector512.FusedMultiplyAdd(x, Vector512.Load(bk + 48), r3);
            a += csA;
        }

        r0.Store(c); r1.Store(c + 16); r2.Store(c + 32); r3.Store(c + 48);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void K512x4x16<TRows>(int k, float* a, int rsA, int csA, TRows b, float* c, int ldc, bool acc)
        where TRows : struct, IRows<TRows>
    {
        // Two sets of accumulators (even and odd k) so that eight independent FMA chains hide the FMA latency.
        float* c0 = c, c1 = c + ldc, c2 = c1 + ldc, c3 = c2 + ldc;
        Vector512<float> r0, r1, r2, r3;
        if (acc)
        {
            r0 = Vector512.Load(c0); r1 = Vector512.Load(c1); r2 = Vector512.Load(c2); r3 = Vector512.Load(c3);
        }
        else
        {
            r0 = r1 = r2 = r3 = Vector512<float>.Zero;
        }

        Vector512<float> s0 = Vector512<float>.Zero, s1 = s0, s2 = s0, s3 = s0;
        float* a0 = a, a1 = a + rsA, a2 = a1 + rsA, a3 = a2 + rsA;
        var kk = 0;
        for (; kk + 2 <= k; kk += 2)
        {
            var bk = b.Row(kk);
            var bn = b.Row(kk + 1);
            var bv = Vector512.Load(bk);
            var bw = Vector512.Load(bn);
            r0 = Vector512.FusedMultiplyAdd(Vector512.Create(*a0), bv, r0);
            r1 = Vector512.FusedMultiplyAdd(Vector512.Create(*a1), bv, r1);
            r2 = Vector512.FusedMultiplyAdd(Vector512.Create(*a2), bv, r2);
            r3 = Vector512.FusedMultiplyAdd(Vector512.Create(*a3), bv, r3);
            s0 = Vector512.FusedMultiplyAdd(Vector512.Create(a0[csA]), bw, s0);
            s1 = Vector512.FusedMultiplyAdd(Vector512.Create(a1[csA]), bw, s1);
            s2 = Vector512.FusedMultiplyAdd(Vector512.Create(a2[csA]), bw, s2);
            s3 = Vector512.FusedMultiplyAdd(Vector512.Create(a3[csA]), bw, s3);
            a0 += 2 * csA; a1 += 2 * csA; a2 += 2 * csA; a3 += 2 * csA;
        }

        if (kk < k)
        {
            var bk = b.Row(kk);
            var bv = Vector512.Load(bk);
            r0 = Vector512.FusedMultiplyAdd(Vector512.Create(*a0), bv, r0);
            r1 = Vector512.FusedMultiplyAdd(Vector512.Create(*a1), bv, r1);
            r2 = Vector512.FusedMultiplyAdd(Vector512.Create(*a2), bv, r2);
            r3 = Vector512.FusedMultiplyAdd(Vector512.Create(*a3), bv, r3);
        }

        (r0 + s0).Store(c0); (r1 + s1).Store(c1); (r2 + s2).Store(c2); (r3 + s3).Store(c3);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void K512x1x16<TRows>(int k, float* a, int csA, TRows b, float* c, bool acc)
        where TRows : struct, IRows<TRows>
    {
        var r0 = acc ? Vector512.Load(c) : Vector512<float>.Zero;
        var r1 = Vector512<float>.Zero;
        var kk = 0;
        for (; kk + 2 <= k; kk += 2)
        {
            var bk = b.Row(kk);
            var bn = b.Row(kk + 1);
            r0 = Vector512.FusedMultiplyAdd(Vector512.Create(*a), Vector512.Load(bk), r0);
            r1 = Vector512.FusedMultiplyAdd(Vector512.Create(a[csA]), Vector512.Load(bn), r1);
            a += 2 * csA;
        }

        if (kk < k)
        {
            var bk = b.Row(kk);
            r0 = Vector512.FusedMultiplyAdd(Vector512.Create(*a), Vector512.Load(bk), r0);
        }

        (r0 + r1).Store(c);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void K256x4x16<TRows>(int k, float* a, int rsA, int csA, TRows b, float* c, int ldc, bool acc)
        where TRows : struct, IRows<TRows>
    {
        float* c0 = c, c1 = c + ldc, c2 = c1 + ldc, c3 = c2 + ldc;
        Vector256<float> r00, r01, r10, r11, r20, r21, r30, r31;
        if (acc)
        {
            r00 = Vector256.Load(c0); r01 = Vector256.Load(c0 + 8);
            r10 = Vector256.Load(c1); r11 = Vector256.Load(c1 + 8);
            r20 = Vector256.Load(c2); r21 = Vector256.Load(c2 + 8);
            r30 = Vector256.Load(c3); r31 = Vector256.Load(c3 + 8);
        }
        else
        {
            r00 = r01 = r10 = r11 = r20 = r21 = r30 = r31 = Vector256<float>.Zero;
        }

        float* a0 = a, a1 = a + rsA, a2 = a1 + rsA, a3 = a2 + rsA;
        for (var kk = 0; kk < k; kk++)
        {
            var bk = b.Row(kk);
            var b0 = Vector256.Load(bk);
            var b1 = Vector256.Load(bk + 8);
            var x = Vector256.Create(*a0);
            r00 = Vector256.FusedMultiplyAdd(x, b0, r00);
            r01 = Vector256.FusedMultiplyAdd(x, b1, r01);
            x = Vector256.Create(*a1);
            r10 = Vector256.FusedMultiplyAdd(x, b0, r10);
            r11 = Vector256.FusedMultiplyAdd(x, b1, r11);
            x = Vector256.Create(*a2);
            r20 = Vector256.FusedMultiplyAdd(x, b0, r20);
            r21 = Vector256.FusedMultiplyAdd(x, b1, r21);
            x = Vector256.Create(*a3);
            r30 = Vector256.FusedMultiplyAdd(x, b0, r30);
            r31 = Vector256.FusedMultiplyAdd(x, b1, r31);
            a0 += csA; a1 += csA; a2 += csA; a3 += csA;
        }

        r00.Store(c0); r01.Store(c0 + 8);
        r10.Store(c1); r11.Store(c1 + 8);
        r20.Store(c2); r21.Store(c2 + 8);
        r30.Store(c3); r31.Store(c3 + 8);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void K256x1x16<TRows>(int k, float* a, int csA, TRows b, float* c, bool acc)
        where TRows : struct, IRows<TRows>
    {
        Vector256<float> r0, r1;
        if (acc)
        {
            r0 = Vector256.Load(c); r1 = Vector256.Load(c + 8);
        }
        else
        {
            r0 = r1 = Vector256<float>.Zero;
        }

        for (var kk = 0; kk < k; kk++)
        {
            var bk = b.Row(kk);
            var x = Vector256.Create(*a);
            r0 = Vector256.FusedMultiplyAdd(x, Vector256.Load(bk), r0);
            r1 = Vector256.FusedMultiplyAdd(x, Vector256.Load(bk + 8), r1);
            a += csA;
        }

        r0.Store(c); r1.Store(c + 8);
    }
}

/// <summary>One product's blocks of rows, run as pieces on the worker pool; one instance per thread and kind of B.</summary>
/// <typeparam name="TRows">Where B's rows lie.</typeparam>
internal sealed unsafe class RowBlocks<TRows> : IPieceWork
    where TRows : struct, IRows<TRows>
{
    [ThreadStatic]
    internal static RowBlocks<TRows>? Job;

    private int _m, _n, _k, _rsA, _csA, _ldc, _rowsPerPiece;
    private float* _a;
    private float* _c;
    private TRows _b;
    private bool _accumulate;
    private GemmPath _path;

    public void Set(int m, int n, int k, float* a, int rsA, int csA, TRows b, float* c, int ldc, bool accumulate, GemmPath path, int rowsPerPiece)
    {
        _m = m;
        _n = n;
        _k = k;
        _a = a;
        _rsA = rsA;
        _csA = csA;
        _b = b;
        _c = c;
        _ldc = ldc;
        _accumulate = accumulate;
        _path = path;
        _rowsPerPiece = rowsPerPiece;
    }

    public void Run(int piece)
    {
        var row = piece * _rowsPerPiece;
        var rows = Math.Min(_rowsPerPiece, _m - row);
        Gemm.RunBlock(rows, _n, _k, _a + ((long)row * _rsA), _rsA, _csA, _b, _c + ((long)row * _ldc), _ldc, _accumulate, _path);
    }
}

/// <summary>Where the rows of a GEMM's B operand lie; a struct, so each kernel is compiled for one kind.</summary>
/// <typeparam name="TSelf">The implementing struct.</typeparam>
internal unsafe interface IRows<TSelf>
    where TSelf : struct, IRows<TSelf>
{
    /// <summary>The first float of row <paramref name="kk"/>.</summary>
    float* Row(int kk);

    /// <summary>The same rows, each starting <paramref name="columns"/> floats further right.</summary>
    TSelf Shift(int columns);
}

/// <summary>A row-major B: row kk at b + kk·ldb.</summary>
internal readonly unsafe struct StridedRows(float* b, int ldb) : IRows<StridedRows>
{
    private readonly float* _b = b;
    private readonly int _ldb = ldb;

    /// <inheritdoc/>
    public float* Row(int kk) => _b + ((long)kk * _ldb);

    /// <inheritdoc/>
    public StridedRows Shift(int columns) => new(_b + columns, _ldb);
}

/// <summary>An implicit B: row kk at b + offsets[kk] (rows may overlap, as the shifted planes of a convolution do).</summary>
internal readonly unsafe struct OffsetRows(float* b, int* offsets) : IRows<OffsetRows>
{
    private readonly float* _b = b;
    private readonly int* _offsets = offsets;

    /// <inheritdoc/>
    public float* Row(int kk) => _b + _offsets[kk];

    /// <inheritdoc/>
    public OffsetRows Shift(int columns) => new(_b + columns, _offsets);
}
