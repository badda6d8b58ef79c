using System.Numerics.Tensors;

namespace AlignLab.Nn;

/// <summary>
/// Base class of the optimisers: holds the parameters, the learning rate and an optional schedule hook, and
/// counts steps.
/// </summary>
public abstract class Optimizer
{
    private readonly Parameter[] _parameters;

    private protected Optimizer(IEnumerable<Parameter> parameters, float learningRate)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        _parameters = [.. parameters];
        LearningRate = learningRate;
    }

    /// <summary>Gets the parameters this optimiser updates.</summary>
    public IReadOnlyList<Parameter> Parameters => _parameters;

    /// <summary>Gets or sets the base learning rate (used when <see cref="Schedule"/> is null).</summary>
    public float LearningRate { get; set; }

    /// <summary>
    /// Gets or sets a learning-rate schedule: given the number of steps taken so far it returns the learning rate
    /// for the next step (e.g. linear annealing). When null, <see cref="LearningRate"/> is used.
    /// </summary>
    public Func<int, float>? Schedule { get; set; }

    /// <summary>Gets the number of steps taken.</summary>
    public int StepCount { get; private set; }

    /// <summary>Gets the learning rate used by the most recent step.</summary>
    public float LastLearningRate { get; private set; }

    /// <summary>
    /// The optimiser's state (step count and per-parameter moment buffers) as bytes, for
    /// checkpoints: restoring it with <see cref="RestoreState"/> makes the next steps exactly
    /// those an uninterrupted run would take.
    /// </summary>
    public byte[] SaveState()
    {
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream))
        {
            writer.Write(StepCount);
            writer.Write(LastLearningRate);
            var buffers = StateBuffers();
            writer.Write(buffers.Count);
            foreach (var buffer in buffers)
            {
                writer.Write(buffer.Length);
                foreach (var x in buffer)
                {
                    writer.Write(x);
                }
            }
        }

        return stream.ToArray();
    }

    /// <summary>Restores state saved by <see cref="SaveState"/> from an optimiser of the same kind over the same parameter shapes.</summary>
    /// <exception cref="InvalidDataException">The state does not fit this optimiser.</exception>
    public void RestoreState(byte[] state)
    {
        ArgumentNullException.ThrowIfNull(state);
        using var reader = new BinaryReader(new MemoryStream(state));
        StepCount = reader.ReadInt32();
        LastLearningRate = reader.ReadSingle();
        var buffers = StateBuffers();
        if (reader.ReadInt32() != buffers.Count)
        {
            throw new InvalidDataException("The optimiser state has another number of buffers.");
        }

        foreach (var buffer in buffers)
        {
            if (reader.ReadInt32() != buffer.Length)
            {
                throw new InvalidDataException("The optimiser state does not match the parameter shapes.");
            }

            for (var i = 0; i < buffer.Length; i++)
            {
                buffer[i] = reader.ReadSingle();
            }
        }
    }

    /// <summary>The optimiser's per-parameter state buffers, in a fixed order (none for plain SGD).</summary>
    private protected virtual IReadOnlyList<float[]> StateBuffers() => [];

    /// <summary>Sets every parameter's gradient to zero.</summary>
    public void ZeroGrad()
    {
        foreach (var p in _parameters)
        {
            p.Grad.Span.Clear();
        }
    }

    /// <summary>Updates every parameter from its gradient, then advances <see cref="StepCount"/>.</summary>
    public void Step()
    {
        var lr = Schedule is null ? LearningRate : Schedule(StepCount);
        LastLearningRate = lr;
        StepCount++;
        for (var i = 0; i < _parameters.Length; i++)
        {
            var p = _parameters[i];
            Update(i, p.Value.Span, p.Grad.Values, lr);
        }
    }

    /// <summary>
    /// Scales all gradients so that their global L2 norm is at most <paramref name="maxNorm"/>
    /// (torch.nn.utils.clip_grad_norm_). Returns the norm before clipping.
    /// </summary>
    /// <param name="parameters">The parameters whose gradients are clipped together.</param>
    /// <param name="maxNorm">The largest allowed norm.</param>
    /// <returns>The global gradient norm before clipping.</returns>
    public static float ClipGradNorm(IReadOnlyList<Parameter> parameters, float maxNorm)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        double sq = 0;
        for (var i = 0; i < parameters.Count; i++)
        {
            sq += TensorPrimitives.SumOfSquares(parameters[i].Grad.Values);
        }

        var norm = (float)Math.Sqrt(sq);
        var coef = maxNorm / (norm + 1e-6f);
        if (coef < 1f)
        {
            for (var i = 0; i < parameters.Count; i++)
            {
                var g = parameters[i].Grad.Span;
                TensorPrimitives.Multiply(g, coef, g);
            }
        }

        return norm;
    }

    private protected abstract void Update(int index, Span<float> value, ReadOnlySpan<float> grad, float lr);
}
