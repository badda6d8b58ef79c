using AlignLab.Nn.Kernels;

namespace AlignLab.Nn;

/// <summary>
/// A 2-D convolution with stride 1 and zero padding k/2 (same height and width out as in), weight [O, C, k, k]
/// and bias [O] (PyTorch layout and names).
/// </summary>
public sealed class Conv2d : Module
{
    private readonly Parameter[] _parameters;

    /// <summary>Creates the layer with PyTorch's default initialisation: uniform in ±1/√(C·k·k).</summary>
    /// <param name="inChannels">Input channels C.</param>
    /// <param name="outChannels">Output channels O.</param>
    /// <param name="kernelSize">Odd kernel size k (1 or 3 for the intended uses).</param>
    /// <param name="rng">The seeded generator for the initial weights.</param>
    /// <param name="bias">Whether the layer has a bias.</param>
    public Conv2d(int inChannels, int outChannels, int kernelSize, Random rng, bool bias = true)
    {
        ArgumentNullException.ThrowIfNull(rng);
        ArgumentOutOfRangeException.ThrowIfLessThan(inChannels, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(outChannels, 1);
        if (kernelSize < 1 || kernelSize % 2 == 0)
        {
            throw new ArgumentOutOfRangeException(nameof(kernelSize), "The kernel size must be odd and positive (1 or 3).");
        }

        InChannels = inChannels;
        OutChannels = outChannels;
        KernelSize = kernelSize;
        Weight = new Parameter("weight", outChannels, inChannels, kernelSize, kernelSize);
        var bound = 1f / MathF.Sqrt(inChannels * kernelSize * kernelSize);
        Init.Uniform(Weight.Value, -bound, bound, rng);
        if (bias)
        {
            Bias = new Parameter("bias", outChannels);
            Init.Uniform(Bias.Value, -bound, bound, rng);
            _parameters = [Weight, Bias];
        }
        else
        {
            _parameters = [Weight];
        }
    }

    /// <summary>Gets the number of input channels.</summary>
    public int InChannels { get; }

    /// <summary>Gets the number of output channels.</summary>
    public int OutChannels { get; }

    /// <summary>Gets the kernel size k.</summary>
    public int KernelSize { get; }

    /// <summary>Gets the weight, [O, C, k, k].</summary>
    public Parameter Weight { get; }

    /// <summary>Gets the bias, [O], or null when the layer has none.</summary>
    public Parameter? Bias { get; }

    /// <inheritdoc/>
    public override IReadOnlyList<Parameter> Parameters => _parameters;

    /// <inheritdoc/>
    public override Var Forward(Graph graph, Var input) => Forward(graph, input, relu: false);

    /// <summary>Records the convolution, followed by a fused ReLU when <paramref name="relu"/> (see <see cref="Graph.Conv2d(Var, Var, Var?, bool)"/>).</summary>
    /// <param name="graph">The tape.</param>
    /// <param name="input">[batch, C, H, W].</param>
    /// <param name="relu">Whether a ReLU follows.</param>
    /// <returns>The output node, [batch, O, H, W].</returns>
    public Var Forward(Graph graph, Var input, bool relu)
    {
        ArgumentNullException.ThrowIfNull(graph);
        return graph.Conv2d(input, graph.Param(Weight), Bias is null ? null : graph.Param(Bias), relu);
    }

    internal override int[] OutputShape(int[] inputShape)
    {
        if (inputShape.Length != 3 || inputShape[0] != InChannels)
        {
            throw new ArgumentException($"Conv2d: shape mismatch: per-sample input {Tensor.FormatShape(inputShape)} is not [{InChannels},H,W].");
        }

        return [OutChannels, inputShape[1], inputShape[2]];
    }

    internal override void Infer(ReadOnlySpan<float> x, int batch, int[] inputShape, Span<float> y) => Infer(x, batch, inputShape, y, relu: false);

    /// <summary>Inference, followed by max(·, 0) when <paramref name="relu"/>.</summary>
    internal void Infer(ReadOnlySpan<float> x, int batch, int[] inputShape, Span<float> y, bool relu)
    {
        int h = inputShape[1], w = inputShape[2];
        Conv.Forward(x, batch, InChannels, h, w, Weight.Value.Values, OutChannels, KernelSize, Bias is null ? default : Bias.Value.Values, y, relu: relu);
    }
}
