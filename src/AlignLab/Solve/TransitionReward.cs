namespace AlignLab.Solve;

/// <summary>
/// A reward over one transition as the agent sees it, r(o, a, o′): the board and extra
/// observations before the step, the action, the board and extras after it, and whether the
/// step ended the episode (the task terminated; the horizon's truncation is not a terminal
/// step). Engine-agnostic: a learned network, a linear model over observable features or a
/// hand-written rule all fit.
/// </summary>
/// <param name="before">The symbolic board (agent drawn) before the step, row-major.</param>
/// <param name="extrasBefore">The extra observations before the step (NaN = none).</param>
/// <param name="action">The action index.</param>
/// <param name="after">The board after the step (also for a terminal step).</param>
/// <param name="extrasAfter">The extra observations after the step.</param>
/// <param name="terminal">Whether the step ended the episode.</param>
/// <returns>The reward of the transition; it must be finite.</returns>
public delegate double TransitionReward(ReadOnlySpan<byte> before, ReadOnlySpan<double> extrasBefore, int action, ReadOnlySpan<byte> after, ReadOnlySpan<double> extrasAfter, bool terminal);

/// <summary>
/// q[s·A + a] = E[r + vNext(s′)] for every state-action pair of a model, where a terminal
/// transition contributes no next value: one finite-horizon backup sweep of a reward.
/// </summary>
/// <param name="vNext">The value of every state with one step less to go.</param>
/// <param name="q">Output: one value per state-action pair.</param>
public delegate void QBackup(ReadOnlySpan<double> vNext, Span<double> q);

/// <summary>
/// A transition reward evaluated many transitions at a time, as a learned network wants:
/// <see cref="Evaluate"/> receives a batch and fills one reward per transition.
/// </summary>
public interface ITransitionReward
{
    /// <summary>Writes r(o, a, o′) of every transition of <paramref name="batch"/> into <paramref name="rewards"/> (length <see cref="TransitionBatch.Count"/>); each must be finite.</summary>
    void Evaluate(TransitionBatch batch, Span<double> rewards);
}

/// <summary>
/// A transition reward of the restricted form the factored tomato model solves exactly: additive
/// over the cells of the board after the step, given the board before and the action,
/// r(o, a, o′) = <see cref="PairTerm"/>(o, a) + Σ_c <see cref="CellTerm"/>(o, a, c, o′[c]).
/// Each cell's term may read the whole board before (and its extras) and the action, but of the
/// board after only that cell's symbol. Linear rewards over tile counts after the step, tiles
/// entered or tiles that changed have this form; so does a network with a head on (o, a) plus a
/// per-cell embedding of o′ summed. Its <see cref="ITransitionReward.Evaluate"/> must equal the
/// sum (the enumerated model calls Evaluate; the tomato model calls the terms).
/// </summary>
public interface ICellwiseTransitionReward : ITransitionReward
{
    /// <summary>The part of the reward that depends only on the board and extras before the step and the action.</summary>
    double PairTerm(ReadOnlySpan<byte> before, ReadOnlySpan<double> extrasBefore, int action);

    /// <summary>The part of the reward contributed by cell <paramref name="cell"/> showing <paramref name="after"/> after the step, given the board before and the action.</summary>
    double CellTerm(ReadOnlySpan<byte> before, ReadOnlySpan<double> extrasBefore, int action, int cell, byte after);
}

/// <summary>
/// Transitions handed to <see cref="ITransitionReward.Evaluate"/>, stored contiguously (board i
/// is <c>BoardsBefore[i·CellCount ..][..CellCount]</c>), so a network can read them as a tensor.
/// The batch is reused: its contents are valid only during the call.
/// </summary>
public sealed class TransitionBatch
{
    private readonly byte[] _before;
    private readonly byte[] _after;
    private readonly double[] _extrasBefore;
    private readonly double[] _extrasAfter;
    private readonly int[] _actions;
    private readonly bool[] _terminal;
    private readonly double[] _events;

    internal TransitionBatch(int capacity, int cellCount, int extraCount, int eventCount)
    {
        Capacity = capacity;
        CellCount = cellCount;
        ExtraCount = extraCount;
        EventCount = eventCount;
        _before = new byte[capacity * cellCount];
        _after = new byte[capacity * cellCount];
        _extrasBefore = new double[capacity * extraCount];
        _extrasAfter = new double[capacity * extraCount];
        _actions = new int[capacity];
        _terminal = new bool[capacity];
        _events = new double[capacity * eventCount];
    }

    /// <summary>Number of transitions in the batch.</summary>
    public int Count { get; internal set; }

    /// <summary>Cells per board (height × width).</summary>
    public int CellCount { get; }

    /// <summary>Extra observations per transition side (see <see cref="Envs.EnvSpec.ExtraNames"/>).</summary>
    public int ExtraCount { get; }

    /// <summary>All boards before the steps, Count × CellCount.</summary>
    public ReadOnlySpan<byte> BoardsBefore => _before.AsSpan(0, Count * CellCount);

    /// <summary>All boards after the steps, Count × CellCount.</summary>
    public ReadOnlySpan<byte> BoardsAfter => _after.AsSpan(0, Count * CellCount);

    /// <summary>All extras before the steps, Count × ExtraCount.</summary>
    public ReadOnlySpan<double> ExtrasBefore => _extrasBefore.AsSpan(0, Count * ExtraCount);

    /// <summary>All extras after the steps, Count × ExtraCount.</summary>
    public ReadOnlySpan<double> ExtrasAfter => _extrasAfter.AsSpan(0, Count * ExtraCount);

    /// <summary>The action of every transition.</summary>
    public ReadOnlySpan<int> Actions => _actions.AsSpan(0, Count);

    /// <summary>Whether each transition ended the episode.</summary>
    public ReadOnlySpan<bool> Terminal => _terminal.AsSpan(0, Count);

    /// <summary>Transitions the batch holds at most.</summary>
    internal int Capacity { get; }

    /// <summary>Events per transition (for internal rewards that are objectives).</summary>
    internal int EventCount { get; }

    /// <summary>Bytes a batch of this shape takes, for the solver's memory budget.</summary>
    internal long Bytes => (2L * Capacity * CellCount) + (16L * Capacity * ExtraCount) + (5L * Capacity) + (8L * Capacity * EventCount);

    /// <summary>The board before transition <paramref name="i"/>.</summary>
    public ReadOnlySpan<byte> Before(int i) => _before.AsSpan(Check(i) * CellCount, CellCount);

    /// <summary>The board after transition <paramref name="i"/>.</summary>
    public ReadOnlySpan<byte> After(int i) => _after.AsSpan(Check(i) * CellCount, CellCount);

    /// <summary>The extras before transition <paramref name="i"/>.</summary>
    public ReadOnlySpan<double> ExtrasBeforeOf(int i) => _extrasBefore.AsSpan(Check(i) * ExtraCount, ExtraCount);

    /// <summary>The extras after transition <paramref name="i"/>.</summary>
    public ReadOnlySpan<double> ExtrasAfterOf(int i) => _extrasAfter.AsSpan(Check(i) * ExtraCount, ExtraCount);

    /// <summary>The hidden event counts of transition <paramref name="i"/>: never shown to a learned reward, used to express objectives as transition rewards.</summary>
    internal ReadOnlySpan<double> Events(int i) => _events.AsSpan(Check(i) * EventCount, EventCount);

    /// <summary>The writable board before the next transition (Count is advanced by <see cref="Commit"/>).</summary>
    internal Span<byte> NextBefore => _before.AsSpan(Count * CellCount, CellCount);

    /// <summary>The writable board after the next transition.</summary>
    internal Span<byte> NextAfter => _after.AsSpan(Count * CellCount, CellCount);

    /// <summary>The writable extras before the next transition.</summary>
    internal Span<double> NextExtrasBefore => _extrasBefore.AsSpan(Count * ExtraCount, ExtraCount);

    /// <summary>The writable extras after the next transition.</summary>
    internal Span<double> NextExtrasAfter => _extrasAfter.AsSpan(Count * ExtraCount, ExtraCount);

    /// <summary>The writable events of the next transition.</summary>
    internal Span<double> NextEvents => _events.AsSpan(Count * EventCount, EventCount);

    /// <summary>Records the action and terminal flag of the slot just filled and advances Count.</summary>
    internal void Commit(int action, bool terminal)
    {
        _actions[Count] = action;
        _terminal[Count] = terminal;
        Count++;
    }

    private int Check(int i)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(i);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(i, Count);
        return i;
    }
}

/// <summary>Adapters to <see cref="ITransitionReward"/>.</summary>
public static class TransitionRewards
{
    /// <summary>A batch reward that calls <paramref name="reward"/> once per transition.</summary>
    public static ITransitionReward FromFunction(TransitionReward reward)
    {
        ArgumentNullException.ThrowIfNull(reward);
        return new PerTransition(reward);
    }

    /// <summary>
    /// An objective's per-transition value (its weighted event counts) as a transition reward.
    /// It reads the hidden events, which a learned reward never sees: it exists so that the
    /// specified reward, the intended objective and a learned reward go through one path.
    /// </summary>
    internal static ITransitionReward FromObjective(Objectives.Objective objective) => new ObjectiveReward(objective);

    private sealed class PerTransition(TransitionReward reward) : ITransitionReward
    {
        public void Evaluate(TransitionBatch batch, Span<double> rewards)
        {
            for (var i = 0; i < batch.Count; i++)
            {
                rewards[i] = reward(batch.Before(i), batch.ExtrasBeforeOf(i), batch.Actions[i], batch.After(i), batch.ExtrasAfterOf(i), batch.Terminal[i]);
            }
        }
    }

    private sealed class ObjectiveReward(Objectives.Objective objective) : ITransitionReward
    {
        public void Evaluate(TransitionBatch batch, Span<double> rewards)
        {
            for (var i = 0; i < batch.Count; i++)
            {
                rewards[i] = objective.Evaluate(batch.Events(i));
            }
        }
    }
}
