using System.Numerics.Tensors;
using AlignLab.Nn.Kernels;

namespace AlignLab.Nn;

/// <content>
/// The ops a value-iteration network (Tamar et al. 2016) adds to convolutions: the maximum over action channels
/// (<see cref="MaxChannels"/>, V = max_a Q), the sum of each action channel under a one-hot cell mask
/// (<see cref="MaskedCellSum"/>, Q at the agent's cell), and all K steps of the planning loop as one node
/// (<see cref="ValueIterationSteps"/>).
/// </content>
public sealed unsafe partial class Graph
{
    /// <summary>
    /// K steps of value iteration as one node: Q_R = conv3×3(rewards; w_R), Q_0 = Q_R, then K times
    /// V = max_a Q and Q = Q_R + conv3×3(V; w_V) (zero padding), returning Q_K. The same values, to float rounding,
    /// as <see cref="Conv2d(Var, Var, Var?)"/>, <see cref="MaxChannels"/> and <see cref="Add"/> recorded step by
    /// step, and the same gradients (each maximum's to the first action attaining it), in one fused pass that keeps
    /// every V and argmax for the backward pass. All three operands may get gradients.
    /// </summary>
    /// <param name="rewards">The reward maps, [batch, 1, H, W].</param>
    /// <param name="rewardKernel">w_R, [A, 1, 3, 3].</param>
    /// <param name="valueKernel">w_V, [A, 1, 3, 3].</param>
    /// <param name="iterations">The number of steps K, at least 1.</param>
    /// <returns>Q after the last step, [batch, A, H, W].</returns>
    public Var ValueIterationSteps(Var rewards, Var rewardKernel, Var valueKernel, int iterations)
    {
        Check(rewards, nameof(rewards));
        Check(rewardKernel, nameof(rewardKernel));
        Check(valueKernel, nameof(valueKernel));
        ArgumentOutOfRangeException.ThrowIfLessThan(iterations, 1);
        var kernel = rewardKernel.Shape;
        if (rewards.Value.Rank != 4 || rewards.Shape[1] != 1 || rewardKernel.Value.Rank != 4 || kernel[1] != 1 || kernel[2] != 3 || kernel[3] != 3
            || !valueKernel.Shape.SequenceEqual(kernel))
        {
            throw ShapeError("ValueIterationSteps", $"needs rewards [batch,1,H,W] and two kernels [A,1,3,3], got {Fmt(rewards)}, {Fmt(rewardKernel)} and {Fmt(valueKernel)}");
        }

        int batch = rewards.Shape[0], h = rewards.Shape[2], w = rewards.Shape[3], a = kernel[0];
        var requiresGrad = rewards.RequiresGrad || rewardKernel.RequiresGrad || valueKernel.RequiresGrad;
        var v = NewNode("ValueIterationSteps", &ValueIterationStepsBackward, requiresGrad);
        v.Input = rewards;
        v.Weight = rewardKernel;
        v.Other = valueKernel;
        v.Axis = iterations;
        var y = Output(v, [batch, a, h, w]);
        var savedLength = ValueIteration.SavedLength(batch, h, w, iterations);
        var saved = requiresGrad ? Var.Ensure(ref v.PlanSaved, savedLength).AsSpan(0, savedLength) : Span<float>.Empty;
        ValueIteration.Plan(rewards.Value.Values, batch, h, w, rewardKernel.Value.Values, valueKernel.Value.Values, a, iterations, W(y), saved);
        return v;
    }

    /// <summary>The fused backward pass of all K steps (see Kernels/ValueIteration.cs).</summary>
    private static void ValueIterationStepsBackward(Var v, ReadOnlySpan<float> dy)
    {
        var r = v.Input!;
        int batch = r.Shape[0], h = r.Shape[2], w = r.Shape[3], a = v.Weight!.Shape[0];
        ValueIteration.PlanBackward(
            r.Value.Values, dy, batch, h, w, v.Weight.Value.Values, v.Other!.Value.Values, a, v.Axis, v.PlanSaved, G(r), G(v.Weight), G(v.Other));
    }

    /// <summary>
    /// The maximum over the channel axis: x [batch, A, H, W] → [batch, 1, H, W] (so the result is a one-channel
    /// image a convolution can read). The gradient goes to the first channel attaining the maximum.
    /// </summary>
    /// <param name="x">The input, [batch, A, H, W].</param>
    /// <returns>The per-cell maximum, [batch, 1, H, W].</returns>
    public Var MaxChannels(Var x)
    {
        Check(x, nameof(x));
        if (x.Value.Rank != 4)
        {
            throw ShapeError("MaxChannels", $"needs x [batch,A,H,W], got {Fmt(x)}");
        }

        int batch = x.Shape[0], a = x.Shape[1], cells = x.Shape[2] * x.Shape[3];
        var v = NewNode("MaxChannels", &MaxChannelsBackward, x.RequiresGrad);
        v.Input = x;
        var y = Output(v, [batch, 1, x.Shape[2], x.Shape[3]]);
        if (v.Indices.Length < batch * cells)
        {
            v.Indices = new int[batch * cells];
        }

        ValueIteration.MaxChannels(x.Value.Values, batch, a, cells, W(y), v.Indices.AsSpan(0, batch * cells));
        return v;
    }

    /// <summary>dx[b, argmax, cell] += dy[b, cell].</summary>
    private static void MaxChannelsBackward(Var v, ReadOnlySpan<float> dy)
    {
        var x = v.Input!;
        int batch = x.Shape[0], a = x.Shape[1], cells = x.Shape[2] * x.Shape[3];
        var dx = G(x);
        for (var b = 0; b < batch; b++)
        {
            for (var i = 0; i < cells; i++)
            {
                dx[(((b * a) + v.Indices[(b * cells) + i]) * cells) + i] += dy[(b * cells) + i];
            }
        }
    }

    /// <summary>
    /// y[b, a] = Σ_cell q[b, a, cell]·mask[b, channel, cell]: with a one-hot channel (the agent's), the value of
    /// every channel of q at the marked cell. Both operands get gradients.
    /// </summary>
    /// <param name="q">The per-cell values, [batch, A, H, W].</param>
    /// <param name="mask">The images holding the mask, [batch, C, H, W].</param>
    /// <param name="channel">The channel of <paramref name="mask"/> to use, in [0, C).</param>
    /// <returns>The masked sums, [batch, A].</returns>
    public Var MaskedCellSum(Var q, Var mask, int channel)
    {
        Check(q, nameof(q));
        Check(mask, nameof(mask));
        if (q.Value.Rank != 4 || mask.Value.Rank != 4 || q.Shape[0] != mask.Shape[0] || q.Shape[2] != mask.Shape[2] || q.Shape[3] != mask.Shape[3])
        {
            throw ShapeError("MaskedCellSum", $"needs q [batch,A,H,W] and mask [batch,C,H,W] of the same batch and map, got {Fmt(q)} and {Fmt(mask)}");
        }

        if ((uint)channel >= (uint)mask.Shape[1])
        {
            throw new ArgumentOutOfRangeException(nameof(channel), $"MaskedCellSum: channel {channel} is outside [0,{mask.Shape[1]}).");
        }

        int batch = q.Shape[0], a = q.Shape[1], cells = q.Shape[2] * q.Shape[3];
        var v = NewNode("MaskedCellSum", &MaskedCellSumBackward, q.RequiresGrad || mask.RequiresGrad);
        v.Input = q;
        v.Other = mask;
        v.Axis = channel;
        var y = Output(v, [batch, a]);
        ValueIteration.MaskedCellSum(q.Value.Values, mask.Value.Values, batch, a, cells, mask.Shape[1], channel, W(y));
        return v;
    }

    /// <summary>dq[b, a, cell] += dy[b, a]·mask[b, channel, cell]; dmask[b, channel, cell] += Σ_a dy[b, a]·q[b, a, cell].</summary>
    private static void MaskedCellSumBackward(Var v, ReadOnlySpan<float> dy)
    {
        var q = v.Input!;
        var mask = v.Other!;
        int batch = q.Shape[0], a = q.Shape[1], cells = q.Shape[2] * q.Shape[3], c = mask.Shape[1], channel = v.Axis;
        var dq = G(q);
        var dm = G(mask);
        var qv = q.Value.Values;
        var mv = mask.Value.Values;
        for (var b = 0; b < batch; b++)
        {
            var m = mv.Slice(((b * c) + channel) * cells, cells);
            for (var k = 0; k < a; k++)
            {
                var g = dy[(b * a) + k];
                var row = ((b * a) + k) * cells;
                if (!dq.IsEmpty)
                {
                    var dqa = dq.Slice(row, cells);
                    TensorPrimitives.MultiplyAdd(m, g, dqa, dqa);
                }

                if (!dm.IsEmpty)
                {
                    var dmb = dm.Slice(((b * c) + channel) * cells, cells);
                    TensorPrimitives.MultiplyAdd(qv.Slice(row, cells), g, dmb, dmb);
                }
            }
        }
    }
}
