using AlignLab.Nn.Kernels;

namespace AlignLab.Nn;

/// <content>2-D convolution (<see cref="Conv2d(Var, Var, Var?)"/>), optionally with a fused ReLU.</content>
public sealed unsafe partial class Graph
{
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
        var v = NewNode("Conv2d", &Conv2dBackward, x.RequiresGrad || weight.RequiresGrad || (bias?.RequiresGrad ?? false));
        v.Input = x;
        v.Weight = weight;
        v.Bias = bias;
        v.FusedRelu = relu;
        var y = Output(v, [batch, o, h, w]);
        Conv.Forward(x.Value.Values, batch, c, h, w, weight.Value.Values, o, k, bias is null ? default : bias.Value.Values, W(y), relu: relu);
        return v;
    }

    /// <summary>dx, dweight and dbias in one pass (see Kernels/Conv.cs); with a fused ReLU, dy counts only where the output is positive.</summary>
    private static void Conv2dBackward(Var v, ReadOnlySpan<float> dy)
    {
        var x = v.Input!;
        var w = v.Weight!;
        int batch = x.Shape[0], c = x.Shape[1], h = x.Shape[2], wd = x.Shape[3];
        int o = w.Shape[0], k = w.Shape[2];
        Conv.Backward(x.Value.Values, dy, batch, c, h, wd, w.Value.Values, o, k, G(x), G(w), G(v.Bias), v.FusedRelu ? v.ValueRef.Values : default);
    }
}
