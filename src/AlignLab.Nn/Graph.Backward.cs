using System.Numerics.Tensors;
using AlignLab.Nn.Kernels;

namespace AlignLab.Nn;

/// <content>The backward pass.</content>
public sealed partial class Graph
{
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
            if (n.RequiresGrad && n.Op != OpKind.Param)
            {
                W(n.GradRef!).Clear();
            }
        }

        loss.GradRef!.Data[0] = 1f;
        for (var i = loss.Index; i >= 0; i--)
        {
            var n = _nodes[i];
            if (n.RequiresGrad && n.Op is not (OpKind.Input or OpKind.Param))
            {
                BackwardNode(n);
            }
        }
    }

    private static Span<float> G(Var? v) => v is { RequiresGrad: true } ? W(v.GradRef!) : default;

    private static void BackwardNode(Var v)
    {
        var dy = v.GradRef!.Values;
        var a = v.A!;
        switch (v.Op)
        {
            case OpKind.MatMul:
                BackMatMul(v, dy);
                break;
            case OpKind.Linear:
                BackLinear(v, dy);
                break;
            case OpKind.Conv2d:
                BackConv(v, dy);
                break;
            case OpKind.Relu:
                Vec.ReluBackward(v.ValueRef.Values, dy, G(a));
                break;
            case OpKind.Tanh:
                Vec.TanhBackward(v.ValueRef.Values, dy, G(a));
                break;
            case OpKind.Exp:
                TensorPrimitives.MultiplyAdd(dy, v.ValueRef.Values, G(a), G(a));
                break;
            case OpKind.Clamp:
                Vec.ClampBackward(a.Value.Values, v.F0, v.F1, dy, G(a));
                break;
            case OpKind.Scale:
                TensorPrimitives.MultiplyAdd(dy, v.F0, G(a), G(a));
                break;
            case OpKind.Add:
                AddTo(dy, v.A);
                AddTo(dy, v.B);
                break;
            case OpKind.Sub:
                AddTo(dy, v.A);
                if (v.B!.RequiresGrad)
                {
                    TensorPrimitives.Subtract(G(v.B), dy, G(v.B));
                }

                break;
            case OpKind.Mul:
                if (a.RequiresGrad)
                {
                    TensorPrimitives.MultiplyAdd(dy, v.B!.Value.Values, G(a), G(a));
                }

                if (v.B!.RequiresGrad)
                {
                    TensorPrimitives.MultiplyAdd(dy, a.Value.Values, G(v.B), G(v.B));
                }

                break;
            case OpKind.Min:
                Vec.MinBackward(a.Value.Values, v.B!.Value.Values, dy, G(a), G(v.B));
                break;
            case OpKind.Reshape:
                AddTo(dy, a);
                break;
            case OpKind.Concat:
                BackConcat(v, dy);
                break;
            case OpKind.Softmax:
                BackSoftmax(v, dy);
                break;
            case OpKind.LogSoftmax:
                BackLogSoftmax(v, dy);
                break;
            case OpKind.Sum:
                TensorPrimitives.Add(G(a), dy[0], G(a));
                break;
            case OpKind.Mean:
                TensorPrimitives.Add(G(a), dy[0] / a.Value.Length, G(a));
                break;
            case OpKind.SumLastAxis:
                BackSumLast(v, dy);
                break;
            case OpKind.Gather:
                BackGather(v, dy);
                break;
            case OpKind.Mse:
                BackMse(v, dy[0]);
                break;
            case OpKind.Huber:
                BackHuber(v, dy[0]);
                break;
            case OpKind.CrossEntropy:
                BackCrossEntropy(v, dy[0]);
                break;
            case OpKind.Entropy:
                BackEntropy(v, dy[0]);
                break;
            default:
                throw new InvalidOperationException($"No backward rule for {v.Op}.");
        }
    }

    private static void AddTo(ReadOnlySpan<float> dy, Var? target)
    {
        if (target is { RequiresGrad: true })
        {
            var g = W(target.GradRef!);
            TensorPrimitives.Add(g, dy, g);
        }
    }

    private static void BackMatMul(Var v, ReadOnlySpan<float> dy)
    {
        var a = v.A!;
        var b = v.B!;
        int m = a.Shape[0], k = a.Shape[1], n = b.Shape[1];
        if (a.RequiresGrad)
        {
            Gemm.Multiply(m, k, n, dy, false, b.Value.Values, true, G(a), true);
        }

        if (b.RequiresGrad)
        {
            Gemm.Multiply(k, n, m, a.Value.Values, true, dy, false, G(b), true);
        }
    }

    private static void BackLinear(Var v, ReadOnlySpan<float> dy)
    {
        var x = v.A!;
        var w = v.B!;
        int batch = x.Shape[0], inF = x.Shape[1], outF = w.Shape[0];
        if (x.RequiresGrad)
        {
            Gemm.Multiply(batch, inF, outF, dy, false, w.Value.Values, false, G(x), true);
        }

        if (w.RequiresGrad)
        {
            Gemm.Multiply(outF, inF, batch, dy, true, x.Value.Values, false, G(w), true);
        }

        if (v.C is { RequiresGrad: true })
        {
            var db = G(v.C);
            for (var b = 0; b < batch; b++)
            {
                TensorPrimitives.Add(db, dy.Slice(b * outF, outF), db);
            }
        }
    }

    private static void BackConv(Var v, ReadOnlySpan<float> dy)
    {
        var x = v.A!;
        var w = v.B!;
        int batch = x.Shape[0], c = x.Shape[1], h = x.Shape[2], wd = x.Shape[3];
        int o = w.Shape[0], k = w.Shape[2];
        var scratch = Var.Ensure(ref v.Aux2, Conv.BackwardScratch(batch, c, h, wd, k, o));
        Conv.Backward(x.Value.Values, dy, batch, c, h, wd, w.Value.Values, o, k, G(x), G(w), G(v.C), scratch, v.I0 == 1 ? v.ValueRef.Values : default);
    }

    private static void BackConcat(Var v, ReadOnlySpan<float> dy)
    {
        var a = v.A!;
        var b = v.B!;
        ConcatShape(a.Value, b.Value, v.I0, out var outer, out var ia, out var ib);
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

    private static void BackSoftmax(Var v, ReadOnlySpan<float> dy)
    {
        RowsOf(v, out var rows, out var n);
        var y = v.ValueRef.Values;
        var dx = G(v.A);
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

    private static void BackLogSoftmax(Var v, ReadOnlySpan<float> dy)
    {
        RowsOf(v, out var rows, out var n);
        var p = v.Aux.AsSpan(0, rows * n);
        var dx = G(v.A);
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

    private static void BackSumLast(Var v, ReadOnlySpan<float> dy)
    {
        RowsOf(v.A!, out var rows, out var n);
        var dx = G(v.A);
        for (var r = 0; r < rows; r++)
        {
            var dxr = dx.Slice(r * n, n);
            TensorPrimitives.Add(dxr, dy[r], dxr);
        }
    }

    private static void BackGather(Var v, ReadOnlySpan<float> dy)
    {
        var n = v.A!.Shape[1];
        var dx = G(v.A);
        for (var b = 0; b < dy.Length; b++)
        {
            dx[(b * n) + v.Idx[b]] += dy[b];
        }
    }

    private static void BackMse(Var v, float g)
    {
        var n = v.A!.Value.Length;
        var diff = v.Aux.AsSpan(0, n);
        var scale = 2f * g / n;
        if (v.A.RequiresGrad)
        {
            TensorPrimitives.MultiplyAdd(diff, scale, G(v.A), G(v.A));
        }

        if (v.B!.RequiresGrad)
        {
            TensorPrimitives.MultiplyAdd(diff, -scale, G(v.B), G(v.B));
        }
    }

    private static void BackHuber(Var v, float g)
    {
        var n = v.A!.Value.Length;
        var diff = v.Aux.AsSpan(0, n);
        var delta = v.F0;
        var scale = g / n;
        var da = G(v.A);
        var db = G(v.B);
        for (var i = 0; i < n; i++)
        {
            var d = Math.Clamp(diff[i], -delta, delta) * scale;
            if (!da.IsEmpty)
            {
                da[i] += d;
            }

            if (!db.IsEmpty)
            {
                db[i] -= d;
            }
        }
    }

    private static void BackCrossEntropy(Var v, float g)
    {
        int batch = v.A!.Shape[0], n = v.A.Shape[1];
        var probs = v.Aux.AsSpan(0, batch * n);
        var dx = G(v.A);
        var scale = g / batch;
        TensorPrimitives.MultiplyAdd(probs, scale, dx, dx);
        for (var b = 0; b < batch; b++)
        {
            dx[(b * n) + v.Idx[b]] -= scale;
        }
    }

    private static void BackEntropy(Var v, float g)
    {
        int batch = v.A!.Shape[0], n = v.A.Shape[1];
        var probs = v.Aux.AsSpan(0, batch * n);
        var logp = v.Aux2.AsSpan(0, batch * n);
        var dx = G(v.A);
        var scale = g / batch;
        for (var b = 0; b < batch; b++)
        {
            var pr = probs.Slice(b * n, n);
            var lr = logp.Slice(b * n, n);
            var h = -TensorPrimitives.Dot(pr, lr);
            var dxr = dx.Slice(b * n, n);
            for (var j = 0; j < n; j++)
            {
                dxr[j] -= scale * pr[j] * (lr[j] + h);
            }
        }
    }
}
