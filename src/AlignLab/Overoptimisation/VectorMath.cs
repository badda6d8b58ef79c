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
