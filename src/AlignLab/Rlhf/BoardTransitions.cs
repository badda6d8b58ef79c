using AlignLab.Grid;
using AlignLab.RewardModels;
using AlignLab.Solve;
using PreferenceSegment = AlignLab.Preferences.Segment;

namespace AlignLab.Rlhf;

/// <summary>
/// The one place that turns what a judge sees, a rendered board, into a reward model's observation: the world's
/// one-hot C×H×W encoding (the agents' own observation). Segments shown to a labeller and the transitions the exact
/// solver enumerates pass through the same encoding, so a reward model trained on the first is evaluated on the
/// second without any mismatch. Extra observations are not used: a labeller judges the rendered boards only.
/// In raw mode an observation is instead the board itself, one value per cell (the cell's character code), for
/// feature maps that read tiles (<see cref="ObservableFeatureReward"/>).
/// </summary>
internal sealed class BoardTransitions
{
    private readonly GridWorld _world;
    private readonly float[] _before;
    private readonly float[] _after;
    private readonly bool _raw;

    public BoardTransitions(GridWorld world, bool raw = false)
    {
        _world = world;
        _raw = raw;
        ObservationSize = raw ? world.CellCount : world.Channels * world.CellCount;
        _before = new float[ObservationSize];
        _after = new float[ObservationSize];
    }

    /// <summary>Features per observation (channels × cells).</summary>
    public int ObservationSize { get; }

    /// <summary>Discrete actions of the world.</summary>
    public int ActionCount => _world.ActionLetters.Length;

    /// <summary>A store for <paramref name="capacity"/> transitions of this world.</summary>
    public TransitionStore CreateStore(int capacity) => new(ObservationSize, ActionCount, Math.Max(1, capacity));

    /// <summary>Appends one transition (board before, action, board after) to <paramref name="store"/>.</summary>
    public int Add(TransitionStore store, ReadOnlySpan<byte> before, int action, ReadOnlySpan<byte> after)
    {
        Encode(before, _before);
        Encode(after, _after);
        return store.Add(_before, action, _after);
    }

    private void Encode(ReadOnlySpan<byte> board, Span<float> observation)
    {
        if (!_raw)
        {
            _world.Encode(board, observation);
            return;
        }

        for (var i = 0; i < board.Length; i++)
        {
            observation[i] = board[i];
        }
    }

    /// <summary>Appends every step of a sampled segment to <paramref name="store"/> and returns where they lie.</summary>
    public Segment Add(TransitionStore store, in PreferenceSegment segment)
    {
        var start = store.Count;
        for (var t = 0; t < segment.Length; t++)
        {
            Add(store, segment.Board(t), segment.Action(t), segment.Board(t + 1));
        }

        return new Segment(start, segment.Length);
    }

    /// <summary>Appends every transition of a solver batch to <paramref name="store"/> (cleared first).</summary>
    public void Fill(TransitionStore store, TransitionBatch batch)
    {
        store.Clear();
        for (var i = 0; i < batch.Count; i++)
        {
            Add(store, batch.Before(i), batch.Actions[i], batch.After(i));
        }
    }
}
