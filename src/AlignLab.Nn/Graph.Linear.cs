using System.Numerics.Tensors;
using AlignLab.Nn.Kernels;

namespace AlignLab.Nn;

/// <content>Matrix products: <see cref="MatMul"/> and the fully connected layer <see cref="Linear"/>.</content>
public sealed unsafe partial class Graph
{
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
        var v = NewNode("MatMul", &MatMulBackward, a.RequiresGrad || b.RequiresGrad);
        v.Input = a;
        v.Other = b;
        var y = Output(v, [m, n]);
        Gemm.Multiply(m, n, k, a.Value.Values, false, b.Value.Values, false, W(y), false);
        return v;
    }

    /// <summary>da += dy · bᵀ, db += aᵀ · dy.</summary>
    private static void MatMulBackward(Var v, ReadOnlySpan<float> dy)
    {
        var a = v.Input!;
        var b = v.Other!;
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
        var v = NewNode("Linear", &LinearBackward, x.RequiresGrad || weight.RequiresGrad || (bias?.RequiresGrad ?? false));
        v.Input = x;
        v.Weight = weight;
        v.Bias = bias;
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
            packed = Var.Ensure(ref v.PackedWeight, inF * ld);
            Gemm.PackB(weight.Value.Values, true, inF, outF, packed, ld);
        }

        Dense.Forward(x.Value.Values, batch, inF, packed, ld, bias is null ? default : bias.Value.Values, outF, W(y));
        return v;
    }

    /// <summary>dx += dy · weight, dweight += dyᵀ · x, dbias += the column sums of dy (row by row).</summary>
    private static void LinearBackward(Var v, ReadOnlySpan<float> dy)
    {
        var x = v.Input!;
        var w = v.Weight!;
        int batch = x.Shape[0], inF = x.Shape[1], outF = w.Shape[0];
        if (x.RequiresGrad)
        {
            Gemm.Multiply(batch, inF, outF, dy, false, w.Value.Values, false, G(x), true);
        }

        if (w.RequiresGrad)
        {
            Gemm.Multiply(outF, inF, batch, dy, true, x.Value.Values, false, G(w), true);
        }

        if (v.Bias is { RequiresGrad: true })
        {
            var db = G(v.Bias);
            for (var b = 0; b < batch; b++)
            {
                TensorPrimitives.Add(db, dy.Slice(b * outF, outF), db);
            }
        }
    }
}
