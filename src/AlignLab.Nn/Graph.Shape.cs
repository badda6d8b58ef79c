using System.Numerics.Tensors;

namespace AlignLab.Nn;

/// <content>Ops that move values without arithmetic: <see cref="Reshape"/>, <see cref="Flatten"/>, <see cref="Concat"/>.</content>
public sealed unsafe partial class Graph
{
    /// <summary>Copies x into a new shape with the same number of elements; one dimension may be -1 (inferred).</summary>
    /// <param name="x">The input.</param>
    /// <param name="shape">The new shape.</param>
    /// <returns>The reshaped value.</returns>
    public Var Reshape(Var x, ReadOnlySpan<int> shape)
    {
        Check(x, nameof(x));
        Span<int> resolved = stackalloc int[shape.Length];
        shape.CopyTo(resolved);
        var infer = -1;
        var known = 1;
        for (var i = 0; i < shape.Length; i++)
        {
            if (shape[i] == -1 && infer < 0)
            {
                infer = i;
            }
            else if (shape[i] <= 0)
            {
                throw ShapeError("Reshape", $"invalid target shape {Tensor.FormatShape(shape)}");
            }
            else
            {
                known *= shape[i];
            }
        }

        if (infer >= 0)
        {
            resolved[infer] = x.Value.Length / known;
        }

        if (infer >= 0 ? x.Value.Length % known != 0 : known != x.Value.Length)
        {
            throw ShapeError("Reshape", $"cannot view {Fmt(x)} ({x.Value.Length} elements) as {Tensor.FormatShape(shape)}");
        }

        var v = NewNode("Reshape", &ReshapeBackward, x.RequiresGrad);
        v.Input = x;
        var y = Output(v, resolved);
        x.Value.Values.CopyTo(W(y));
        return v;
    }

    /// <summary>dx += dy (same elements, same order).</summary>
    private static void ReshapeBackward(Var v, ReadOnlySpan<float> dy) => AddTo(dy, v.Input);

    /// <summary>Flattens every dimension after the first: [batch, ...] → [batch, rest].</summary>
    /// <param name="x">The input, rank at least 1.</param>
    /// <returns>The flattened value.</returns>
    public Var Flatten(Var x)
    {
        Check(x, nameof(x));
        if (x.Value.Rank < 1)
        {
            throw ShapeError("Flatten", "needs a tensor of rank at least 1, got a scalar");
        }

        return Reshape(x, [x.Shape[0], x.Value.Length / x.Shape[0]]);
    }

    /// <summary>Joins two tensors along <paramref name="axis"/>; all other dimensions must match.</summary>
    /// <param name="a">First part.</param>
    /// <param name="b">Second part.</param>
    /// <param name="axis">The axis to join along; negative counts from the end.</param>
    /// <returns>The concatenation.</returns>
    public Var Concat(Var a, Var b, int axis)
    {
        Check(a, nameof(a));
        Check(b, nameof(b));
        var rank = a.Value.Rank;
        var ax = axis < 0 ? axis + rank : axis;
        var ok = b.Value.Rank == rank && (uint)ax < (uint)rank;
        for (var i = 0; ok && i < rank; i++)
        {
            ok = i == ax || a.Shape[i] == b.Shape[i];
        }

        if (!ok)
        {
            throw ShapeError("Concat", $"cannot join {Fmt(a)} and {Fmt(b)} along axis {axis}");
        }

        Span<int> shape = stackalloc int[rank];
        a.Shape.CopyTo(shape);
        shape[ax] += b.Shape[ax];
        var v = NewNode("Concat", &ConcatBackward, a.RequiresGrad || b.RequiresGrad);
        v.Input = a;
        v.Other = b;
        v.Axis = ax;
        var y = W(Output(v, shape));
        ConcatShape(a.Value, b.Value, ax, out var outer, out var ia, out var ib);
        var av = a.Value.Values;
        var bv = b.Value.Values;
        for (var o = 0; o < outer; o++)
        {
            av.Slice(o * ia, ia).CopyTo(y.Slice(o * (ia + ib), ia));
            bv.Slice(o * ib, ib).CopyTo(y.Slice((o * (ia + ib)) + ia, ib));
        }

        return v;
    }

    /// <summary>da and db += their parts of dy.</summary>
    private static void ConcatBackward(Var v, ReadOnlySpan<float> dy)
    {
        var a = v.Input!;
        var b = v.Other!;
        ConcatShape(a.Value, b.Value, v.Axis, out var outer, out var ia, out var ib);
        var da = G(a);
        var dbv = G(b);
        for (var o = 0; o < outer; o++)
        {
            if (!da.IsEmpty)
            {
                var dst = da.Slice(o * ia, ia);
                TensorPrimitives.Add(dst, dy.Slice(o * (ia + ib), ia), dst);
            }

            if (!dbv.IsEmpty)
            {
                var dst = dbv.Slice(o * ib, ib);
                TensorPrimitives.Add(dst, dy.Slice((o * (ia + ib)) + ia, ib), dst);
            }
        }
    }

    /// <summary>Splits a and b into <paramref name="outer"/> blocks (the product of the dimensions before the axis) of ia and ib elements.</summary>
    private static void ConcatShape(Tensor a, Tensor b, int ax, out int outer, out int ia, out int ib)
    {
        outer = 1;
        for (var i = 0; i < ax; i++)
        {
            outer *= a.Shape[i];
        }

        ia = a.Length / outer;
        ib = b.Length / outer;
    }
}
