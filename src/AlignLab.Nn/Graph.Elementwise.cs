using System.Numerics.Tensors;
using AlignLab.Nn.Kernels;

namespace AlignLab.Nn;

/// <content>
/// Elementwise ops: one input (<see cref="Relu"/>, <see cref="Tanh"/>, <see cref="Exp"/>, <see cref="Clamp"/>,
/// <see cref="Scale"/>) and two inputs of identical shapes (<see cref="Add"/>, <see cref="Sub"/>,
/// <see cref="Mul"/>, <see cref="Min"/>, <see cref="Max"/>).
/// </content>
public sealed unsafe partial class Graph
{
    /// <summary>Elementwise max(x, 0).</summary>
    /// <param name="x">The input.</param>
    /// <returns>The output, same shape.</returns>
    public Var Relu(Var x)
    {
        var v = Unary("Relu", &ReluBackward, x);
        Vec.Relu(x.Value.Values, W(v.ValueRef));
        return v;
    }

    /// <summary>dx += dy where y &gt; 0.</summary>
    private static void ReluBackward(Var v, ReadOnlySpan<float> dy) => Vec.ReluBackward(v.ValueRef.Values, dy, G(v.Input));

    /// <summary>Elementwise hyperbolic tangent.</summary>
    /// <param name="x">The input.</param>
    /// <returns>The output, same shape.</returns>
    public Var Tanh(Var x)
    {
        var v = Unary("Tanh", &TanhBackward, x);
        TensorPrimitives.Tanh(x.Value.Values, W(v.ValueRef));
        return v;
    }

    /// <summary>dx += dy · (1 − y²).</summary>
    private static void TanhBackward(Var v, ReadOnlySpan<float> dy) => Vec.TanhBackward(v.ValueRef.Values, dy, G(v.Input));

    /// <summary>Elementwise eˣ (e.g. the PPO probability ratio from a log-ratio).</summary>
    /// <param name="x">The input.</param>
    /// <returns>The output, same shape.</returns>
    public Var Exp(Var x)
    {
        var v = Unary("Exp", &ExpBackward, x);
        TensorPrimitives.Exp(x.Value.Values, W(v.ValueRef));
        return v;
    }

    /// <summary>dx += dy · y.</summary>
    private static void ExpBackward(Var v, ReadOnlySpan<float> dy)
    {
        var dx = G(v.Input);
        TensorPrimitives.MultiplyAdd(dy, v.ValueRef.Values, dx, dx);
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

        var v = Unary("Clamp", &ClampBackward, x);
        v.Lower = min;
        v.Upper = max;
        var y = W(v.ValueRef);
        TensorPrimitives.Min(x.Value.Values, max, y);
        TensorPrimitives.Max(y, min, y);
        return v;
    }

    /// <summary>dx += dy where lower ≤ x ≤ upper.</summary>
    private static void ClampBackward(Var v, ReadOnlySpan<float> dy) =>
        Vec.ClampBackward(v.Input!.Value.Values, v.Lower, v.Upper, dy, G(v.Input));

    /// <summary>Multiplies every element by the constant <paramref name="factor"/>.</summary>
    /// <param name="x">The input.</param>
    /// <param name="factor">The constant factor (e.g. -1 to negate).</param>
    /// <returns>The output, same shape.</returns>
    public Var Scale(Var x, float factor)
    {
        var v = Unary("Scale", &ScaleBackward, x);
        v.Factor = factor;
        TensorPrimitives.Multiply(x.Value.Values, factor, W(v.ValueRef));
        return v;
    }

    /// <summary>dx += dy · factor.</summary>
    private static void ScaleBackward(Var v, ReadOnlySpan<float> dy)
    {
        var dx = G(v.Input);
        TensorPrimitives.MultiplyAdd(dy, v.Factor, dx, dx);
    }

    /// <summary>Elementwise a + b (identical shapes).</summary>
    /// <param name="a">Left operand.</param>
    /// <param name="b">Right operand.</param>
    /// <returns>The sum.</returns>
    public Var Add(Var a, Var b)
    {
        var v = Binary("Add", &AddBackward, a, b);
        TensorPrimitives.Add(a.Value.Values, b.Value.Values, W(v.ValueRef));
        return v;
    }

    /// <summary>da += dy, db += dy.</summary>
    private static void AddBackward(Var v, ReadOnlySpan<float> dy)
    {
        AddTo(dy, v.Input);
        AddTo(dy, v.Other);
    }

    /// <summary>Elementwise a − b (identical shapes).</summary>
    /// <param name="a">Left operand.</param>
    /// <param name="b">Right operand.</param>
    /// <returns>The difference.</returns>
    public Var Sub(Var a, Var b)
    {
        var v = Binary("Sub", &SubBackward, a, b);
        TensorPrimitives.Subtract(a.Value.Values, b.Value.Values, W(v.ValueRef));
        return v;
    }

    /// <summary>da += dy, db −= dy.</summary>
    private static void SubBackward(Var v, ReadOnlySpan<float> dy)
    {
        AddTo(dy, v.Input);
        if (v.Other!.RequiresGrad)
        {
            var db = G(v.Other);
            TensorPrimitives.Subtract(db, dy, db);
        }
    }

    /// <summary>Elementwise a · b (identical shapes).</summary>
    /// <param name="a">Left operand.</param>
    /// <param name="b">Right operand.</param>
    /// <returns>The product.</returns>
    public Var Mul(Var a, Var b)
    {
        var v = Binary("Mul", &MulBackward, a, b);
        TensorPrimitives.Multiply(a.Value.Values, b.Value.Values, W(v.ValueRef));
        return v;
    }

    /// <summary>da += dy · b, then db += dy · a (the same node may be both, as in x · x).</summary>
    private static void MulBackward(Var v, ReadOnlySpan<float> dy)
    {
        var a = v.Input!;
        var b = v.Other!;
        if (a.RequiresGrad)
        {
            var da = G(a);
            TensorPrimitives.MultiplyAdd(dy, b.Value.Values, da, da);
        }

        if (b.RequiresGrad)
        {
            var db = G(b);
            TensorPrimitives.MultiplyAdd(dy, a.Value.Values, db, db);
        }
    }

    /// <summary>Elementwise min(a, b) (identical shapes); on ties the gradient goes to <paramref name="a"/>.</summary>
    /// <param name="a">Left operand.</param>
    /// <param name="b">Right operand.</param>
    /// <returns>The minimum.</returns>
    public Var Min(Var a, Var b)
    {
        var v = Binary("Min", &MinBackward, a, b);
        TensorPrimitives.Min(a.Value.Values, b.Value.Values, W(v.ValueRef));
        return v;
    }

    /// <summary>dy goes to da where a ≤ b and to db elsewhere.</summary>
    private static void MinBackward(Var v, ReadOnlySpan<float> dy) =>
        Vec.MinBackward(v.Input!.Value.Values, v.Other!.Value.Values, dy, G(v.Input), G(v.Other));

    /// <summary>Elementwise max(a, b) (identical shapes); on ties the gradient goes to <paramref name="a"/>.</summary>
    /// <param name="a">Left operand.</param>
    /// <param name="b">Right operand.</param>
    /// <returns>The maximum.</returns>
    public Var Max(Var a, Var b)
    {
        var v = Binary("Max", &MaxBackward, a, b);
        TensorPrimitives.Max(a.Value.Values, b.Value.Values, W(v.ValueRef));
        return v;
    }

    /// <summary>dy goes to da where a ≥ b and to db elsewhere.</summary>
    private static void MaxBackward(Var v, ReadOnlySpan<float> dy) =>
        Vec.MaxBackward(v.Input!.Value.Values, v.Other!.Value.Values, dy, G(v.Input), G(v.Other));
}
