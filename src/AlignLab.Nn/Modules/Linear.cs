using AlignLab.Nn.Kernels;

namespace AlignLab.Nn;

/// <summary>A fully connected layer y = x·Wᵀ + b with weight [out, in] and bias [out] (PyTorch layout and names).</summary>
public sealed class Linear : Module
{
    private readonly Parameter[] _parameters;

    /// <summary>
    /// Creates the layer with PyTorch's default initialisation: weight and bias uniform in ±1/√in.
    /// </summary>
    /// <param name="inFeatures">Input size.</param>
    /// <param name="outFeatures">Output size.</param>
    /// <param name="rng">The seeded generator for the initial weights.</param>
    /// <param name="bias">Whether the layer has a bias.</param>
    public Linear(int inFeatures, int outFeatures, Random rng, bool bias = true)
    {
        ArgumentNullException.ThrowIfNull(rng);
        ArgumentOutOfRangeException.ThrowIfLessThan(inFeatures, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(outFeatures, 1);
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        Weight = new Parameter("weight", outFeatures, inFeatures);
        var bound = 1f / MathF.Sqrt(inFeatures);
        Init.Uniform(Weight.Value, -bound, bound, rng);
        if (bias)
        {
            Bias = new Parameter("bias", outFeatures);
            Init.Uniform(Bias.Value, -bound, bound, rng);
            _parameters = [Weight, Bias];
        }
        else
        {
            _parameters = [Weight];
        }
    }

    /// <summary>Gets the input size.</summary>
    public int InFeatures { get; }

    /// <summary>Gets the output size.</summary>
    public int OutFeatures { get; }

    /// <summary>Gets the weight, [out, in].</summary>
    public Parameter Weight { get; }

    /// <summary>Gets the bias, [out], or null when the layer has none.</summary>
    public Parameter? Bias { get; }

    /// <inheritdoc/>
    public override IReadOnlyList<Parameter> Parameters => _parameters;

    /// <inheritdoc/>
    public override Var Forward(Graph graph, Var input)
    {
        ArgumentNullException.ThrowIfNull(graph);
        return graph.Linear(input, graph.Param(Weight), Bias is null ? null : graph.Param(Bias));
    }

    internal override int[] OutputShape(int[] inputShape)
    {
        if (Product(inputShape) != InFeatures)
        {
            throw new ArgumentException($"Linear: shape mismatch: per-sample input {Tensor.FormatShape(inputShape)} does not have {InFeatures} features.");
        }

        return [OutFeatures];
    }

    internal override void Infer(ReadOnlySpan<float> x, int batch, int[] inputShape, Span<float> y)
    {
        var packed = Weight.PackedTranspose(out var ld);
        Dense.Forward(x, batch, InFeatures, packed, ld, Bias is null ? default : Bias.Value.Values, OutFeatures, y);
    }
}
