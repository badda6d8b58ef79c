namespace AlignLab.Nn;

/// <summary>
/// Stochastic gradient descent with optional momentum and L2 weight decay (as torch.optim.SGD without dampening):
/// b ← μb + g, p ← p − lr·b (plain p ← p − lr·g when μ = 0).
/// </summary>
public sealed class Sgd : Optimizer
{
    private readonly float[][] _buf;

    /// <summary>Creates the optimiser.</summary>
    /// <param name="parameters">The parameters to update.</param>
    /// <param name="learningRate">The learning rate.</param>
    /// <param name="momentum">The momentum μ (0 = none).</param>
    /// <param name="weightDecay">L2 penalty coefficient added to the gradient.</param>
    public Sgd(IEnumerable<Parameter> parameters, float learningRate, float momentum = 0f, float weightDecay = 0f)
        : base(parameters, learningRate)
    {
        Momentum = momentum;
        WeightDecay = weightDecay;
        _buf = new float[Parameters.Count][];
        for (var i = 0; i < Parameters.Count; i++)
        {
            _buf[i] = new float[Parameters[i].Value.Length];
        }
    }

    /// <summary>Gets the momentum μ.</summary>
    public float Momentum { get; }

    /// <summary>Gets the L2 weight-decay coefficient.</summary>
    public float WeightDecay { get; }

    private protected override IReadOnlyList<float[]> StateBuffers() => _buf;

    private protected override void Update(int index, Span<float> value, ReadOnlySpan<float> grad, float lr)
    {
        var b = _buf[index];
        var first = StepCount == 1;
        for (var i = 0; i < value.Length; i++)
        {
            var g = grad[i] + (WeightDecay * value[i]);
            if (Momentum != 0f)
            {
                b[i] = first ? g : (Momentum * b[i]) + g;
                g = b[i];
            }

            value[i] -= lr * g;
        }
    }
}
