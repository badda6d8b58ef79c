using System.Numerics.Tensors;

namespace AlignLab.Nn;

/// <content>
/// Ops that reduce a tensor: to a scalar (<see cref="Sum"/>, <see cref="Mean"/>), along the last axis
/// (<see cref="SumLastAxis"/>) or to one picked element per row (<see cref="Gather"/>).
/// </content>
public sealed unsafe partial class Graph
{
    /// <summary>Sum of all elements → scalar.</summary>
    /// <param name="x">The input.</param>
    /// <returns>A scalar (shape []).</returns>
    public Var Sum(Var x)
    {
        var v = ToScalar("Sum", &SumBackward, x);
        v.ValueRef.Data[0] = TensorPrimitives.Sum(x.Value.Values);
        return v;
    }

    /// <summary>dx += dy.</summary>
    private static void SumBackward(Var v, ReadOnlySpan<float> dy)
    {
        var dx = G(v.Input);
        TensorPrimitives.Add(dx, dy[0], dx);
    }

    /// <summary>Mean of all elements → scalar.</summary>
    /// <param name="x">The input.</param>
    /// <returns>A scalar (shape []).</returns>
    public Var Mean(Var x)
    {
        var v = ToScalar("Mean", &MeanBackward, x);
        v.ValueRef.Data[0] = TensorPrimitives.Sum(x.Value.Values) / x.Value.Length;
        return v;
    }

    /// <summary>dx += dy / the number of elements.</summary>
    private static void MeanBackward(Var v, ReadOnlySpan<float> dy)
    {
        var dx = G(v.Input);
        TensorPrimitives.Add(dx, dy[0] / v.Input!.Value.Length, dx);
    }

    /// <summary>Sum along the last axis: [..., n] → [...].</summary>
    /// <param name="x">The input, rank at least 1.</param>
    /// <returns>The row sums.</returns>
    public Var SumLastAxis(Var x)
    {
        Check(x, nameof(x));
        if (x.Value.Rank < 1)
        {
            throw ShapeError("SumLastAxis", "needs a tensor of rank at least 1, got a scalar");
        }

        var v = NewNode("SumLastAxis", &SumLastAxisBackward, x.RequiresGrad);
        v.Input = x;
        var y = W(Output(v, x.Shape[..^1]));
        RowsOf(x, "SumLastAxis", out var rows, out var n);
        var xv = x.Value.Values;
        for (var r = 0; r < rows; r++)
        {
            y[r] = TensorPrimitives.Sum(xv.Slice(r * n, n));
        }

        return v;
    }

    /// <summary>Each element of row r of dx += dy[r].</summary>
    private static void SumLastAxisBackward(Var v, ReadOnlySpan<float> dy)
    {
        RowsOf(v.Input!, "SumLastAxis", out var rows, out var n);
        var dx = G(v.Input);
        for (var r = 0; r < rows; r++)
        {
            var dxr = dx.Slice(r * n, n);
            TensorPrimitives.Add(dxr, dy[r], dxr);
        }
    }

    /// <summary>Picks x[b, indices[b]] from each row of x [batch, n] → [batch] (e.g. the log-probability of the taken action).</summary>
    /// <param name="x">The input, [batch, n].</param>
    /// <param name="indices">One index per row, each in [0, n).</param>
    /// <returns>The picked values, [batch].</returns>
    public Var Gather(Var x, ReadOnlySpan<int> indices)
    {
        Check(x, nameof(x));
        if (x.Value.Rank != 2 || indices.Length != x.Shape[0])
        {
            throw ShapeError("Gather", $"needs x [batch,n] and one index per row, got x {Fmt(x)} and {indices.Length} indices");
        }

        int batch = x.Shape[0], n = x.Shape[1];
        var v = NewNode("Gather", &GatherBackward, x.RequiresGrad);
        v.Input = x;
        var idx = CopyIndices(v, indices, n, "Gather");
        var y = W(Output(v, [batch]));
        var xv = x.Value.Values;
        for (var b = 0; b < batch; b++)
        {
            y[b] = xv[(b * n) + idx[b]];
        }

        return v;
    }

    /// <summary>dx[b, indices[b]] += dy[b].</summary>
    private static void GatherBackward(Var v, ReadOnlySpan<float> dy)
    {
        var n = v.Input!.Shape[1];
        var dx = G(v.Input);
        for (var b = 0; b < dy.Length; b++)
        {
            dx[(b * n) + v.Indices[b]] += dy[b];
        }
    }

    /// <summary>Records a one-input op with a scalar output.</summary>
    private Var ToScalar(string name, delegate*<Var, ReadOnlySpan<float>, void> backprop, Var x)
    {
        Check(x, nameof(x));
        var v = NewNode(name, backprop, x.RequiresGrad);
        v.Input = x;
        Output(v, []);
        return v;
    }
}
