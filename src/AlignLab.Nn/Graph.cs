using System.Numerics.Tensors;
using AlignLab.Nn.Kernels;

namespace AlignLab.Nn;

/// <summary>
/// A reverse-mode autodiff tape. Each op call appends a node and computes its value; <see cref="Backward"/>
/// then fills gradients in reverse order. Call <see cref="Reset"/> before each step: nodes and their buffers
/// are recycled by position, so replaying the same ops with the same shapes allocates nothing.
/// </summary>
/// <remarks>A graph is not thread-safe. A <see cref="Var"/> is valid until the next <see cref="Reset"/>.</remarks>
public sealed partial class Graph
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
        var v = NewNode(OpKind.Input, requiresGrad);
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
        var v = NewNode(OpKind.Param, true);
        v.Param = parameter;
        v.ValueRef = parameter.Value;
        v.GradRef = parameter.Grad;
        return v;
    }

    /// <summary>Matrix product: a [m,k] · b [k,n] → [m,n].</summary>
    /// <param name="a">Left operand, rank 2.</param>
    /// <param name="b">Right operand, rank 2.</param>
    /// <returns>The product.</returns>
    public Var MatMul(Var a, Var b)
    {
        Check(a, nameof(a));
        Check(b, nameof(b));
        if (a.Value.Rank != 2 || b.Value.Rank != 2 || a.Shape[1] != b.Shape[0])
        {
            throw ShapeError("MatMul", $"needs a [m,k] and b [k,n], got a {Fmt(a)} and b {Fmt(b)}");
        }

        int m = a.Shape[0], k = a.Shape[1], n = b.Shape[1];
        var v = NewNode(OpKind.MatMul, a.RequiresGrad || b.RequiresGrad);
        v.A = a;
        v.B = b;
        var y = Output(v, [m, n]);
        Gemm.Multiply(m, n, k, a.Value.Values, false, b.Value.Values, false, W(y), false);
        return v;
    }

    /// <summary>Fully connected layer: x [batch,in] · weightᵀ + bias, with weight [out,in] (PyTorch layout) and bias [out].</summary>
    /// <param name="x">Input, [batch, in].</param>
    /// <param name="weight">Weight, [out, in].</param>
    /// <param name="bias">Optional bias, [out].</param>
    /// <returns>The output, [batch, out].</returns>
    public Var Linear(Var x, Var weight, Var? bias)
    {
        Check(x, nameof(x));
        Check(weight, nameof(weight));
        if (weight.Value.Rank != 2)
        {
            throw ShapeError("Linear", $"weight must be [out,in], got {Fmt(weight)}");
        }

        int outF = weight.Shape[0], inF = weight.Shape[1];
        if (x.Value.Rank != 2 || x.Shape[1] != inF)
        {
            throw ShapeError("Linear", $"input {Fmt(x)} does not match weight {Fmt(weight)}; expected input [batch,{inF}]");
        }

        if (bias is not null)
        {
            Check(bias, nameof(bias));
            if (bias.Value.Rank != 1 || bias.Shape[0] != outF)
            {
                throw ShapeError("Linear", $"bias must be [{outF}], got {Fmt(bias)}");
            }
        }

        var batch = x.Shape[0];
        var v = NewNode(OpKind.Linear, x.RequiresGrad || weight.RequiresGrad || (bias?.RequiresGrad ?? false));
        v.A = x;
        v.B = weight;
        v.C = bias;
        var y = Output(v, [batch, outF]);
        float[] packed;
        int ld;
        if (weight.Param is not null)
        {
            packed = weight.Param.PackedTranspose(out ld);
        }
        else
        {
            ld = Gemm.PaddedWidth(outF);
            packed = Var.Ensure(ref v.Aux, inF * ld);
            Gemm.PackB(weight.Value.Values, true, inF, outF, packed, ld);
        }

        Dense.Forward(x.Value.Values, batch, inF, packed, ld, bias is null ? default : bias.Value.Values, outF, W(y));
        return v;
    }

    /// <summary>
    /// 2-D convolution with stride 1 and zero padding k/2 (output has the input's height and width):
    /// x [batch,C,H,W], weight [O,C,k,k] with odd k (1 and 3 are the intended sizes), bias [O].
    /// </summary>
    /// <param name="x">Input, [batch, C, H, W].</param>
    /// <param name="weight">Kernel, [O, C, k, k].</param>
    /// <param name="bias">Optional bias, [O].</param>
    /// <returns>The output, [batch, O, H, W].</returns>
    public Var Conv2d(Var x, Var weight, Var? bias) => Conv2d(x, weight, bias, relu: false);

    /// <summary>
    /// <see cref="Conv2d(Var, Var, Var?)"/>, followed by max(·, 0) when <paramref name="relu"/> as one node: the
    /// same values and gradients as a separate <see cref="Relu"/>, without storing, clearing and re-reading the
    /// pre-activation (the ReLU is applied as the output is written, and its mask as dy is read).
    /// </summary>
    /// <param name="x">Input, [batch, C, H, W].</param>
    /// <param name="weight">Kernel, [O, C, k, k].</param>
    /// <param name="bias">Optional bias, [O].</param>
    /// <param name="relu">Whether the output passes through a ReLU.</param>
    /// <returns>The output, [batch, O, H, W].</returns>
    public Var Conv2d(Var x, Var weight, Var? bias, bool relu)
    {
        Check(x, nameof(x));
        Check(weight, nameof(weight));
        if (weight.Value.Rank != 4 || weight.Shape[2] != weight.Shape[3] || weight.Shape[2] % 2 == 0)
        {
            throw ShapeError("Conv2d", $"weight must be [O,C,k,k] with odd k, got {Fmt(weight)}");
        }

        int o = weight.Shape[0], c = weight.Shape[1], k = weight.Shape[2];
        if (x.Value.Rank != 4 || x.Shape[1] != c)
        {
            throw ShapeError("Conv2d", $"input {Fmt(x)} does not match weight {Fmt(weight)}; expected input [batch,{c},H,W]");
        }

        if (bias is not null)
        {
            Check(bias, nameof(bias));
            if (bias.Value.Rank != 1 || bias.Shape[0] != o)
            {
                throw ShapeError("Conv2d", $"bias must be [{o}], got {Fmt(bias)}");
            }
        }

        int batch = x.Shape[0], h = x.Shape[2], w = x.Shape[3];
        var v = NewNode(OpKind.Conv2d, x.RequiresGrad || weight.RequiresGrad || (bias?.RequiresGrad ?? false));
        v.A = x;
        v.B = weight;
        v.C = bias;
        v.I0 = relu ? 1 : 0;
        var y = Output(v, [batch, o, h, w]);
        var scratch = Var.Ensure(ref v.Aux, Conv.ForwardScratch(batch, c, h, w, k, o));
        Conv.Forward(x.Value.Values, batch, c, h, w, weight.Value.Values, o, k, bias is null ? default : bias.Value.Values, W(y), scratch, relu: relu);
        return v;
    }

    /// <summary>Elementwise max(x, 0).</summary>
    /// <param name="x">The input.</param>
    /// <returns>The output, same shape.</returns>
    public Var Relu(Var x)
    {
        var v = Unary(OpKind.Relu, x);
        Vec.Relu(x.Value.Values, W(v.ValueRef));
        return v;
    }

    /// <summary>Elementwise hyperbolic tangent.</summary>
    /// <param name="x">The input.</param>
    /// <returns>The output, same shape.</returns>
    public Var Tanh(Var x)
    {
        var v = Unary(OpKind.Tanh, x);
        TensorPrimitives.Tanh(x.Value.Values, W(v.ValueRef));
        return v;
    }

    /// <summary>Elementwise eˣ (e.g. the PPO probability ratio from a log-ratio).</summary>
    /// <param name="x">The input.</param>
    /// <returns>The output, same shape.</returns>
    public Var Exp(Var x)
    {
        var v = Unary(OpKind.Exp, x);
        TensorPrimitives.Exp(x.Value.Values, W(v.ValueRef));
        return v;
    }

    /// <summary>Elementwise clamp to [<paramref name="min"/>, <paramref name="max"/>]; the gradient passes where min ≤ x ≤ max.</summary>
    /// <param name="x">The input.</param>
    /// <param name="min">The lower bound.</param>
    /// <param name="max">The upper bound (at least <paramref name="min"/>).</param>
    /// <returns>The output, same shape.</returns>
    public Var Clamp(Var x, float min, float max)
    {
        if (!(min <= max))
        {
            throw new ArgumentException($"Clamp: min ({min}) must not exceed max ({max}).", nameof(min));
        }

        var v = Unary(OpKind.Clamp, x);
        v.F0 = min;
        v.F1 = max;
        var y = W(v.ValueRef);
        TensorPrimitives.Min(x.Value.Values, max, y);
        TensorPrimitives.Max(y, min, y);
        return v;
    }

    /// <summary>Multiplies every element by the constant <paramref name="factor"/>.</summary>
    /// <param name="x">The input.</param>
    /// <param name="factor">The constant factor (e.g. -1 to negate).</param>
    /// <returns>The output, same shape.</returns>
    public Var Scale(Var x, float factor)
    {
        var v = Unary(OpKind.Scale, x);
        v.F0 = factor;
        TensorPrimitives.Multiply(x.Value.Values, factor, W(v.ValueRef));
        return v;
    }

    /// <summary>Elementwise a + b (identical shapes).</summary>
    /// <param name="a">Left operand.</param>
    /// <param name="b">Right operand.</param>
    /// <returns>The sum.</returns>
    public Var Add(Var a, Var b)
    {
        var v = Binary(OpKind.Add, a, b, "Add");
        TensorPrimitives.Add(a.Value.Values, b.Value.Values, W(v.ValueRef));
        return v;
    }

    /// <summary>Elementwise a − b (identical shapes).</summary>
    /// <param name="a">Left operand.</param>
    /// <param name="b">Right operand.</param>
    /// <returns>The difference.</returns>
    public Var Sub(Var a, Var b)
    {
        var v = Binary(OpKind.Sub, a, b, "Sub");
        TensorPrimitives.Subtract(a.Value.Values, b.Value.Values, W(v.ValueRef));
        return v;
    }

    /// <summary>Elementwise a · b (identical shapes).</summary>
    /// <param name="a">Left operand.</param>
    /// <param name="b">Right operand.</param>
    /// <returns>The product.</returns>
    public Var Mul(Var a, Var b)
    {
        var v = Binary(OpKind.Mul, a, b, "Mul");
        TensorPrimitives.Multiply(a.Value.Values, b.Value.Values, W(v.ValueRef));
        return v;
    }

    /// <summary>Elementwise min(a, b) (identical shapes); on ties the gradient goes to <paramref name="a"/>.</summary>
    /// <param name="a">Left operand.</param>
    /// <param name="b">Right operand.</param>
    /// <returns>The minimum.</returns>
    public Var Min(Var a, Var b)
    {
        var v = Binary(OpKind.Min, a, b, "Min");
        TensorPrimitives.Min(a.Value.Values, b.Value.Values, W(v.ValueRef));
        return v;
    }

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

        var v = NewNode(OpKind.Reshape, x.RequiresGrad);
        v.A = x;
        var y = Output(v, resolved);
        x.Value.Values.CopyTo(W(y));
        return v;
    }

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
        var v = NewNode(OpKind.Concat, a.RequiresGrad || b.RequiresGrad);
        v.A = a;
        v.B = b;
        v.I0 = ax;
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

    /// <summary>Softmax along the last axis.</summary>
    /// <param name="x">The logits.</param>
    /// <returns>Probabilities, same shape.</returns>
    public Var Softmax(Var x)
    {
        var v = Unary(OpKind.Softmax, x);
        RowsOf(x, out var rows, out var n);
        var xv = x.Value.Values;
        var y = W(v.ValueRef);
        for (var r = 0; r < rows; r++)
        {
            TensorPrimitives.SoftMax(xv.Slice(r * n, n), y.Slice(r * n, n));
        }

        return v;
    }

    /// <summary>Log-softmax along the last axis (numerically stable).</summary>
    /// <param name="x">The logits.</param>
    /// <returns>Log-probabilities, same shape.</returns>
    public Var LogSoftmax(Var x)
    {
        var v = Unary(OpKind.LogSoftmax, x);
        RowsOf(x, out var rows, out var n);
        var probs = Var.Ensure(ref v.Aux, rows * n);
        LogSoftmaxRows(x.Value.Values, rows, n, W(v.ValueRef), probs);
        return v;
    }

    /// <summary>Sum of all elements → scalar.</summary>
    /// <param name="x">The input.</param>
    /// <returns>A scalar (shape []).</returns>
    public Var Sum(Var x)
    {
        var v = Reduce(OpKind.Sum, x);
        v.ValueRef.Data[0] = TensorPrimitives.Sum(x.Value.Values);
        return v;
    }

    /// <summary>Mean of all elements → scalar.</summary>
    /// <param name="x">The input.</param>
    /// <returns>A scalar (shape []).</returns>
    public Var Mean(Var x)
    {
        var v = Reduce(OpKind.Mean, x);
        v.ValueRef.Data[0] = TensorPrimitives.Sum(x.Value.Values) / x.Value.Length;
        return v;
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

        var v = NewNode(OpKind.SumLastAxis, x.RequiresGrad);
        v.A = x;
        var y = W(Output(v, x.Shape[..^1]));
        RowsOf(x, out var rows, out var n);
        var xv = x.Value.Values;
        for (var r = 0; r < rows; r++)
        {
            y[r] = TensorPrimitives.Sum(xv.Slice(r * n, n));
        }

        return v;
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
        var v = NewNode(OpKind.Gather, x.RequiresGrad);
        v.A = x;
        var idx = CopyIndices(v, indices, n, "Gather");
        var y = W(Output(v, [batch]));
        var xv = x.Value.Values;
        for (var b = 0; b < batch; b++)
        {
            y[b] = xv[(b * n) + idx[b]];
        }

        return v;
    }

    /// <summary>Mean squared error mean((pred − target)²) → scalar.</summary>
    /// <param name="pred">Predictions.</param>
    /// <param name="target">Targets, same shape.</param>
    /// <returns>The loss.</returns>
    public Var MseLoss(Var pred, Var target)
    {
        var v = LossNode(OpKind.Mse, pred, target, "MseLoss");
        var diff = Var.Ensure(ref v.Aux, pred.Value.Length).AsSpan(0, pred.Value.Length);
        TensorPrimitives.Subtract(pred.Value.Values, target.Value.Values, diff);
        v.ValueRef.Data[0] = TensorPrimitives.SumOfSquares(diff) / diff.Length;
        return v;
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

        var v = LossNode(OpKind.Huber, pred, target, "HuberLoss");
        v.F0 = delta;
        var n = pred.Value.Length;
        var diff = Var.Ensure(ref v.Aux, n).AsSpan(0, n);
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
        var v = NewNode(OpKind.CrossEntropy, logits.RequiresGrad);
        v.A = logits;
        var idx = CopyIndices(v, labels, n, "CrossEntropy");
        Output(v, []);
        var logp = Var.Ensure(ref v.Aux2, batch * n);
        var probs = Var.Ensure(ref v.Aux, batch * n);
        LogSoftmaxRows(logits.Value.Values, batch, n, logp, probs);
        double sum = 0;
        for (var b = 0; b < batch; b++)
        {
            sum -= logp[(b * n) + idx[b]];
        }

        v.ValueRef.Data[0] = (float)(sum / batch);
        return v;
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
        var v = NewNode(OpKind.Entropy, logits.RequiresGrad);
        v.A = logits;
        Output(v, []);
        var logp = Var.Ensure(ref v.Aux2, batch * n);
        var probs = Var.Ensure(ref v.Aux, batch * n);
        LogSoftmaxRows(logits.Value.Values, batch, n, logp, probs);
        double sum = 0;
        for (var b = 0; b < batch; b++)
        {
            sum -= TensorPrimitives.Dot(probs.AsSpan(b * n, n), logp.AsSpan(b * n, n));
        }

        v.ValueRef.Data[0] = (float)(sum / batch);
        return v;
    }

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

    private static void RowsOf(Var x, out int rows, out int n)
    {
        if (x.Value.Rank < 1)
        {
            throw ShapeError(x.Op.ToString(), "needs a tensor of rank at least 1, got a scalar");
        }

        n = x.Shape[^1];
        rows = x.Value.Length / n;
    }

    private static int[] CopyIndices(Var v, ReadOnlySpan<int> indices, int n, string op)
    {
        if (v.Idx.Length < indices.Length)
        {
            v.Idx = new int[indices.Length];
        }

        for (var i = 0; i < indices.Length; i++)
        {
            if ((uint)indices[i] >= (uint)n)
            {
                throw new ArgumentOutOfRangeException(nameof(indices), $"{op}: index {indices[i]} at row {i} is outside [0,{n}).");
            }

            v.Idx[i] = indices[i];
        }

        return v.Idx;
    }

    private static ArgumentException ShapeError(string op, string detail) => new($"{op}: shape mismatch: {detail}.");

    private static string Fmt(Var v) => Tensor.FormatShape(v.Shape);

    private static Span<float> W(Tensor t) => t.Data.AsSpan(0, t.Length);

    private static Tensor Output(Var v, ReadOnlySpan<int> shape)
    {
        if (v.Own is null)
        {
            v.Own = new Tensor(shape);
        }
        else
        {
            v.Own.SetShape(shape);
        }

        v.ValueRef = v.Own;
        if (v.RequiresGrad)
        {
            SetGradBuffer(v, shape);
        }
        else
        {
            v.GradRef = null;
        }

        return v.Own;
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

    private Var NewNode(OpKind op, bool requiresGrad)
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
        v.Op = op;
        v.A = v.B = v.C = null;
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

    private Var Unary(OpKind op, Var x)
    {
        Check(x, nameof(x));
        var v = NewNode(op, x.RequiresGrad);
        v.A = x;
        Output(v, x.Shape);
        return v;
    }

    private Var Binary(OpKind op, Var a, Var b, string name)
    {
        Check(a, nameof(a));
        Check(b, nameof(b));
        if (!a.Value.HasShape(b.Shape))
        {
            throw ShapeError(name, $"operands must have identical shapes, got {Fmt(a)} and {Fmt(b)}");
        }

        var v = NewNode(op, a.RequiresGrad || b.RequiresGrad);
        v.A = a;
        v.B = b;
        Output(v, a.Shape);
        return v;
    }

    private Var Reduce(OpKind op, Var x)
    {
        Check(x, nameof(x));
        var v = NewNode(op, x.RequiresGrad);
        v.A = x;
        Output(v, []);
        return v;
    }

    private Var LossNode(OpKind op, Var pred, Var target, string name)
    {
        Check(pred, nameof(pred));
        Check(target, nameof(target));
        if (!pred.Value.HasShape(target.Shape))
        {
            throw ShapeError(name, $"prediction {Fmt(pred)} and target {Fmt(target)} must have identical shapes");
        }

        var v = NewNode(op, pred.RequiresGrad || target.RequiresGrad);
        v.A = pred;
        v.B = target;
        Output(v, []);
        return v;
    }
}
