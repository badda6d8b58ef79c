using AlignLab.Nn.Kernels;

namespace AlignLab.Nn;

/// <summary>
/// A trainable tensor with its gradient. Gradients accumulate across <see cref="Graph.Backward"/> calls until
/// an optimiser's <see cref="Optimizer.ZeroGrad"/> clears them.
/// </summary>
public sealed class Parameter
{
    private float[] _packed = [];
    private int _packedVersion = -1;
    private Tensor? _packedFor;

    /// <summary>Creates a zero-valued parameter with the given name and shape.</summary>
    /// <param name="name">The name used in state dictionaries and safetensors files, e.g. <c>fc1.weight</c>.</param>
    /// <param name="shape">The shape of the value and gradient.</param>
    public Parameter(string name, params int[] shape)
    {
        ArgumentNullException.ThrowIfNull(name);
        Name = name;
        Value = new Tensor(shape);
        Grad = new Tensor(shape);
    }

    /// <summary>Gets the full name, e.g. <c>fc1.weight</c>; containers prefix it with the layer name.</summary>
    public string Name { get; internal set; }

    /// <summary>Gets the current value.</summary>
    public Tensor Value { get; }

    /// <summary>Gets the accumulated gradient of the loss with respect to <see cref="Value"/>.</summary>
    public Tensor Grad { get; }

    /// <summary>Gets the shape of the value.</summary>
    public ReadOnlySpan<int> Shape => Value.Shape;

    /// <summary>Returns the parameter's name and shape.</summary>
    /// <returns>A description such as <c>fc1.weight[64,75]</c>.</returns>
    public override string ToString() => Name + Tensor.FormatShape(Value.Shape);

    /// <summary>
    /// Returns this rank-2 [rows, cols] weight transposed and packed as [cols, pad16(rows)] for the GEMM kernel,
    /// rebuilt only when the value has changed since the last call.
    /// </summary>
    internal float[] PackedTranspose(out int ld)
    {
        var rows = Value.Shape[0];
        var cols = Value.Length / rows;
        ld = Gemm.PaddedWidth(rows);
        if (_packedVersion != Value.Version || !ReferenceEquals(_packedFor, Value))
        {
            if (_packed.Length < cols * ld)
            {
                _packed = new float[cols * ld];
            }

            Gemm.PackB(Value.Values, transB: true, cols, rows, _packed, ld);
            _packedVersion = Value.Version;
            _packedFor = Value;
        }

        return _packed;
    }
}
