using AlignLab.Grid;
using AlignLab.Randomness;

namespace AlignLab.Envs;

/// <summary>
/// One gridworld environment over a compiled <see cref="GridWorld"/>. It owns its seeded
/// generator and its state arrays; stepping allocates nothing. The agent side sees it only as an
/// <see cref="IEnvironment"/>; the intended objective and the goals are read through the
/// <see cref="HiddenChannel"/> handed out next to it by <see cref="EnvironmentFactory"/>. The visible reward of a
/// step is the specified reward's, or, for a world made by <see cref="GridWorld.WithStepReward"/>, its step reward of
/// the board before the step, the action and the board after it.
/// </summary>
public sealed class GridEnv : IEnvironment
{
    private readonly GridWorld _world;
    private readonly byte[] _cells;
    private readonly int[] _vars;
    private readonly double[] _events;
    private readonly byte[] _board;
    private readonly byte[] _scratch;
    private readonly float[] _observation;
    private readonly double[] _extras;
    private readonly IStepReward? _stepReward;
    private readonly byte[] _before;
    private readonly int _forcedLevel;
    private Rng _rng;
    private int _agent;
    private int _time;
    private bool _started;
    private bool _done;

    internal GridEnv(GridWorld world, ulong seed, int forcedLevel = -1)
    {
        _world = world;
        _cells = new byte[world.CellCount];
        _vars = new int[world.VarCount];
        _events = new double[world.EventNames.Count];
        _board = new byte[world.CellCount];
        _scratch = new byte[world.CellCount];
        _observation = new float[world.Channels * world.CellCount];
        _extras = new double[world.ExtraNames.Count];
        _stepReward = world.StepReward;
        _before = _stepReward is null ? [] : new byte[world.CellCount];
        world.CreateState(_vars);
        _forcedLevel = forcedLevel;
        _rng = new Rng(seed);
        Spec = new EnvSpec(world.Id, world.Channels, world.Height, world.Width, world.ActionLetters, [.. world.ChannelSymbols.Select(c => c.ToString())], world.MaxSteps, world.ExtraNames);
    }

    /// <inheritdoc />
    public EnvSpec Spec { get; }

    /// <inheritdoc />
    public ReadOnlySpan<float> Observation => _observation;

    /// <inheritdoc />
    public ReadOnlySpan<byte> Board => _board;

    /// <inheritdoc />
    public ReadOnlySpan<double> Extras => _extras;

    /// <summary>Steps taken in the current episode.</summary>
    public int Time => _time;

    internal GridWorld World => _world;

    internal ReadOnlySpan<double> LastEvents => _events;

    internal double LastReward { get; private set; }

    internal int LevelIndex { get; private set; }

    internal ReadOnlySpan<byte> Cells => _cells;

    internal int Agent => _agent;

    internal ReadOnlySpan<int> Vars => _vars;

    internal event Action? EpisodeStarted;

    internal event Action? Stepped;

    /// <inheritdoc />
    public void Reset(ulong? seed = null)
    {
        if (seed is { } s)
        {
            _rng = new Rng(s);
        }

        LevelIndex = _world.ResetState(_cells, ref _agent, _vars, _events, ref _rng, null, _forcedLevel);
        _time = 0;
        _started = true;
        _done = false;
        _world.RenderBoard(_cells, _agent, _vars, _board);
        _world.Encode(_board, _observation);
        _world.ObserveExtras(_cells, _agent, _vars, _extras);
        EpisodeStarted?.Invoke();
    }

    /// <inheritdoc />
    public StepResult Step(int action)
    {
        if (!_started)
        {
            throw new InvalidOperationException($"{_world.Id}: Step was called before Reset.");
        }

        if (_done)
        {
            throw new InvalidOperationException($"{_world.Id}: Step was called after the episode ended; call Reset first.");
        }

        if ((uint)action >= (uint)_world.ActionLetters.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(action), action, $"{_world.Id} has actions 0..{_world.ActionLetters.Length - 1} ({_world.ActionLetters}).");
        }

        _time++;
        if (_stepReward is not null)
        {
            _board.CopyTo(_before, 0);
        }

        var terminated = _world.StepState(_cells, ref _agent, _vars, action, _events, ref _rng, null);
        var truncated = !terminated && _time >= _world.MaxSteps;
        _done = terminated || truncated;
        Refresh();
        LastReward = _stepReward is null ? _world.Reward.Evaluate(_events) : _stepReward.Reward(_before, action, _board);
        Stepped?.Invoke();
        return new StepResult(LastReward, terminated, truncated);
    }

    /// <summary>
    /// The environment's whole state (cells, agent, variables, step count, level, generator, flags), for
    /// checkpoints: <see cref="RestoreState"/> continues the exact episode and generator stream.
    /// </summary>
    internal byte[] SaveState()
    {
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream))
        {
            writer.Write(_cells.Length);
            writer.Write(_vars.Length);
            writer.Write(_started);
            writer.Write(_done);
            writer.Write(_agent);
            writer.Write(_time);
            writer.Write(LevelIndex);
            writer.Write(LastReward);
            writer.Write(_cells);
            foreach (var v in _vars)
            {
                writer.Write(v);
            }

            foreach (var e in _events)
            {
                writer.Write(e);
            }

            var (s0, s1, s2, s3) = _rng.State;
            writer.Write(s0);
            writer.Write(s1);
            writer.Write(s2);
            writer.Write(s3);
        }

        return stream.ToArray();
    }

    /// <summary>Restores a state written by <see cref="SaveState"/> of an environment of the same world.</summary>
    /// <exception cref="InvalidDataException">The state is from another world.</exception>
    internal void RestoreState(byte[] state)
    {
        using var reader = new BinaryReader(new MemoryStream(state));
        if (reader.ReadInt32() != _cells.Length || reader.ReadInt32() != _vars.Length)
        {
            throw new InvalidDataException($"The saved environment state is not of {_world.Id}.");
        }

        _started = reader.ReadBoolean();
        _done = reader.ReadBoolean();
        _agent = reader.ReadInt32();
        _time = reader.ReadInt32();
        LevelIndex = reader.ReadInt32();
        LastReward = reader.ReadDouble();
        reader.ReadBytes(_cells.Length).CopyTo(_cells, 0);
        for (var i = 0; i < _vars.Length; i++)
        {
            _vars[i] = reader.ReadInt32();
        }

        for (var i = 0; i < _events.Length; i++)
        {
            _events[i] = reader.ReadDouble();
        }

        _rng = Rng.FromState((reader.ReadUInt64(), reader.ReadUInt64(), reader.ReadUInt64(), reader.ReadUInt64()));
        if (_started)
        {
            _world.RenderBoard(_cells, _agent, _vars, _board);
            _world.Encode(_board, _observation);
            _world.ObserveExtras(_cells, _agent, _vars, _extras);
        }
    }

    private void Refresh()
    {
        _world.RefreshObservation(_cells, _agent, _vars, _board, _scratch, _observation);
        _world.ObserveExtras(_cells, _agent, _vars, _extras);
    }
}
