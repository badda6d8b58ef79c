namespace AlignLab.Nn;

/// <summary>
/// A layer that passes its input through unchanged: the actor head of a network whose shared torso already
/// ends in the policy's logits (a value-iteration network's Q at the agent's cell).
/// </summary>
public sealed class Identity : Module
{
    /// <inheritdoc/>
    public override IReadOnlyList<Parameter> Parameters => [];

    /// <inheritdoc/>
    public override Var Forward(Graph graph, Var input)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(input);
        return input;
    }

    internal override int[] OutputShape(int[] inputShape) => inputShape;

    internal override void Infer(ReadOnlySpan<float> x, int batch, int[] inputShape, Span<float> y) => x.CopyTo(y);
}
