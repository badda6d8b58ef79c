using AlignLab.Grid;
using AlignLab.Randomness;

namespace AlignLab.Envs;

/// <summary>
/// A batch of environments of one world stepped together. State is kept struct-of-arrays
/// (all cells, all agents, all variables, all observations in flat arrays), each environment has
/// its own generator (environment <c>i</c> is seeded with <c>seed + i</c>, so it plays exactly the
/// episodes of a single <see cref="GridEnv"/> made with that seed), and an environment whose
/// episode ends is reset in the same step: its observation is then the new episode's first.
/// Stepping allocates nothing.
/// </summary>
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
    private readonly double[] _rewards;
    private readonly bool[] _terminated;
    private readonly bool[] _truncated;
    private readonly double[] _intended;
    private readonly Rng[] _rngs;
    private readonly double[] _extras;
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
        _rewards = new double[count];
        _terminated = new bool[count];
        _truncated = new bool[count];
        _intended = new double[count];
        _rngs = new Rng[count];
        _extras = new double[count * world.ExtraNames.Count];
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

    /// <summary>The visible reward of each environment's last step.</summary>
    public ReadOnlySpan<double> Rewards => _rewards;

    /// <summary>Whether each environment's last step ended its episode by the task (it has since been reset).</summary>
    public ReadOnlySpan<bool> Terminated => _terminated;

    /// <summary>Whether each environment's last step hit the step limit (it has since been reset).</summary>
    public ReadOnlySpan<bool> Truncated => _truncated;

    internal ReadOnlySpan<double> LastIntended => _intended;

    /// <summary>Starts a fresh episode in every environment.</summary>
    public void Reset()
    {
        for (var i = 0; i < Count; i++)
        {
            ResetOne(i);
        }

        _started = true;
    }

    /// <summary>Steps every environment with its action; finished episodes restart at once.</summary>
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
            var terminated = _world.StepState(cells, ref _agents[i], vars, action, events, ref _rngs[i], null);
            var truncated = !terminated && time >= _world.MaxSteps;
            _rewards[i] = _world.Reward.Evaluate(events);
            _intended[i] = _world.Intended.Evaluate(events);
            _terminated[i] = terminated;
            _truncated[i] = truncated;
            if (terminated || truncated)
            {
                ResetOne(i);
            }
            else
            {
                _world.RefreshObservation(cells, _agents[i], vars, _boards.AsSpan(i * _cellCount, _cellCount), _scratch, _observations.AsSpan(i * _obsLength, _obsLength));
                ObserveExtras(i);
            }
        }
    }

    /// <summary>
    /// The whole batch state (cells, agents, variables, step counters, generators, last step's
    /// flags), for checkpoints: restoring it with <see cref="RestoreState"/> continues the exact
    /// same episodes and random streams.
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
        }

        return stream.ToArray();
    }

    /// <summary>Restores a state saved by <see cref="SaveState"/> from a batch of the same world and size.</summary>
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
    }

    private void ResetOne(int i)
    {
        var varCount = _world.VarCount;
        _world.ResetState(_cells.AsSpan(i * _cellCount, _cellCount), ref _agents[i], _vars.AsSpan(i * varCount, varCount), _events.AsSpan(i * _eventCount, _eventCount), ref _rngs[i], null);
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
        var extraCount = _world.ExtraNames.Count;
        if (extraCount == 0)
        {
            return;
        }

        _world.ObserveExtras(_cells.AsSpan(i * _cellCount, _cellCount), _agents[i], _vars.AsSpan(i * _world.VarCount, _world.VarCount), _extras.AsSpan(i * extraCount, extraCount));
    }
}
