using System.Numerics;
using System.Runtime.InteropServices;

namespace AlignLab.Nn.Kernels;

/// <summary>Elementwise backward kernels that TensorPrimitives has no single call for.</summary>
internal static class Vec
{
    /// <summary>y = max(x, 0).</summary>
    internal static void Relu(ReadOnlySpan<float> x, Span<float> y)
    {
        var vx = MemoryMarshal.Cast<float, Vector<float>>(x);
        var vy = MemoryMarshal.Cast<float, Vector<float>>(y);
        var n = Math.Min(vx.Length, vy.Length);
        for (var i = 0; i < n; i++)
        {
            vy[i] = Vector.Max(vx[i], Vector<float>.Zero);
        }

        for (var i = n * Vector<float>.Count; i < x.Length; i++)
        {
            y[i] = x[i] > 0f ? x[i] : 0f;
        }
    }

    /// <summary>dx += dy where y &gt; 0.</summary>
    internal static void ReluBackward(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx)
    {
        var vy = MemoryMarshal.Cast<float, Vector<float>>(y);
        var vdy = MemoryMarshal.Cast<float, Vector<float>>(dy);
        var vdx = MemoryMarshal.Cast<float, Vector<float>>(dx);
        var n = Math.Min(vy.Length, Math.Min(vdy.Length, vdx.Length));
        for (var i = 0; i < n; i++)
        {
            vdx[i] += Vector.ConditionalSelect(Vector.GreaterThan(vy[i], Vector<float>.Zero), vdy[i], Vector<float>.Zero);
        }

        for (var i = n * Vector<float>.Count; i < dx.Length; i++)
        {
            if (y[i] > 0f)
            {
                dx[i] += dy[i];
            }
        }
    }

    /// <summary>dx += dy · (1 − y²).</summary>
    internal static void TanhBackward(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx)
    {
        var vy = MemoryMarshal.Cast<float, Vector<float>>(y);
        var vdy = MemoryMarshal.Cast<float, Vector<float>>(dy);
        var vdx = MemoryMarshal.Cast<float, Vector<float>>(dx);
        var n = Math.Min(vy.Length, Math.Min(vdy.Length, vdx.Length));
        for (var i = 0; i < n; i++)
        {
            vdx[i] += vdy[i] * (Vector<float>.One - (vy[i] * vy[i]));
        }

        for (var i = n * Vector<float>.Count; i < dx.Length; i++)
        {
            dx[i] += dy[i] * (1f - (y[i] * y[i]));
        }
    }

    /// <summary>dx += dy where lo ≤ x ≤ hi.</summary>
    internal static void ClampBackward(ReadOnlySpan<float> x, float lo, float hi, ReadOnlySpan<float> dy, Span<float> dx)
    {
        for (var i = 0; i < dx.Length; i++)
        {
            var xi = x[i];
            if (xi >= lo && xi <= hi)
            {
                dx[i] += dy[i];
            }
        }
    }

    /// <summary>Routes dy to da where a ≤ b and to db elsewhere (either may be empty when it needs no gradient).</summary>
    internal static void MinBackward(ReadOnlySpan<float> a, ReadOnlySpan<float> b, ReadOnlySpan<float> dy, Span<float> da, Span<float> db)
    {
        for (var i = 0; i < dy.Length; i++)
        {
            if (a[i] <= b[i])
            {
                if (!da.IsEmpty)
                {
                    da[i] += dy[i];
                }
            }
            else if (!db.IsEmpty)
            {
                db[i] += dy[i];
            }
        }
    }

    /// <summary>
    /// Routes dy to da where a ≥ b and to db elsewhere (either may be empty when it needs no gradient): the routing
    /// of −min(−a, −b), so ties go to a as in <see cref="MinBackward"/>.
    /// </summary>
    internal static void MaxBackward(ReadOnlySpan<float> a, ReadOnlySpan<float> b, ReadOnlySpan<float> dy, Span<float> da, Span<float> db)
    {
        for (var i = 0; i < dy.Length; i++)
        {
            if (a[i] >= b[i])
            {
                if (!da.IsEmpty)
                {
                    da[i] += dy[i];
                }
            }
            else if (!db.IsEmpty)
            {
                db[i] += dy[i];
            }
        }
    }
}
