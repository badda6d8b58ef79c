namespace AlignLab.Nn;

/// <summary>
/// A node on a <see cref="Graph"/>'s tape: a value and, when it depends on something that needs a gradient,
/// the gradient of the loss with respect to it. Nodes are recycled by <see cref="Graph.Reset"/>, so a
/// <see cref="Var"/> is valid only until the graph is reset.
/// </summary>
/// <remarks>
/// Each op stores what its backward pass needs in the fields named for it below; a field an op does not use
/// keeps whatever an earlier op at the same tape position left there (buffers are reused, never shrunk).
/// </remarks>
public sealed unsafe class Var
{
    /// <summary>The op's name, shown by <see cref="ToString"/> and in error messages (a string literal).</summary>
    internal string OpName = "";

    /// <summary>
    /// The op's backward pass, which adds this node's gradient (its second argument) into its operands'
    /// gradients; null for leaves (<see cref="Graph.Input"/>, <see cref="Graph.Param"/>). A pointer to a
    /// static method, set by the op that records the node: no allocation and one indirect call per node.
    /// </summary>
    internal delegate*<Var, ReadOnlySpan<float>, void> Backprop;

    /// <summary>The only or first operand: x of a one-input op or layer, a of a two-input op, the prediction or logits of a loss.</summary>
    internal Var? Input;

    /// <summary>The second operand: b of a two-input op (MatMul, Concat, Add, ...), the target of MseLoss/HuberLoss.</summary>
    internal Var? Other;

    /// <summary>The weight of Linear and Conv2d; w_R of ValueIterationSteps (whose w_V is <see cref="Other"/>).</summary>
    internal Var? Weight;

    /// <summary>The bias of Linear and Conv2d, or null when the layer has none.</summary>
    internal Var? Bias;

    /// <summary>The parameter a <see cref="Graph.Param"/> leaf stands for; null on every other node.</summary>
    internal Parameter? Param;

    /// <summary>The value buffer this node owns (reused across steps); null for leaves, which refer to their tensor.</summary>
    internal Tensor? OwnValue;

    /// <summary>The gradient buffer this node owns (reused across steps); a parameter's gradient lives in the parameter.</summary>
    internal Tensor? OwnGrad;

    /// <summary>The value: <see cref="OwnValue"/>, an input's tensor or a parameter's value.</summary>
    internal Tensor ValueRef;

    /// <summary>The gradient: <see cref="OwnGrad"/> or a parameter's gradient; null when no gradient flows here.</summary>
    internal Tensor? GradRef;

    /// <summary>Whether a gradient flows into this node.</summary>
    internal bool RequiresGrad;

    /// <summary>The constant factor of Scale.</summary>
    internal float Factor;

    /// <summary>The lower bound of Clamp.</summary>
    internal float Lower;

    /// <summary>The upper bound of Clamp.</summary>
    internal float Upper;

    /// <summary>The threshold δ of HuberLoss.</summary>
    internal float Delta;

    /// <summary>The axis Concat joins along (non-negative); the step count K of ValueIterationSteps.</summary>
    internal int Axis;

    /// <summary>Whether Conv2d applies a fused ReLU (its backward pass then masks dy by the output).</summary>
    internal bool FusedRelu;

    /// <summary>One index per row: the column Gather picks, the label of CrossEntropy.</summary>
    internal int[] Indices = [];

    /// <summary>Softmax probabilities per row, kept for the backward pass of LogSoftmax, CrossEntropy and Entropy.</summary>
    internal float[] Probs = [];

    /// <summary>Log-softmax values per row, kept for the backward pass of CrossEntropy and Entropy.</summary>
    internal float[] LogProbs = [];

    /// <summary>The difference prediction − target, kept for the backward pass of MseLoss and HuberLoss.</summary>
    internal float[] Diff = [];

    /// <summary>Linear's weight packed for the GEMM when the weight is not a parameter (a parameter caches its own).</summary>
    internal float[] PackedWeight = [];

    /// <summary>What ValueIterationSteps keeps for its backward pass: every V_k and the argmax action of every Q_k.</summary>
    internal float[] PlanSaved = [];

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
    public override string ToString() => OpName + Tensor.FormatShape(ValueRef.Shape);

    internal static float[] Ensure(ref float[] buffer, int length)
    {
        if (buffer.Length < length)
        {
            buffer = new float[length];
        }

        return buffer;
    }
}
