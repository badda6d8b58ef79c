using AlignLab.Grid;
using AlignLab.Randomness;

namespace AlignLab.Envs;

/// <summary>
/// One gridworld environment over a compiled <see cref="GridWorld"/>. It owns its seeded
/// generator and its state arrays; stepping allocates nothing. The agent side sees it only as an
/// <see cref="IEnvironment"/>; the intended objective and the goals are read through the
/// <see cref="HiddenChannel"/> handed out next to it by <see cref="EnvironmentFactory"/>.
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
        var terminated = _world.StepState(_cells, ref _agent, _vars, action, _events, ref _rng, null);
        var truncated = !terminated && _time >= _world.MaxSteps;
        _done = terminated || truncated;
        Refresh();
        LastReward = _world.Reward.Evaluate(_events);
        Stepped?.Invoke();
        return new StepResult(LastReward, terminated, truncated);
    }

    private void Refresh()
    {
        _world.RefreshObservation(_cells, _agent, _vars, _board, _scratch, _observation);
        _world.ObserveExtras(_cells, _agent, _vars, _extras);
    }
}
