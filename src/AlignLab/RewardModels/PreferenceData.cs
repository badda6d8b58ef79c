using AlignLab.Errors;

namespace AlignLab.RewardModels;

/// <summary>
/// A contiguous range of transitions in a <see cref="TransitionStore"/>: transitions
/// <see cref="Start"/> … <see cref="Start"/> + <see cref="Length"/> − 1, usually consecutive steps of one
/// episode. Its return under a reward model is the sum of the model's reward over those transitions.
/// </summary>
/// <param name="Start">The index of the first transition in the store.</param>
/// <param name="Length">The number of transitions (at least 1).</param>
public readonly record struct Segment(int Start, int Length);

/// <summary>Two segments to be compared (a candidate query, before it has a label).</summary>
/// <param name="A">The first segment.</param>
/// <param name="B">The second segment.</param>
public readonly record struct SegmentPair(Segment A, Segment B);

/// <summary>A labelled comparison of two segments.</summary>
/// <param name="A">The first segment.</param>
/// <param name="B">The second segment.</param>
/// <param name="Label">
/// The probability that <paramref name="A"/> is preferred to <paramref name="B"/>, in [0, 1]: 1 when A is
/// preferred, 0 when B is, 0.5 for "equally good"; any value in between for soft labels.
/// </param>
public readonly record struct Comparison(Segment A, Segment B, float Label);

/// <summary>
/// Transitions (o, a, o′) in flat arrays allocated once: the observation features of every transition one after
/// the other, one action index each, and the next observation's features. The reward models read them; segments
/// and comparisons refer to them by index.
/// </summary>
public sealed class TransitionStore
{
    private readonly float[] _observations;
    private readonly float[] _nextObservations;
    private readonly int[] _actions;

    /// <summary>Creates an empty store.</summary>
    /// <param name="observationSize">Features per observation (e.g. the one-hot board's C·H·W).</param>
    /// <param name="actionCount">The number of discrete actions.</param>
    /// <param name="capacity">The most transitions it will hold.</param>
    public TransitionStore(int observationSize, int actionCount, int capacity)
    {
        if (observationSize < 1 || actionCount < 1 || capacity < 1)
        {
            throw new UserInputException($"A transition store needs a positive observation size, action count and capacity, got {observationSize}, {actionCount} and {capacity}.");
        }

        ObservationSize = observationSize;
        ActionCount = actionCount;
        Capacity = capacity;
        _observations = new float[checked(observationSize * capacity)];
        _nextObservations = new float[checked(observationSize * capacity)];
        _actions = new int[capacity];
    }

    /// <summary>Gets the number of features of one observation.</summary>
    public int ObservationSize { get; }

    /// <summary>Gets the number of discrete actions.</summary>
    public int ActionCount { get; }

    /// <summary>Gets the most transitions the store holds.</summary>
    public int Capacity { get; }

    /// <summary>Gets the number of transitions added.</summary>
    public int Count { get; private set; }

    /// <summary>Appends a transition and returns its index.</summary>
    /// <param name="observation">The observation's features, <see cref="ObservationSize"/> values.</param>
    /// <param name="action">The action taken, in [0, <see cref="ActionCount"/>).</param>
    /// <param name="nextObservation">The next observation's features.</param>
    /// <returns>The transition's index.</returns>
    public int Add(ReadOnlySpan<float> observation, int action, ReadOnlySpan<float> nextObservation)
    {
        if (Count == Capacity)
        {
            throw new InvalidOperationException($"The transition store is full ({Capacity} transitions).");
        }

        CheckTransition(observation, action, nextObservation);
        var i = Count++;
        observation.CopyTo(_observations.AsSpan(i * ObservationSize, ObservationSize));
        nextObservation.CopyTo(_nextObservations.AsSpan(i * ObservationSize, ObservationSize));
        _actions[i] = action;
        return i;
    }

    /// <summary>Forgets every transition (the arrays are kept).</summary>
    public void Clear() => Count = 0;

    /// <summary>Gets the observation of transition <paramref name="index"/>.</summary>
    /// <param name="index">The transition.</param>
    /// <returns>Its features.</returns>
    public ReadOnlySpan<float> Observation(int index) => _observations.AsSpan(CheckIndex(index) * ObservationSize, ObservationSize);

    /// <summary>Gets the next observation of transition <paramref name="index"/>.</summary>
    /// <param name="index">The transition.</param>
    /// <returns>Its features.</returns>
    public ReadOnlySpan<float> NextObservation(int index) => _nextObservations.AsSpan(CheckIndex(index) * ObservationSize, ObservationSize);

    /// <summary>Gets the action of transition <paramref name="index"/>.</summary>
    /// <param name="index">The transition.</param>
    /// <returns>The action index.</returns>
    public int Action(int index) => _actions[CheckIndex(index)];

    /// <summary>Throws <see cref="UserInputException"/> unless <paramref name="segment"/> lies within the stored transitions.</summary>
    /// <param name="segment">The segment.</param>
    /// <param name="what">What the segment is, for the message.</param>
    internal void CheckSegment(Segment segment, string what)
    {
        if (segment.Length < 1 || segment.Start < 0 || segment.Start > Count - segment.Length)
        {
            throw new UserInputException($"{what}: segment [{segment.Start}, +{segment.Length}) is empty or outside the {Count} stored transitions.");
        }
    }

    internal void CheckTransition(ReadOnlySpan<float> observation, int action, ReadOnlySpan<float> nextObservation)
    {
        if (observation.Length != ObservationSize || nextObservation.Length != ObservationSize)
        {
            throw new UserInputException($"A transition needs observations of {ObservationSize} features, got {observation.Length} and {nextObservation.Length}.");
        }

        if ((uint)action >= (uint)ActionCount)
        {
            throw new UserInputException($"Action {action} is outside [0,{ActionCount}).");
        }
    }

    private int CheckIndex(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
        return index;
    }
}
