using AlignLab.Nn.Kernels;

namespace AlignLab.Nn;

/// <summary>
/// The engine's matrix product on plain row-major arrays, for code outside the autodiff graph that needs it
/// (e.g. fitting linear probes on recorded activations). It runs the same vectorised kernel as the layers, so
/// the same operands give the same bits.
/// </summary>
public static class MatrixProduct
{
    /// <summary>
    /// C[m,n] = op(A)[m,k] · op(B)[k,n], or C += that when <paramref name="accumulate"/> is set. op(A) is A ([m,k])
    /// or, when <paramref name="transposeA"/> is set, Aᵀ with A stored as [k,m]; likewise B is [k,n] or, transposed,
    /// stored as [n,k].
    /// </summary>
    /// <exception cref="ArgumentException">An operand is smaller than the sizes require.</exception>
    public static void Multiply(
        int m, int n, int k, ReadOnlySpan<float> a, bool transposeA, ReadOnlySpan<float> b, bool transposeB, Span<float> c, bool accumulate = false)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(m);
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        Gemm.Multiply(m, n, k, a, transposeA, b, transposeB, c, accumulate);
    }
}
