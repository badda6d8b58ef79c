using AlignLab.Grid;
using AlignLab.Randomness;

namespace AlignLab.Envs;

/// <summary>
/// A batch of environments of one world stepped together. State is kept struct-of-arrays
/// (all cells, all agents, all variables, all observations in flat arrays), each environment has
/// its own generator (environment <c>i</c> is seeded with <c>seed + i</c>, so it plays exactly the
/// episodes of a single <see cref="GridEnv"/> made with that seed), and an environment whose
/// episode ends is reset in the same step: its observation is then the new episode's first, and the
/// observation its last action led to is kept in <see cref="FinalObservations"/> (with
/// <see cref="FinalBoards"/> and <see cref="FinalExtras"/>), as Gymnasium's vector environments do
/// with same-step autoreset (<c>final_obs</c> in the info). Stepping allocates nothing.
/// </summary>
/// <remarks>
/// The final-observation contract: after <see cref="Step"/>, for every environment <c>i</c> with
/// <c>Terminated[i] || Truncated[i]</c>, slot <c>i</c> of <see cref="FinalObservations"/>,
/// <see cref="FinalBoards"/> and <see cref="FinalExtras"/> holds what a single <see cref="GridEnv"/>
/// shows right after the step that ended its episode (the terminal state, or the state the step
/// limit cut off), while <see cref="Observations"/>, <see cref="Boards"/> and <see cref="Extras"/>
/// hold the next episode's first. The slots of the other environments are not written by the step
/// and hold a stale earlier final observation (or zeros): read a slot only when its flag is set.
/// The spans alias internal buffers, overwritten by the next <see cref="Step"/>, <see cref="Reset"/>
/// or <see cref="RestoreState"/>; copy what must outlive that. <see cref="Reset"/> clears the flags.
/// </remarks>
public sealed class VectorEnv
{
    private readonly GridWorld _world;
    private readonly int _cellCount;
    private readonly int _obsLength;
    private readonly int _eventCount;
    private readonly byte[] _cells;
    private readonly int[] _agents;
    private readonly int[] _vars;
    private readonly int[] _times;
    private readonly double[] _events;
    private readonly byte[] _boards;
    private readonly byte[] _scratch;
    private readonly float[] _observations;
    private readonly byte[] _finalBoards;
    private readonly float[] _finalObservations;
    private readonly double[] _finalExtras;
    private readonly double[] _rewards;
    private readonly bool[] _terminated;
    private readonly bool[] _truncated;
    private readonly double[] _intended;
    private readonly Rng[] _rngs;
    private readonly double[] _extras;
    private readonly int _extraCount;
    private readonly IStepReward? _stepReward;
    private readonly byte[] _before;
    private GridLevel?[]? _assigned;
    private bool _started;

    internal VectorEnv(GridWorld world, int count, ulong seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        _world = world;
        Count = count;
        _cellCount = world.CellCount;
        _obsLength = world.Channels * _cellCount;
        _eventCount = world.EventNames.Count;
        _cells = new byte[count * _cellCount];
        _agents = new int[count];
        _vars = new int[count * world.VarCount];
        _times = new int[count];
        _events = new double[count * _eventCount];
        _boards = new byte[count * _cellCount];
        _scratch = new byte[_cellCount];
        _observations = new float[count * _obsLength];
        _finalBoards = new byte[count * _cellCount];
        _finalObservations = new float[count * _obsLength];
        _rewards = new double[count];
        _terminated = new bool[count];
        _truncated = new bool[count];
        _intended = new double[count];
        _rngs = new Rng[count];
        _extraCount = world.ExtraNames.Count;
        _extras = new double[count * _extraCount];
        _finalExtras = new double[count * _extraCount];
        _stepReward = world.StepReward;
        _before = _stepReward is null ? [] : new byte[_cellCount];
        for (var i = 0; i < count; i++)
        {
            _rngs[i] = new Rng(seed + (ulong)i);
            world.CreateState(_vars.AsSpan(i * world.VarCount, world.VarCount));
        }

        Spec = new EnvSpec(world.Id, world.Channels, world.Height, world.Width, world.ActionLetters, [.. world.ChannelSymbols.Select(c => c.ToString())], world.MaxSteps, world.ExtraNames);
    }

    /// <summary>Number of environments in the batch.</summary>
    public int Count { get; }

    /// <summary>Spaces of each environment.</summary>
    public EnvSpec Spec { get; }

    /// <summary>All observations, environment after environment, each C×H×W one-hot.</summary>
    public ReadOnlySpan<float> Observations => _observations;

    /// <summary>All symbolic boards, environment after environment, each H×W.</summary>
    public ReadOnlySpan<byte> Boards => _boards;

    /// <summary>All extra observations, environment after environment (see <see cref="EnvSpec.ExtraNames"/>).</summary>
    public ReadOnlySpan<double> Extras => _extras;

    /// <summary>
    /// The final observations, environment after environment, each C×H×W one-hot: slot <c>i</c> is the
    /// observation that environment <c>i</c>'s last action led to when that action ended its episode
    /// (<c>Terminated[i] || Truncated[i]</c>); undefined for the other environments (see the class remarks).
    /// </summary>
    public ReadOnlySpan<float> FinalObservations => _finalObservations;

    /// <summary>The final symbolic boards (H×W each) of the environments whose episode ended in the last step; as <see cref="FinalObservations"/>.</summary>
    public ReadOnlySpan<byte> FinalBoards => _finalBoards;

    /// <summary>The final extra observations of the environments whose episode ended in the last step; as <see cref="FinalObservations"/>.</summary>
    public ReadOnlySpan<double> FinalExtras => _finalExtras;

    /// <summary>The visible reward of each environment's last step (the world's step reward, when it has one, of the board before the step, the action and the board it led to).</summary>
    public ReadOnlySpan<double> Rewards => _rewards;

    /// <summary>Whether each environment's last step ended its episode by the task (it has since been reset; its final observation is in <see cref="FinalObservations"/>).</summary>
    public ReadOnlySpan<bool> Terminated => _terminated;

    /// <summary>Whether each environment's last step hit the step limit (it has since been reset; its final observation is in <see cref="FinalObservations"/>).</summary>
    public ReadOnlySpan<bool> Truncated => _truncated;

    internal ReadOnlySpan<double> LastIntended => _intended;

    /// <summary>Starts a fresh episode in every environment and clears the <see cref="Terminated"/> and <see cref="Truncated"/> flags.</summary>
    public void Reset()
    {
        for (var i = 0; i < Count; i++)
        {
            ResetOne(i);
        }

        Array.Clear(_terminated);
        Array.Clear(_truncated);

        _started = true;
    }

    /// <summary>
    /// Steps every environment with its action; finished episodes restart at once, their last
    /// observation kept in <see cref="FinalObservations"/>, <see cref="FinalBoards"/> and <see cref="FinalExtras"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">Before <see cref="Reset"/>.</exception>
    /// <exception cref="ArgumentException">Not one action per environment, or an action out of range.</exception>
    public void Step(ReadOnlySpan<int> actions)
    {
        if (!_started)
        {
            throw new InvalidOperationException($"{_world.Id}: Step was called before Reset.");
        }

        if (actions.Length != Count)
        {
            throw new ArgumentException($"Expected {Count} actions, got {actions.Length}.", nameof(actions));
        }

        var actionCount = _world.ActionLetters.Length;
        var varCount = _world.VarCount;
        for (var i = 0; i < Count; i++)
        {
            var action = actions[i];
            if ((uint)action >= (uint)actionCount)
            {
                throw new ArgumentException($"Action {action} of environment {i} is outside 0..{actionCount - 1}.", nameof(actions));
            }

            var cells = _cells.AsSpan(i * _cellCount, _cellCount);
            var vars = _vars.AsSpan(i * varCount, varCount);
            var events = _events.AsSpan(i * _eventCount, _eventCount);
            var time = ++_times[i];
            var board = _boards.AsSpan(i * _cellCount, _cellCount);
            if (_stepReward is not null)
            {
                board.CopyTo(_before);
            }

            var terminated = _world.StepState(cells, ref _agents[i], vars, action, events, ref _rngs[i], null);
            var truncated = !terminated && time >= _world.MaxSteps;
            _rewards[i] = _world.Reward.Evaluate(events);
            _intended[i] = _world.Intended.Evaluate(events);
            _terminated[i] = terminated;
            _truncated[i] = truncated;
            if (terminated || truncated)
            {
                KeepFinal(i);
                if (_stepReward is not null)
                {
                    _rewards[i] = _stepReward.Reward(_before, action, _finalBoards.AsSpan(i * _cellCount, _cellCount));
                }

                ResetOne(i);
            }
            else
            {
                _world.RefreshObservation(cells, _agents[i], vars, board, _scratch, _observations.AsSpan(i * _obsLength, _obsLength));
                ObserveExtras(i);
                if (_stepReward is not null)
                {
                    _rewards[i] = _stepReward.Reward(_before, action, board);
                }
            }
        }
    }

    /// <summary>
    /// The whole batch state (cells, agents, variables, step counters, generators, last step's
    /// flags and final observations), for checkpoints: restoring it with <see cref="RestoreState"/>
    /// continues the exact same episodes and random streams.
    /// </summary>
    public byte[] SaveState()
    {
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream))
        {
            writer.Write(Count);
            writer.Write(_cells.Length);
            writer.Write(_started);
            writer.Write(_cells);
            foreach (var array in new[] { _agents, _vars, _times })
            {
                writer.Write(array.Length);
                foreach (var value in array)
                {
                    writer.Write(value);
                }
            }

            foreach (var rng in _rngs)
            {
                var (s0, s1, s2, s3) = rng.State;
                writer.Write(s0);
                writer.Write(s1);
                writer.Write(s2);
                writer.Write(s3);
            }

            for (var i = 0; i < Count; i++)
            {
                writer.Write(_rewards[i]);
                writer.Write(_intended[i]);
                writer.Write(_terminated[i]);
                writer.Write(_truncated[i]);
            }

            // The final boards and extras of the environments the last step ended (the observation is their encoding).
            for (var i = 0; i < Count; i++)
            {
                if (_terminated[i] || _truncated[i])
                {
                    writer.Write(_finalBoards, i * _cellCount, _cellCount);
                    for (var e = 0; e < _extraCount; e++)
                    {
                        writer.Write(_finalExtras[(i * _extraCount) + e]);
                    }
                }
            }
        }

        return stream.ToArray();
    }

    /// <summary>
    /// Restores a state saved by <see cref="SaveState"/> from a batch of the same world and size. A state
    /// saved before final observations were kept restores everything else; its final observations are then undefined.
    /// </summary>
    /// <exception cref="ArgumentException">The state is from a batch of another size or world.</exception>
    public void RestoreState(byte[] state)
    {
        ArgumentNullException.ThrowIfNull(state);
        using var reader = new BinaryReader(new MemoryStream(state));
        if (reader.ReadInt32() != Count || reader.ReadInt32() != _cells.Length)
        {
            throw new ArgumentException("The saved state is from a batch of another size or world.", nameof(state));
        }

        _started = reader.ReadBoolean();
        reader.ReadBytes(_cells.Length).CopyTo(_cells, 0);
        foreach (var array in new[] { _agents, _vars, _times })
        {
            if (reader.ReadInt32() != array.Length)
            {
                throw new ArgumentException("The saved state does not match this batch.", nameof(state));
            }

            for (var j = 0; j < array.Length; j++)
            {
                array[j] = reader.ReadInt32();
            }
        }

        for (var i = 0; i < Count; i++)
        {
            _rngs[i] = Rng.FromState((reader.ReadUInt64(), reader.ReadUInt64(), reader.ReadUInt64(), reader.ReadUInt64()));
        }

        for (var i = 0; i < Count; i++)
        {
            _rewards[i] = reader.ReadDouble();
            _intended[i] = reader.ReadDouble();
            _terminated[i] = reader.ReadBoolean();
            _truncated[i] = reader.ReadBoolean();
            Render(i);
        }

        if (reader.BaseStream.Position == reader.BaseStream.Length)
        {
            return;
        }

        for (var i = 0; i < Count; i++)
        {
            if (_terminated[i] || _truncated[i])
            {
                var board = _finalBoards.AsSpan(i * _cellCount, _cellCount);
                reader.ReadBytes(_cellCount).CopyTo(board);
                _world.Encode(board, _finalObservations.AsSpan(i * _obsLength, _obsLength));
                for (var e = 0; e < _extraCount; e++)
                {
                    _finalExtras[(i * _extraCount) + e] = reader.ReadDouble();
                }
            }
        }
    }

    /// <summary>Draws environment <paramref name="i"/>'s current state into its final board, observation and extras.</summary>
    private void KeepFinal(int i)
    {
        var board = _finalBoards.AsSpan(i * _cellCount, _cellCount);
        var cells = _cells.AsSpan(i * _cellCount, _cellCount);
        var vars = _vars.AsSpan(i * _world.VarCount, _world.VarCount);
        _world.RenderBoard(cells, _agents[i], vars, board);
        _world.Encode(board, _finalObservations.AsSpan(i * _obsLength, _obsLength));
        if (_extraCount > 0)
        {
            _world.ObserveExtras(cells, _agents[i], vars, _finalExtras.AsSpan(i * _extraCount, _extraCount));
        }
    }

    /// <summary>
    /// Makes environment <paramref name="i"/> start every episode from its next reset on in <paramref name="level"/>
    /// (a curriculum's assignment), until it is assigned another; null returns it to the world's own levels or generator.
    /// The level takes effect at the environment's next reset (<see cref="Reset"/>, or the end of its episode), and an
    /// assigned reset draws nothing from the environment's generator. Assignments are not part of <see cref="SaveState"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The level's size is not the world's.</exception>
    internal void AssignLevel(int i, GridLevel? level)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(i);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(i, Count);
        if (level is not null && (level.Height != _world.Height || level.Width != _world.Width))
        {
            throw new ArgumentException($"A {level.Height}×{level.Width} level cannot be played in {_world.Id}'s {_world.Height}×{_world.Width} environments.", nameof(level));
        }

        _assigned ??= new GridLevel?[Count];
        _assigned[i] = level;
    }

    /// <summary>The level environment <paramref name="i"/> is assigned (<see cref="AssignLevel"/>), or null.</summary>
    internal GridLevel? AssignedLevel(int i) => _assigned?[i];

    private void ResetOne(int i)
    {
        var varCount = _world.VarCount;
        _world.ResetState(_cells.AsSpan(i * _cellCount, _cellCount), ref _agents[i], _vars.AsSpan(i * varCount, varCount), _events.AsSpan(i * _eventCount, _eventCount), ref _rngs[i], null, assigned: _assigned?[i]);
        _times[i] = 0;
        Render(i);
    }

    private void Render(int i)
    {
        var board = _boards.AsSpan(i * _cellCount, _cellCount);
        _world.RenderBoard(_cells.AsSpan(i * _cellCount, _cellCount), _agents[i], _vars.AsSpan(i * _world.VarCount, _world.VarCount), board);
        _world.Encode(board, _observations.AsSpan(i * _obsLength, _obsLength));
        ObserveExtras(i);
    }

    private void ObserveExtras(int i)
    {
        var extraCount = _extraCount;
        if (extraCount == 0)
        {
            return;
        }

        _world.ObserveExtras(_cells.AsSpan(i * _cellCount, _cellCount), _agents[i], _vars.AsSpan(i * _world.VarCount, _world.VarCount), _extras.AsSpan(i * extraCount, extraCount));
    }
}
