using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace AlignLab.Overoptimisation;

/// <summary>
/// Element-wise exp and log over arrays with the runtime's vectorised implementations (within
/// about one ulp of <see cref="Math.Exp"/> and <see cref="Math.Log(double)"/>), scalar for the tail or
/// where 256-bit vectors are not accelerated. Results are the same on every run of one machine;
/// machines with and without AVX2 may differ in the last bits.
/// </summary>
internal static class VectorMath
{
    /// <summary>The most negative argument <see cref="ExpNonPositive"/> takes (its 2^k stays normal).</summary>
    public const double MinExpArgument = -708;

    /// <summary>
    /// exp(x) lane-wise for x in [−708, 0] (outside it the result is wrong), inlined and branch-free
    /// for the soft value iteration's inner loop: x = k·ln 2 + r with k = round(x/ln 2) and
    /// |r| ≤ ln 2 / 2 (ln 2 in two parts, fused multiply-adds), e^r by its Taylor polynomial of
    /// degree 13 (truncation below 10^−17), times 2^k built in the exponent bits. Within 1 ulp of
    /// <see cref="Math.Exp"/> on every tested argument. Needs FMA and AVX2 for speed (correct without).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<double> ExpNonPositive(Vector256<double> x)
    {
        // Adding 1.5·2^52 rounds x/ln 2 to an integer k held in the low bits.
        var shifter = Vector256.Create(6755399441055744.0);
        var t = Vector256.FusedMultiplyAdd(x, Vector256.Create(1.4426950408889634), shifter);
        var k = t - shifter;
        var r = Vector256.FusedMultiplyAdd(k, Vector256.Create(-6.93147180369123816490e-01), x);
        r = Vector256.FusedMultiplyAdd(k, Vector256.Create(-1.90821492927058770002e-10), r);
        var p = Vector256.Create(1.0 / 6227020800.0);
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(1.0 / 479001600.0));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(1.0 / 39916800.0));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(1.0 / 3628800.0));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(1.0 / 362880.0));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(1.0 / 40320.0));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(1.0 / 5040.0));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(1.0 / 720.0));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(1.0 / 120.0));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(1.0 / 24.0));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(1.0 / 6.0));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(0.5));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256<double>.One);
        p = Vector256.FusedMultiplyAdd(p, r, Vector256<double>.One);

        // 2^k: k + 1023 in the exponent field (k ≥ −1021 here, so 2^k is normal).
        var scale = (t.AsUInt64() - shifter.AsUInt64() + Vector256.Create(1023UL)) << 52;
        return p * scale.AsDouble();
    }

    /// <summary>destination[i] = exp(source[i]); the two may be the same array.</summary>
    public static void Exp(ReadOnlySpan<double> source, Span<double> destination)
    {
        var i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var from = MemoryMarshal.Cast<double, Vector256<double>>(source);
            var to = MemoryMarshal.Cast<double, Vector256<double>>(destination);
            for (var j = 0; j < from.Length; j++)
            {
                to[j] = Vector256.Exp(from[j]);
            }

            i = from.Length * Vector256<double>.Count;
        }

        for (; i < source.Length; i++)
        {
            destination[i] = Math.Exp(source[i]);
        }
    }

    /// <summary>destination[i] = log(source[i]); the two may be the same array.</summary>
    public static void Log(ReadOnlySpan<double> source, Span<double> destination)
    {
        var i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var from = MemoryMarshal.Cast<double, Vector256<double>>(source);
            var to = MemoryMarshal.Cast<double, Vector256<double>>(destination);
            for (var j = 0; j < from.Length; j++)
            {
                to[j] = Vector256.Log(from[j]);
            }

            i = from.Length * Vector256<double>.Count;
        }

        for (; i < source.Length; i++)
        {
            destination[i] = Math.Log(source[i]);
        }
    }
}
