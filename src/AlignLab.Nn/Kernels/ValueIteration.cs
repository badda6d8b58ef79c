namespace AlignLab.Nn.Kernels;

/// <summary>
/// The two reductions of a value-iteration network, shared by the tape (<see cref="Graph.MaxChannels"/>,
/// <see cref="Graph.MaskedCellSum"/>) and tape-free inference (<see cref="ValueIterationNetwork"/>).
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
        for (var b = 0; b < batch; b++)
        {
            var m = mask.Slice(((b * maskChannels) + channel) * cells, cells);
            for (var a = 0; a < actions; a++)
            {
                var qa = q.Slice(((b * actions) + a) * cells, cells);
                double s = 0;
                for (var i = 0; i < cells; i++)
                {
                    if (m[i] != 0f)
                    {
                        s += (double)qa[i] * m[i];
                    }
                }

                y[(b * actions) + a] = (float)s;
            }
        }
    }
}
