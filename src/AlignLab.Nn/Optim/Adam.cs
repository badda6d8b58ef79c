using System.Numerics;
using System.Runtime.InteropServices;

namespace AlignLab.Nn;

/// <summary>
/// Adam (as torch.optim.Adam): m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g², p ← p − lr·m̂/(√v̂ + ε), with optional L2
/// weight decay added to the gradient; and AdamW (<see cref="W"/>; Loshchilov &amp; Hutter, "Decoupled Weight Decay
/// Regularization", as torch.optim.AdamW), whose decay shrinks the parameter directly, p ← p·(1 − lr·λ), before the
/// Adam step, so that it does not pass through the adaptive scaling. All state is allocated up front, so a step
/// allocates nothing.
/// </summary>
public sealed class Adam : Optimizer
{
    private readonly float[][] _m;
    private readonly float[][] _v;

    /// <summary>Creates the optimiser.</summary>
    /// <param name="parameters">The parameters to update.</param>
    /// <param name="learningRate">The learning rate.</param>
    /// <param name="beta1">Decay of the first moment.</param>
    /// <param name="beta2">Decay of the second moment.</param>
    /// <param name="eps">The denominator's ε.</param>
    /// <param name="weightDecay">L2 penalty coefficient added to the gradient (0 = none).</param>
    /// <param name="decoupledWeightDecay">AdamW's decoupled decay λ: each step first multiplies the parameters by 1 − lr·λ (0 = none).</param>
    public Adam(IEnumerable<Parameter> parameters, float learningRate = 1e-3f, float beta1 = 0.9f, float beta2 = 0.999f, float eps = 1e-8f, float weightDecay = 0f, float decoupledWeightDecay = 0f)
        : base(parameters, learningRate)
    {
        Beta1 = beta1;
        Beta2 = beta2;
        Eps = eps;
        WeightDecay = weightDecay;
        DecoupledWeightDecay = decoupledWeightDecay;
        _m = new float[Parameters.Count][];
        _v = new float[Parameters.Count][];
        for (var i = 0; i < Parameters.Count; i++)
        {
            _m[i] = new float[Parameters[i].Value.Length];
            _v[i] = new float[Parameters[i].Value.Length];
        }
    }

    /// <summary>Gets the first-moment decay β₁.</summary>
    public float Beta1 { get; }

    /// <summary>Gets the second-moment decay β₂.</summary>
    public float Beta2 { get; }

    /// <summary>Gets ε.</summary>
    public float Eps { get; }

    /// <summary>Gets the L2 weight-decay coefficient.</summary>
    public float WeightDecay { get; }

    /// <summary>Gets AdamW's decoupled weight-decay coefficient λ.</summary>
    public float DecoupledWeightDecay { get; }

    /// <summary>AdamW: Adam with decoupled weight decay <paramref name="weightDecay"/> (PyTorch's default 0.01) and no L2 term.</summary>
    /// <param name="parameters">The parameters to update.</param>
    /// <param name="learningRate">The learning rate.</param>
    /// <param name="weightDecay">The decoupled weight-decay coefficient λ.</param>
    /// <param name="beta1">Decay of the first moment.</param>
    /// <param name="beta2">Decay of the second moment.</param>
    /// <param name="eps">The denominator's ε.</param>
    public static Adam W(IEnumerable<Parameter> parameters, float learningRate = 1e-3f, float weightDecay = 0.01f, float beta1 = 0.9f, float beta2 = 0.999f, float eps = 1e-8f)
        => new(parameters, learningRate, beta1, beta2, eps, weightDecay: 0f, decoupledWeightDecay: weightDecay);

    private protected override IReadOnlyList<float[]> StateBuffers() => [.. _m, .. _v];

    private protected override void Update(int index, Span<float> value, ReadOnlySpan<float> grad, float lr)
    {
        var t = StepCount;
        var bc1 = 1.0 - Math.Pow(Beta1, t);
        var bc2 = 1.0 - Math.Pow(Beta2, t);
        var stepSize = (float)(lr / bc1);
        var invSqrtBc2 = (float)(1.0 / Math.Sqrt(bc2));
        float b1 = Beta1, b2 = Beta2, eps = Eps, wd = WeightDecay;
        var decay = 1f - (lr * DecoupledWeightDecay);
        var m = _m[index].AsSpan();
        var v = _v[index].AsSpan();
        var i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var vp = MemoryMarshal.Cast<float, Vector<float>>(value);
            var vg = MemoryMarshal.Cast<float, Vector<float>>(grad);
            var vm = MemoryMarshal.Cast<float, Vector<float>>(m);
            var vv = MemoryMarshal.Cast<float, Vector<float>>(v);
            var vb1 = new Vector<float>(b1);
            var vb2 = new Vector<float>(b2);
            var v1b1 = new Vector<float>(1f - b1);
            var v1b2 = new Vector<float>(1f - b2);
            var veps = new Vector<float>(eps);
            var vwd = new Vector<float>(wd);
            var vdecay = new Vector<float>(decay);
            var vstep = new Vector<float>(stepSize);
            var vinv = new Vector<float>(invSqrtBc2);
            for (var j = 0; j < vp.Length; j++)
            {
                var g = vg[j] + (vwd * vp[j]);
                var mj = (vb1 * vm[j]) + (v1b1 * g);
                var vj = (vb2 * vv[j]) + (v1b2 * g * g);
                vm[j] = mj;
                vv[j] = vj;
                vp[j] = (vp[j] * vdecay) - (vstep * mj / ((Vector.SquareRoot(vj) * vinv) + veps));
            }

            i = vp.Length * Vector<float>.Count;
        }

        for (; i < value.Length; i++)
        {
            var g = grad[i] + (wd * value[i]);
            var mj = (b1 * m[i]) + ((1f - b1) * g);
            var vj = (b2 * v[i]) + ((1f - b2) * g * g);
            m[i] = mj;
            v[i] = vj;
            value[i] = (value[i] * decay) - (stepSize * mj / ((MathF.Sqrt(vj) * invSqrtBc2) + eps));
        }
    }
}
