namespace AlignLab.Preferences;

/// <summary>
/// A view of one trajectory segment stored in a <see cref="SegmentBatch"/>: what a judge could see
/// (the rendered boards, the actions, the agent's visible cell, the tile last seen under the
/// agent) and, apart and only through <see cref="Hidden"/>, what it could not (the intended and
/// visible reward of each step). It holds no arrays of its own; the spans stay valid until the
/// batch slot is overwritten.
/// </summary>
public readonly struct Segment
{
    private readonly SegmentBatch _batch;
    private readonly int _index;

    internal Segment(SegmentBatch batch, int index)
    {
        _batch = batch;
        _index = index;
    }

    /// <summary>The number of steps (transitions) in the segment; it has <c>Length + 1</c> boards.</summary>
    public int Length => _batch.Lengths[_index];

    /// <summary>Board height.</summary>
    public int Height => _batch.Height;

    /// <summary>Board width.</summary>
    public int Width => _batch.Width;

    /// <summary>The step of the episode the segment starts at (0 = just after the reset).</summary>
    public int StartTime => _batch.StartTimes[_index];

    /// <summary>Whether the episode ended (terminated or truncated) with the segment's last step.</summary>
    public bool EndsEpisode => _batch.EndsEpisode[_index];

    /// <summary>
    /// The rendered board after <paramref name="t"/> steps of the segment, one ASCII character per
    /// cell, row-major: <c>Board(0)</c> is the board before the first step, <c>Board(Length)</c> after the last.
    /// </summary>
    public ReadOnlySpan<byte> Board(int t)
    {
        CheckBoard(t);
        var cells = _batch.CellCount;
        return _batch.Boards.AsSpan(((_index * (_batch.StepCapacity + 1)) + t) * cells, cells);
    }

    /// <summary>The action index taken at step <paramref name="step"/> (0-based).</summary>
    public int Action(int step)
    {
        CheckStep(step);
        return _batch.Actions[(_index * _batch.StepCapacity) + step];
    }

    /// <summary>The cell (row·width + column) showing the agent on <see cref="Board"/>(t), or −1 when the agent is not drawn.</summary>
    public int AgentCell(int t)
    {
        CheckBoard(t);
        return _batch.AgentCells[(_index * (_batch.StepCapacity + 1)) + t];
    }

    /// <summary>
    /// The tile the judge last saw on the agent's cell before the agent covered it, after
    /// <paramref name="t"/> steps; <c>'\0'</c> when unknown (the agent is not drawn). At an
    /// episode's start it is the tile the level puts under the agent (the legend's <c>on:</c>).
    /// </summary>
    public char UnderAgent(int t)
    {
        CheckBoard(t);
        return (char)_batch.Under[(_index * (_batch.StepCapacity + 1)) + t];
    }

    /// <summary>
    /// What a judge could NOT see: the intended objective's and the visible reward's value of each
    /// step. For synthetic labellers and analysis only; no observable feature or rule reads it.
    /// </summary>
    public SegmentHidden Hidden => new(
        _batch.Intended.AsSpan(_index * _batch.StepCapacity, Length),
        _batch.Rewards.AsSpan(_index * _batch.StepCapacity, Length));

    private void CheckBoard(int t)
    {
        if ((uint)t > (uint)Length)
        {
            throw new ArgumentOutOfRangeException(nameof(t), t, $"The segment has boards 0..{Length}.");
        }
    }

    private void CheckStep(int step)
    {
        if ((uint)step >= (uint)Length)
        {
            throw new ArgumentOutOfRangeException(nameof(step), step, $"The segment has steps 0..{Length - 1}.");
        }
    }
}

/// <summary>The hidden side of a <see cref="Segment"/>: per-step intended and visible reward values.</summary>
public readonly ref struct SegmentHidden
{
    internal SegmentHidden(ReadOnlySpan<double> intended, ReadOnlySpan<double> reward)
    {
        Intended = intended;
        Reward = reward;
    }

    /// <summary>The intended objective's value of each step.</summary>
    public ReadOnlySpan<double> Intended { get; }

    /// <summary>The specified (visible) reward of each step.</summary>
    public ReadOnlySpan<double> Reward { get; }

    /// <summary>The undiscounted intended return of the segment.</summary>
    public double IntendedReturn => Sum(Intended);

    /// <summary>The undiscounted visible return of the segment.</summary>
    public double RewardReturn => Sum(Reward);

    private static double Sum(ReadOnlySpan<double> values)
    {
        var sum = 0.0;
        foreach (var v in values)
        {
            sum += v;
        }

        return sum;
    }
}
