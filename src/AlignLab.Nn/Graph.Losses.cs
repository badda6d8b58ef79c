using System.Numerics.Tensors;

namespace AlignLab.Nn;

/// <content>
/// Losses, each a scalar: <see cref="MseLoss"/>, <see cref="HuberLoss"/>, <see cref="CrossEntropy"/> (logits and
/// labels) and <see cref="Entropy"/> (of logits).
/// </content>
public sealed unsafe partial class Graph
{
    /// <summary>Mean squared error mean((pred − target)²) → scalar.</summary>
    /// <param name="pred">Predictions.</param>
    /// <param name="target">Targets, same shape.</param>
    /// <returns>The loss.</returns>
    public Var MseLoss(Var pred, Var target)
    {
        var v = LossNode("Mse", &MseBackward, pred, target, "MseLoss");
        var diff = Var.Ensure(ref v.Diff, pred.Value.Length).AsSpan(0, pred.Value.Length);
        TensorPrimitives.Subtract(pred.Value.Values, target.Value.Values, diff);
        v.ValueRef.Data[0] = TensorPrimitives.SumOfSquares(diff) / diff.Length;
        return v;
    }

    /// <summary>dpred += 2·dy/n · diff, dtarget −= the same.</summary>
    private static void MseBackward(Var v, ReadOnlySpan<float> dy)
    {
        var g = dy[0];
        var n = v.Input!.Value.Length;
        var diff = v.Diff.AsSpan(0, n);
        var scale = 2f * g / n;
        if (v.Input.RequiresGrad)
        {
            var dp = G(v.Input);
            TensorPrimitives.MultiplyAdd(diff, scale, dp, dp);
        }

        if (v.Other!.RequiresGrad)
        {
            var dt = G(v.Other);
            TensorPrimitives.MultiplyAdd(diff, -scale, dt, dt);
        }
    }

    /// <summary>
    /// Huber loss with threshold <paramref name="delta"/> (PyTorch's HuberLoss): mean of ½d² where |d| ≤ δ and
    /// δ(|d| − ½δ) elsewhere, with d = pred − target → scalar.
    /// </summary>
    /// <param name="pred">Predictions.</param>
    /// <param name="target">Targets, same shape.</param>
    /// <param name="delta">The positive threshold between the quadratic and linear parts.</param>
    /// <returns>The loss.</returns>
    public Var HuberLoss(Var pred, Var target, float delta = 1f)
    {
        if (!(delta > 0f))
        {
            throw new ArgumentOutOfRangeException(nameof(delta), "Huber delta must be positive.");
        }

        var v = LossNode("Huber", &HuberBackward, pred, target, "HuberLoss");
        v.Delta = delta;
        var n = pred.Value.Length;
        var diff = Var.Ensure(ref v.Diff, n).AsSpan(0, n);
        TensorPrimitives.Subtract(pred.Value.Values, target.Value.Values, diff);
        double sum = 0;
        foreach (var d in diff)
        {
            var ad = Math.Abs(d);
            sum += ad <= delta ? 0.5 * d * d : delta * (ad - (0.5 * delta));
        }

        v.ValueRef.Data[0] = (float)(sum / n);
        return v;
    }

    /// <summary>dpred += clamp(diff, −δ, δ) · dy/n, dtarget −= the same.</summary>
    private static void HuberBackward(Var v, ReadOnlySpan<float> dy)
    {
        var g = dy[0];
        var n = v.Input!.Value.Length;
        var diff = v.Diff.AsSpan(0, n);
        var delta = v.Delta;
        var scale = g / n;
        var da = G(v.Input);
        var db = G(v.Other);
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

    /// <summary>Categorical cross-entropy from logits [batch, n] and integer labels, averaged over the batch → scalar.</summary>
    /// <param name="logits">Unnormalised scores, [batch, n].</param>
    /// <param name="labels">One class index per row.</param>
    /// <returns>The loss.</returns>
    public Var CrossEntropy(Var logits, ReadOnlySpan<int> labels)
    {
        Check(logits, nameof(logits));
        if (logits.Value.Rank != 2 || labels.Length != logits.Shape[0])
        {
            throw ShapeError("CrossEntropy", $"needs logits [batch,n] and one label per row, got logits {Fmt(logits)} and {labels.Length} labels");
        }

        int batch = logits.Shape[0], n = logits.Shape[1];
        var v = NewNode("CrossEntropy", &CrossEntropyBackward, logits.RequiresGrad);
        v.Input = logits;
        var idx = CopyIndices(v, labels, n, "CrossEntropy");
        Output(v, []);
        var logp = Var.Ensure(ref v.LogProbs, batch * n);
        var probs = Var.Ensure(ref v.Probs, batch * n);
        LogSoftmaxRows(logits.Value.Values, batch, n, logp, probs);
        double sum = 0;
        for (var b = 0; b < batch; b++)
        {
            sum -= logp[(b * n) + idx[b]];
        }

        v.ValueRef.Data[0] = (float)(sum / batch);
        return v;
    }

    /// <summary>dlogits += (p − onehot(label)) · dy/batch.</summary>
    private static void CrossEntropyBackward(Var v, ReadOnlySpan<float> dy)
    {
        var g = dy[0];
        int batch = v.Input!.Shape[0], n = v.Input.Shape[1];
        var probs = v.Probs.AsSpan(0, batch * n);
        var dx = G(v.Input);
        var scale = g / batch;
        TensorPrimitives.MultiplyAdd(probs, scale, dx, dx);
        for (var b = 0; b < batch; b++)
        {
            dx[(b * n) + v.Indices[b]] -= scale;
        }
    }

    /// <summary>Mean entropy −Σ p log p of the categorical distributions given by logits [batch, n] → scalar.</summary>
    /// <param name="logits">Unnormalised scores, [batch, n].</param>
    /// <returns>The mean entropy.</returns>
    public Var Entropy(Var logits)
    {
        Check(logits, nameof(logits));
        if (logits.Value.Rank != 2)
        {
            throw ShapeError("Entropy", $"needs logits [batch,n], got {Fmt(logits)}");
        }

        int batch = logits.Shape[0], n = logits.Shape[1];
        var v = NewNode("Entropy", &EntropyBackward, logits.RequiresGrad);
        v.Input = logits;
        Output(v, []);
        var logp = Var.Ensure(ref v.LogProbs, batch * n);
        var probs = Var.Ensure(ref v.Probs, batch * n);
        LogSoftmaxRows(logits.Value.Values, batch, n, logp, probs);
        double sum = 0;
        for (var b = 0; b < batch; b++)
        {
            sum -= TensorPrimitives.Dot(probs.AsSpan(b * n, n), logp.AsSpan(b * n, n));
        }

        v.ValueRef.Data[0] = (float)(sum / batch);
        return v;
    }

    /// <summary>dlogits −= dy/batch · p ⊙ (log p + H) per row, H the row's entropy.</summary>
    private static void EntropyBackward(Var v, ReadOnlySpan<float> dy)
    {
        var g = dy[0];
        int batch = v.Input!.Shape[0], n = v.Input.Shape[1];
        var probs = v.Probs.AsSpan(0, batch * n);
        var logp = v.LogProbs.AsSpan(0, batch * n);
        var dx = G(v.Input);
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

    /// <summary>Records a loss of a prediction against a target of identical shape.</summary>
    private Var LossNode(string name, delegate*<Var, ReadOnlySpan<float>, void> backprop, Var pred, Var target, string op)
    {
        Check(pred, nameof(pred));
        Check(target, nameof(target));
        if (!pred.Value.HasShape(target.Shape))
        {
            throw ShapeError(op, $"prediction {Fmt(pred)} and target {Fmt(target)} must have identical shapes");
        }

        var v = NewNode(name, backprop, pred.RequiresGrad || target.RequiresGrad);
        v.Input = pred;
        v.Other = target;
        Output(v, []);
        return v;
    }
}
