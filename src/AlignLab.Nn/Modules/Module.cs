namespace AlignLab.Nn;

/// <summary>
/// A network layer or container. <see cref="Forward"/> records the layer on a <see cref="Graph"/> for training;
/// containers such as <see cref="Sequential"/> also offer a tape-free inference path.
/// </summary>
public abstract class Module
{
    private protected Module()
    {
    }

    /// <summary>Gets the trainable parameters of this module and its children, in a fixed order.</summary>
    public abstract IReadOnlyList<Parameter> Parameters { get; }

    /// <summary>Records this module's computation on <paramref name="graph"/>.</summary>
    /// <param name="graph">The tape to record on.</param>
    /// <param name="input">The input node, batch first.</param>
    /// <returns>The output node.</returns>
    public abstract Var Forward(Graph graph, Var input);

    /// <summary>Returns the per-sample output shape for the per-sample input shape (the batch dimension excluded).</summary>
    internal abstract int[] OutputShape(int[] inputShape);

    /// <summary>Computes the output for <paramref name="batch"/> samples of shape <paramref name="inputShape"/> without a tape.</summary>
    internal abstract void Infer(ReadOnlySpan<float> x, int batch, int[] inputShape, Span<float> y);

    /// <summary>Gives every parameter its full dotted name under <paramref name="prefix"/>.</summary>
    internal virtual void AssignNames(string prefix)
    {
        foreach (var p in Parameters)
        {
            var local = p.Name;
            var dot = local.LastIndexOf('.');
            if (dot >= 0)
            {
                local = local[(dot + 1)..];
            }

            p.Name = prefix.Length == 0 ? local : prefix + "." + local;
        }
    }

    internal static int Product(int[] shape)
    {
        var n = 1;
        foreach (var d in shape)
        {
            n *= d;
        }

        return n;
    }
}
