using System.Numerics.Tensors;

namespace AlignLab.Nn;

/// <summary>The activation used between layers by the <see cref="Nets"/> builders.</summary>
public enum Activation
{
    /// <summary>max(x, 0).</summary>
    Relu,

    /// <summary>Hyperbolic tangent.</summary>
    Tanh,
}

/// <summary>The ReLU activation max(x, 0) as a layer.</summary>
public sealed class Relu : Module
{
    /// <inheritdoc/>
    public override IReadOnlyList<Parameter> Parameters => [];

    /// <inheritdoc/>
    public override Var Forward(Graph graph, Var input)
    {
        ArgumentNullException.ThrowIfNull(graph);
        return graph.Relu(input);
    }

    internal override int[] OutputShape(int[] inputShape) => inputShape;

    internal override void Infer(ReadOnlySpan<float> x, int batch, int[] inputShape, Span<float> y) =>
        AlignLab.Nn.Kernels.Vec.Relu(x, y[..x.Length]);
}

/// <summary>The tanh activation as a layer.</summary>
public sealed class Tanh : Module
{
    /// <inheritdoc/>
    public override IReadOnlyList<Parameter> Parameters => [];

    /// <inheritdoc/>
    public override Var Forward(Graph graph, Var input)
    {
        ArgumentNullException.ThrowIfNull(graph);
        return graph.Tanh(input);
    }

    internal override int[] OutputShape(int[] inputShape) => inputShape;

    internal override void Infer(ReadOnlySpan<float> x, int batch, int[] inputShape, Span<float> y) =>
        TensorPrimitives.Tanh(x, y[..x.Length]);
}

/// <summary>Flattens each sample to a vector: [batch, ...] → [batch, rest].</summary>
public sealed class Flatten : Module
{
    /// <inheritdoc/>
    public override IReadOnlyList<Parameter> Parameters => [];

    /// <inheritdoc/>
    public override Var Forward(Graph graph, Var input)
    {
        ArgumentNullException.ThrowIfNull(graph);
        return graph.Flatten(input);
    }

    internal override int[] OutputShape(int[] inputShape) => [Product(inputShape)];

    internal override void Infer(ReadOnlySpan<float> x, int batch, int[] inputShape, Span<float> y) => x.CopyTo(y);
}
