using AlignLab.Envs;
using AlignLab.Grid;
using AlignLab.Randomness;
using AlignLab.Solve;

namespace AlignLab.Preferences;

/// <summary>
/// Draws trajectory segments from a behaviour policy. Each draw plays one whole episode from a
/// fresh reset (its environment seed drawn from the caller's <see cref="Rng"/>), choosing actions
/// with the behaviour policy (uniformly at random when none is given), and keeps a window of
/// <see cref="SegmentLength"/> consecutive steps whose start is uniform over the episode; an
/// episode no longer than that is kept whole. The same generator state gives the same segments,
/// bit for bit. After construction, sampling allocates nothing.
/// </summary>
public sealed class SegmentSampler
{
    /// <summary>The default segment length, in steps: a quarter of the usual 100-step episode (Christiano et al. 2017 compare short clips of 1–2 s).</summary>
    public const int DefaultSegmentLength = 25;

    private readonly GridWorld _world;
    private readonly GridEnv _env;
    private readonly HiddenChannel _hidden;
    private readonly BoardPolicy? _behaviour;
    private readonly int _cells;
    private readonly byte[] _boards;
    private readonly int[] _agentCells;
    private readonly byte[] _under;
    private readonly byte[] _actions;
    private readonly double[] _intended;
    private readonly double[] _rewards;
    private readonly double[] _probabilities;
    private readonly bool _absorbing;
    private bool _terminated;

    /// <summary>
    /// Creates a sampler on <paramref name="world"/>. <paramref name="segmentLength"/> is the steps per
    /// segment (0, or at least the episode limit, for whole episodes); <paramref name="behaviour"/>
    /// gives action probabilities from the board and extras (a stored run's policy, the current
    /// policy during training), or null for uniformly random actions.
    /// <paramref name="absorbingTermination"/> lets a window run past the step that terminated its
    /// episode (not one truncated by the time limit): the terminal state is then absorbing with
    /// nothing more to see or earn, so the window is cut there and may be shorter than
    /// <see cref="SegmentLength"/>; its start is uniform over every step of such an episode. Without
    /// it every window lies inside its episode, so equal-length segments never show what ending the
    /// episode is worth against going on (a constant per-step reward cancels out of every comparison).
    /// </summary>
    public SegmentSampler(GridWorld world, int segmentLength = DefaultSegmentLength, BoardPolicy? behaviour = null, bool absorbingTermination = false)
    {
        ArgumentNullException.ThrowIfNull(world);
        ArgumentOutOfRangeException.ThrowIfNegative(segmentLength);
        _world = world;
        var scenario = EnvironmentFactory.Make(world);
        _env = (GridEnv)scenario.Env;
        _hidden = scenario.Hidden;
        _behaviour = behaviour;
        _absorbing = absorbingTermination;
        var maxSteps = world.MaxSteps;
        SegmentLength = segmentLength == 0 ? maxSteps : Math.Min(segmentLength, maxSteps);
        _cells = world.CellCount;
        _boards = new byte[(maxSteps + 1) * _cells];
        _agentCells = new int[maxSteps + 1];
        _under = new byte[maxSteps + 1];
        _actions = new byte[maxSteps];
        _intended = new double[maxSteps];
        _rewards = new double[maxSteps];
        _probabilities = new double[world.ActionLetters.Length];
    }

    /// <summary>The most steps a segment has (shorter only when its episode is).</summary>
    public int SegmentLength { get; }

    /// <summary>The world segments are drawn from.</summary>
    public GridWorld World => _world;

    /// <summary>A batch sized for <paramref name="count"/> segments of this sampler.</summary>
    public SegmentBatch CreateBatch(int count) => new(count, SegmentLength, _world.Height, _world.Width);

    /// <summary>Fills every slot of <paramref name="batch"/> with a new segment.</summary>
    public void SampleAll(SegmentBatch batch, ref Rng rng)
    {
        ArgumentNullException.ThrowIfNull(batch);
        for (var i = 0; i < batch.Count; i++)
        {
            Sample(batch, i, ref rng);
        }
    }

    /// <summary>Plays one episode and stores a uniformly placed window of it in slot <paramref name="index"/>.</summary>
    public void Sample(SegmentBatch batch, int index, ref Rng rng)
    {
        CheckBatch(batch, index);
        _env.Reset(rng.NextUInt64());
        Begin();
        var t = 0;
        var done = false;
        while (!done)
        {
            var action = ChooseAction(ref rng);
            done = Advance(t, action);
            t++;
        }

        if (_absorbing && _terminated && t > 1)
        {
            var from = rng.NextInt(t);
            Store(batch, index, from, Math.Min(t - from, SegmentLength), from + SegmentLength >= t);
            return;
        }

        var start = t <= SegmentLength ? 0 : rng.NextInt(t - SegmentLength + 1);
        Store(batch, index, start, Math.Min(t, SegmentLength), start + SegmentLength >= t);
    }

    /// <summary>
    /// Plays a fixed action script (action letters) from a reset with environment seed
    /// <paramref name="envSeed"/> and stores the whole script as the segment in slot
    /// <paramref name="index"/>; the script stops early if the episode ends. For tests and demonstrations.
    /// </summary>
    internal void Record(SegmentBatch batch, int index, string actions, ulong envSeed)
    {
        CheckBatch(batch, index);
        if (actions.Length > SegmentLength)
        {
            throw new ArgumentException($"The script has {actions.Length} actions; segments hold {SegmentLength}.", nameof(actions));
        }

        _env.Reset(envSeed);
        Begin();
        var t = 0;
        var done = false;
        while (t < actions.Length && !done)
        {
            var action = _world.ActionLetters.IndexOf(actions[t], StringComparison.Ordinal);
            if (action < 0)
            {
                throw new ArgumentException($"'{actions[t]}' is not an action of {_world.Id} ({_world.ActionLetters}).", nameof(actions));
            }

            done = Advance(t, action);
            t++;
        }

        Store(batch, index, 0, t, done);
    }

    private void CheckBatch(SegmentBatch batch, int index)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, batch.Count);
        if (batch.Height != _world.Height || batch.Width != _world.Width || batch.StepCapacity < SegmentLength)
        {
            throw new ArgumentException($"The batch holds {batch.StepCapacity}-step segments of {batch.Height}×{batch.Width} boards; this sampler makes {SegmentLength}-step segments of {_world.Height}×{_world.Width}.", nameof(batch));
        }
    }

    private void Begin()
    {
        _env.Board.CopyTo(_boards.AsSpan(0, _cells));
        var agent = VisibleAgent(_env.Board);
        _agentCells[0] = agent;
        _under[0] = agent >= 0 ? _env.Cells[_env.Agent] : (byte)0;
    }

    private int ChooseAction(ref Rng rng)
    {
        var count = _probabilities.Length;
        if (_behaviour is null)
        {
            return rng.NextInt(count);
        }

        _behaviour(_env.Board, _env.Extras, _probabilities);
        var u = rng.NextDouble();
        var cumulative = 0.0;
        var last = -1;
        for (var a = 0; a < count; a++)
        {
            var p = _probabilities[a];
            if (!(p >= 0) || double.IsInfinity(p))
            {
                throw new InvalidOperationException($"The behaviour policy gave action {a} the probability {p}.");
            }

            if (p > 0)
            {
                last = a;
                cumulative += p;
                if (u < cumulative)
                {
                    return a;
                }
            }
        }

        return last >= 0 ? last : throw new InvalidOperationException("The behaviour policy gave every action probability 0.");
    }

    /// <summary>Takes step <paramref name="t"/> and records it; returns whether the episode ended.</summary>
    private bool Advance(int t, int action)
    {
        var result = _env.Step(action);
        _terminated = result.Terminated;
        var before = _boards.AsSpan(t * _cells, _cells);
        var after = _boards.AsSpan((t + 1) * _cells, _cells);
        _env.Board.CopyTo(after);
        _actions[t] = (byte)action;
        _rewards[t] = result.Reward;
        _intended[t] = _hidden.LastIntended;
        var p = _agentCells[t];
        var q = VisibleAgent(after);
        _agentCells[t + 1] = q;
        _under[t + 1] = q < 0 ? (byte)0 : q != p ? before[q] : _under[t];
        return result.Done;
    }

    private void Store(SegmentBatch batch, int index, int start, int length, bool endsEpisode)
    {
        var cells = _cells;
        _boards.AsSpan(start * cells, (length + 1) * cells).CopyTo(batch.Boards.AsSpan(batch.BoardIndex(index, 0) * cells));
        _agentCells.AsSpan(start, length + 1).CopyTo(batch.AgentCells.AsSpan(batch.BoardIndex(index, 0)));
        _under.AsSpan(start, length + 1).CopyTo(batch.Under.AsSpan(batch.BoardIndex(index, 0)));
        var stepAt = index * batch.StepCapacity;
        _actions.AsSpan(start, length).CopyTo(batch.Actions.AsSpan(stepAt));
        _intended.AsSpan(start, length).CopyTo(batch.Intended.AsSpan(stepAt));
        _rewards.AsSpan(start, length).CopyTo(batch.Rewards.AsSpan(stepAt));
        batch.Lengths[index] = length;
        batch.StartTimes[index] = start;
        batch.EndsEpisode[index] = endsEpisode;
    }

    private int VisibleAgent(ReadOnlySpan<byte> board) => board.IndexOf((byte)_world.AgentSymbol);
}
