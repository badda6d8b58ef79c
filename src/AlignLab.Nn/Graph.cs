using System.Numerics.Tensors;

namespace AlignLab.Nn;

/// <summary>
/// A reverse-mode autodiff tape. Each op call appends a node and computes its value; <see cref="Backward"/>
/// then fills gradients in reverse order. Call <see cref="Reset"/> before each step: nodes and their buffers
/// are recycled by position, so replaying the same ops with the same shapes allocates nothing.
/// </summary>
/// <remarks>
/// A graph is not thread-safe. A <see cref="Var"/> is valid until the next <see cref="Reset"/>. This file
/// holds the tape itself; the ops live by family in the other parts (Graph.Linear.cs, Graph.Conv.cs,
/// Graph.Elementwise.cs, Graph.Shape.cs, Graph.Softmax.cs, Graph.Reductions.cs, Graph.Losses.cs), each op's
/// forward pass next to its backward pass.
/// </remarks>
public sealed unsafe partial class Graph
{
    private readonly List<Var> _nodes = [];
    private int _count;

    /// <summary>Gets the number of nodes recorded since the last <see cref="Reset"/>.</summary>
    public int Count => _count;

    /// <summary>Forgets all recorded nodes so that their buffers are reused by the next step.</summary>
    public void Reset() => _count = 0;

    /// <summary>Adds a leaf that refers to (does not copy) <paramref name="value"/>.</summary>
    /// <param name="value">The tensor; it must not change until the step's backward pass is done.</param>
    /// <param name="requiresGrad">Whether to compute the gradient with respect to this input.</param>
    /// <returns>The leaf node.</returns>
    public Var Input(Tensor value, bool requiresGrad = false)
    {
        ArgumentNullException.ThrowIfNull(value);
        var v = NewNode("Input", null, requiresGrad);
        v.ValueRef = value;
        if (requiresGrad)
        {
            SetGradBuffer(v, value.Shape);
        }

        return v;
    }

    /// <summary>Adds a leaf for a trainable parameter; its gradient accumulates into <see cref="Parameter.Grad"/>.</summary>
    /// <param name="parameter">The parameter.</param>
    /// <returns>The leaf node.</returns>
    public Var Param(Parameter parameter)
    {
        ArgumentNullException.ThrowIfNull(parameter);
        var v = NewNode("Param", null, true);
        v.Param = parameter;
        v.ValueRef = parameter.Value;
        v.GradRef = parameter.Grad;
        return v;
    }

    /// <summary>
    /// Back-propagates from a scalar <paramref name="loss"/>: clears the gradients of intermediate nodes, seeds
    /// d loss/d loss = 1 and accumulates gradients into every node and parameter it depends on. Parameter
    /// gradients accumulate (they are not cleared here).
    /// </summary>
    /// <param name="loss">A node with exactly one element, recorded on this graph.</param>
    public void Backward(Var loss)
    {
        Check(loss, nameof(loss));
        if (loss.Value.Length != 1)
        {
            throw new ArgumentException($"Backward needs a scalar loss, but the node has shape {Fmt(loss)}.", nameof(loss));
        }

        if (!loss.RequiresGrad)
        {
            throw new InvalidOperationException("The loss does not depend on any parameter or input that requires a gradient.");
        }

        for (var i = 0; i <= loss.Index; i++)
        {
            var n = _nodes[i];
            if (n.RequiresGrad && n.Param is null)
            {
                W(n.GradRef!).Clear();
            }
        }

        loss.GradRef!.Data[0] = 1f;
        for (var i = loss.Index; i >= 0; i--)
        {
            var n = _nodes[i];
            if (n.RequiresGrad && n.Backprop != null)
            {
                n.Backprop(n, n.GradRef!.Values);
            }
        }
    }

    /// <summary>The writable gradient of <paramref name="v"/>, or an empty span when no gradient flows into it.</summary>
    private static Span<float> G(Var? v) => v is { RequiresGrad: true } ? W(v.GradRef!) : default;

    /// <summary>Adds <paramref name="dy"/> into the gradient of <paramref name="target"/> if it needs one.</summary>
    private static void AddTo(ReadOnlySpan<float> dy, Var? target)
    {
        if (target is { RequiresGrad: true })
        {
            var g = W(target.GradRef!);
            TensorPrimitives.Add(g, dy, g);
        }
    }

    private static void RowsOf(Var x, string op, out int rows, out int n)
    {
        if (x.Value.Rank < 1)
        {
            throw ShapeError(op, "needs a tensor of rank at least 1, got a scalar");
        }

        n = x.Shape[^1];
        rows = x.Value.Length / n;
    }

    private static int[] CopyIndices(Var v, ReadOnlySpan<int> indices, int n, string op)
    {
        if (v.Indices.Length < indices.Length)
        {
            v.Indices = new int[indices.Length];
        }

        for (var i = 0; i < indices.Length; i++)
        {
            if ((uint)indices[i] >= (uint)n)
            {
                throw new ArgumentOutOfRangeException(nameof(indices), $"{op}: index {indices[i]} at row {i} is outside [0,{n}).");
            }

            v.Indices[i] = indices[i];
        }

        return v.Indices;
    }

    private static ArgumentException ShapeError(string op, string detail) => new($"{op}: shape mismatch: {detail}.");

    private static string Fmt(Var v) => Tensor.FormatShape(v.Shape);

    private static Span<float> W(Tensor t) => t.Data.AsSpan(0, t.Length);

    private static Tensor Output(Var v, ReadOnlySpan<int> shape)
    {
        if (v.OwnValue is null)
        {
            v.OwnValue = new Tensor(shape);
        }
        else
        {
            v.OwnValue.SetShape(shape);
        }

        v.ValueRef = v.OwnValue;
        if (v.RequiresGrad)
        {
            SetGradBuffer(v, shape);
        }
        else
        {
            v.GradRef = null;
        }

        return v.OwnValue;
    }

    private static void SetGradBuffer(Var v, ReadOnlySpan<int> shape)
    {
        if (v.OwnGrad is null)
        {
            v.OwnGrad = new Tensor(shape);
        }
        else
        {
            v.OwnGrad.SetShape(shape);
        }

        v.GradRef = v.OwnGrad;
    }

    /// <summary>Appends a node (recycling the one at this position) for the op <paramref name="name"/>.</summary>
    /// <param name="name">The op's name (a string literal).</param>
    /// <param name="backprop">The op's backward pass; null for a leaf.</param>
    /// <param name="requiresGrad">Whether a gradient flows into the node.</param>
    private Var NewNode(string name, delegate*<Var, ReadOnlySpan<float>, void> backprop, bool requiresGrad)
    {
        Var v;
        if (_count < _nodes.Count)
        {
            v = _nodes[_count];
        }
        else
        {
            v = new Var(this, _count);
            _nodes.Add(v);
        }

        _count++;
        v.OpName = name;
        v.Backprop = backprop;
        v.Input = v.Other = v.Weight = v.Bias = null;
        v.Param = null;
        v.RequiresGrad = requiresGrad;
        v.GradRef = null;
        return v;
    }

    private void Check(Var v, string name)
    {
        ArgumentNullException.ThrowIfNull(v, name);
        if (!ReferenceEquals(v.Owner, this))
        {
            throw new ArgumentException($"'{name}' belongs to a different graph.", name);
        }

        if (v.Index >= _count)
        {
            throw new ArgumentException($"'{name}' was recorded before the last Reset and is no longer valid.", name);
        }
    }

    /// <summary>Records a one-input op whose output has the input's shape.</summary>
    private Var Unary(string name, delegate*<Var, ReadOnlySpan<float>, void> backprop, Var x)
    {
        Check(x, nameof(x));
        var v = NewNode(name, backprop, x.RequiresGrad);
        v.Input = x;
        Output(v, x.Shape);
        return v;
    }

    /// <summary>Records a two-input op on operands of identical shape, with an output of that shape.</summary>
    private Var Binary(string name, delegate*<Var, ReadOnlySpan<float>, void> backprop, Var a, Var b)
    {
        Check(a, nameof(a));
        Check(b, nameof(b));
        if (!a.Value.HasShape(b.Shape))
        {
            throw ShapeError(name, $"operands must have identical shapes, got {Fmt(a)} and {Fmt(b)}");
        }

        var v = NewNode(name, backprop, a.RequiresGrad || b.RequiresGrad);
        v.Input = a;
        v.Other = b;
        Output(v, a.Shape);
        return v;
    }
}
