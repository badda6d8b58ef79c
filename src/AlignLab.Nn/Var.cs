namespace AlignLab.Nn;

/// <summary>The operation that produced a <see cref="Var"/>.</summary>
internal enum OpKind
{
    Input,
    Param,
    MatMul,
    Linear,
    Conv2d,
    Relu,
    Tanh,
    Exp,
    Add,
    Sub,
    Mul,
    Min,
    Clamp,
    Scale,
    Reshape,
    Concat,
    Softmax,
    LogSoftmax,
    Sum,
    Mean,
    SumLastAxis,
    Gather,
    Mse,
    Huber,
    CrossEntropy,
    Entropy,
}

/// <summary>
/// A node on a <see cref="Graph"/>'s tape: a value and, when it depends on something that needs a gradient,
/// the gradient of the loss with respect to it. Nodes are recycled by <see cref="Graph.Reset"/>, so a
/// <see cref="Var"/> is valid only until the graph is reset.
/// </summary>
public sealed class Var
{
    internal OpKind Op;
    internal Var? A;
    internal Var? B;
    internal Var? C;
    internal Parameter? Param;
    internal Tensor? Own;
    internal Tensor? OwnGrad;
    internal Tensor ValueRef;
    internal Tensor? GradRef;
    internal bool RequiresGrad;
    internal float F0;
    internal float F1;
    internal int I0;
    internal float[] Aux = [];
    internal float[] Aux2 = [];
    internal int[] Idx = [];

    internal Var(Graph owner, int index)
    {
        Owner = owner;
        Index = index;
        ValueRef = Empty;
    }

    /// <summary>Gets the value computed by the forward pass.</summary>
    public Tensor Value => ValueRef;

    /// <summary>Gets the gradient after <see cref="Graph.Backward"/>, or null when this node needs no gradient.</summary>
    public Tensor? Grad => RequiresGrad ? GradRef : null;

    /// <summary>Gets the shape of the value.</summary>
    public ReadOnlySpan<int> Shape => ValueRef.Shape;

    /// <summary>Gets whether a gradient flows into this node.</summary>
    public bool RequiresGradient => RequiresGrad;

    internal Graph Owner { get; }

    internal int Index { get; }

    private static Tensor Empty { get; } = new(1);

    /// <summary>Returns the operation and shape, e.g. <c>Linear[64,5]</c>.</summary>
    /// <returns>The description.</returns>
    public override string ToString() => Op + Tensor.FormatShape(ValueRef.Shape);

    internal static float[] Ensure(ref float[] buffer, int length)
    {
        if (buffer.Length < length)
        {
            buffer = new float[length];
        }

        return buffer;
    }
}
