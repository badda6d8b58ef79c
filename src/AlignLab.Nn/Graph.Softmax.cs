using System.Numerics.Tensors;

namespace AlignLab.Nn;

/// <content>Normalisations along the last axis: <see cref="Softmax"/> and <see cref="LogSoftmax"/> (whose rows the losses share).</content>
public sealed unsafe partial class Graph
{
    /// <summary>Softmax along the last axis.</summary>
    /// <param name="x">The logits.</param>
    /// <returns>Probabilities, same shape.</returns>
    public Var Softmax(Var x)
    {
        var v = Unary("Softmax", &SoftmaxBackward, x);
        RowsOf(x, "Softmax", out var rows, out var n);
        var xv = x.Value.Values;
        var y = W(v.ValueRef);
        for (var r = 0; r < rows; r++)
        {
            TensorPrimitives.SoftMax(xv.Slice(r * n, n), y.Slice(r * n, n));
        }

        return v;
    }

    /// <summary>dx += y ⊙ (dy − ⟨y, dy⟩) per row.</summary>
    private static void SoftmaxBackward(Var v, ReadOnlySpan<float> dy)
    {
        RowsOf(v, "Softmax", out var rows, out var n);
        var y = v.ValueRef.Values;
        var dx = G(v.Input);
        for (var r = 0; r < rows; r++)
        {
            var yr = y.Slice(r * n, n);
            var gr = dy.Slice(r * n, n);
            var dot = TensorPrimitives.Dot(yr, gr);
            var dxr = dx.Slice(r * n, n);
            for (var j = 0; j < n; j++)
            {
                dxr[j] += yr[j] * (gr[j] - dot);
            }
        }
    }

    /// <summary>Log-softmax along the last axis (numerically stable).</summary>
    /// <param name="x">The logits.</param>
    /// <returns>Log-probabilities, same shape.</returns>
    public Var LogSoftmax(Var x)
    {
        var v = Unary("LogSoftmax", &LogSoftmaxBackward, x);
        RowsOf(x, "LogSoftmax", out var rows, out var n);
        var probs = Var.Ensure(ref v.Probs, rows * n);
        LogSoftmaxRows(x.Value.Values, rows, n, W(v.ValueRef), probs);
        return v;
    }

    /// <summary>dx += dy − p · Σ dy per row, with p the softmax kept by the forward pass.</summary>
    private static void LogSoftmaxBackward(Var v, ReadOnlySpan<float> dy)
    {
        RowsOf(v, "LogSoftmax", out var rows, out var n);
        var p = v.Probs.AsSpan(0, rows * n);
        var dx = G(v.Input);
        for (var r = 0; r < rows; r++)
        {
            var gr = dy.Slice(r * n, n);
            var sum = TensorPrimitives.Sum(gr);
            var pr = p.Slice(r * n, n);
            var dxr = dx.Slice(r * n, n);
            for (var j = 0; j < n; j++)
            {
                dxr[j] += gr[j] - (pr[j] * sum);
            }
        }
    }

    /// <summary>Per row of n: logp = x − max − log Σ exp(x − max) and probs = exp(x − max) / Σ.</summary>
    private static void LogSoftmaxRows(ReadOnlySpan<float> x, int rows, int n, Span<float> logp, Span<float> probs)
    {
        for (var r = 0; r < rows; r++)
        {
            var xr = x.Slice(r * n, n);
            var lr = logp.Slice(r * n, n);
            var pr = probs.Slice(r * n, n);
            var max = TensorPrimitives.Max(xr);
            TensorPrimitives.Subtract(xr, max, lr);
            TensorPrimitives.Exp(lr, pr);
            var sum = TensorPrimitives.Sum(pr);
            TensorPrimitives.Subtract(lr, MathF.Log(sum), lr);
            TensorPrimitives.Multiply(pr, 1f / sum, pr);
        }
    }
}
