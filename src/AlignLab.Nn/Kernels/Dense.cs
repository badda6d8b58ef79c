namespace AlignLab.Nn.Kernels;

/// <summary>Fully connected layer kernels.</summary>
internal static class Dense
{
    /// <summary>
    /// y [batch, outF] = x [batch, inF] · W + bias, where W is given packed as Wᵀ [inF, ld] (see
    /// <see cref="Gemm.PackB"/>).
    /// </summary>
    internal static unsafe void Forward(
        ReadOnlySpan<float> x, int batch, int inF, ReadOnlySpan<float> packedWt, int ld, ReadOnlySpan<float> bias, int outF,
        Span<float> y)
    {
        var hasBias = !bias.IsEmpty;
        if (hasBias)
        {
            for (var b = 0; b < batch; b++)
            {
                bias[..outF].CopyTo(y.Slice(b * outF, outF));
            }
        }

        fixed (float* px = x, pw = packedWt, py = y)
        {
            Gemm.Run(batch, outF, inF, px, inF, 1, pw, ld, py, outF, hasBias, GemmPath.Auto);
        }
    }
}
