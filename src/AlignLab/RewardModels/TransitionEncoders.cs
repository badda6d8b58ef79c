using AlignLab.Errors;

namespace AlignLab.RewardModels;

/// <summary>Computes a caller-chosen feature vector φ(o, a, o′) of one transition into <paramref name="features"/>.</summary>
/// <param name="observation">The observation's features.</param>
/// <param name="action">The action index.</param>
/// <param name="nextObservation">The next observation's features.</param>
/// <param name="features">Receives the feature values, one per name of the <see cref="FeatureMap"/>.</param>
public delegate void TransitionFeatureFunction(ReadOnlySpan<float> observation, int action, ReadOnlySpan<float> nextObservation, Span<float> features);

/// <summary>Named features φ(o, a, o′) of a transition, for the readable <see cref="LinearRewardModel"/>.</summary>
public sealed class FeatureMap
{
    /// <summary>Creates the map.</summary>
    /// <param name="names">One distinct, non-empty name per feature, in the order <paramref name="compute"/> writes them.</param>
    /// <param name="compute">Computes the features of a transition; it must write every element.</param>
    public FeatureMap(IReadOnlyList<string> names, TransitionFeatureFunction compute)
    {
        ArgumentNullException.ThrowIfNull(names);
        ArgumentNullException.ThrowIfNull(compute);
        if (names.Count == 0 || names.Any(string.IsNullOrWhiteSpace) || names.Distinct(StringComparer.Ordinal).Count() != names.Count)
        {
            throw new UserInputException("A feature map needs at least one feature, with distinct non-empty names.");
        }

        Names = [.. names];
        Compute = compute;
    }

    /// <summary>Gets the feature names, in order.</summary>
    public IReadOnlyList<string> Names { get; }

    /// <summary>Gets the function that computes the features.</summary>
    public TransitionFeatureFunction Compute { get; }
}

/// <summary>Turns a transition into the input row of a reward network.</summary>
internal interface ITransitionEncoder
{
    /// <summary>Gets the length of an input row.</summary>
    int Width { get; }

    /// <summary>Writes the input row of (o, a, o′) into <paramref name="row"/> (<see cref="Width"/> values).</summary>
    void Encode(ReadOnlySpan<float> observation, int action, ReadOnlySpan<float> nextObservation, Span<float> row);

    /// <summary>Throws <see cref="UserInputException"/> when the transition does not fit this encoder.</summary>
    void Check(ReadOnlySpan<float> observation, int action, ReadOnlySpan<float> nextObservation);
}

/// <summary>
/// The MLP's input: [o, one-hot(a), o′], the two observations' features and the action as a one-hot vector.
/// The concatenation loses nothing (o′ − o is one linear layer away) and keeps the first layer's GEMM dense.
/// </summary>
internal sealed class ConcatEncoder(int observationSize, int actionCount) : ITransitionEncoder
{
    public int Width { get; } = (2 * observationSize) + actionCount;

    public void Encode(ReadOnlySpan<float> observation, int action, ReadOnlySpan<float> nextObservation, Span<float> row)
    {
        observation.CopyTo(row);
        var onehot = row.Slice(observationSize, actionCount);
        onehot.Clear();
        onehot[action] = 1f;
        nextObservation.CopyTo(row[(observationSize + actionCount)..]);
    }

    public void Check(ReadOnlySpan<float> observation, int action, ReadOnlySpan<float> nextObservation)
    {
        if (observation.Length != observationSize || nextObservation.Length != observationSize || (uint)action >= (uint)actionCount)
        {
            throw new UserInputException($"reward model: the transition needs observations of {observationSize} features and an action in [0,{actionCount}), got {observation.Length}, {nextObservation.Length} and {action}.");
        }
    }
}

/// <summary>The linear model's input: the caller's features φ(o, a, o′).</summary>
internal sealed class FeatureMapEncoder(FeatureMap map) : ITransitionEncoder
{
    public int Width => map.Names.Count;

    public void Encode(ReadOnlySpan<float> observation, int action, ReadOnlySpan<float> nextObservation, Span<float> row) =>
        map.Compute(observation, action, nextObservation, row);

    public void Check(ReadOnlySpan<float> observation, int action, ReadOnlySpan<float> nextObservation)
    {
    }
}

/// <summary>The input rows of every transition of a store, row-major [count, width], computed once.</summary>
internal sealed class FeatureTable
{
    public FeatureTable(TransitionStore store, ITransitionEncoder encoder)
    {
        Width = encoder.Width;
        Count = store.Count;
        Rows = new float[Math.Max(1, Count) * Width];
        for (var i = 0; i < Count; i++)
        {
            encoder.Encode(store.Observation(i), store.Action(i), store.NextObservation(i), Rows.AsSpan(i * Width, Width));
        }

        foreach (var x in Rows.AsSpan(0, Count * Width))
        {
            if (!float.IsFinite(x))
            {
                throw new UserInputException("A transition's features contain a non-finite value.");
            }
        }
    }

    public int Width { get; }

    public int Count { get; }

    public float[] Rows { get; }

    public ReadOnlySpan<float> Row(int i) => Rows.AsSpan(i * Width, Width);
}
