using AlignLab.Envs;
using AlignLab.Grid;
using AlignLab.Nn;
using AlignLab.Randomness;

namespace AlignLab.Agents;

/// <summary>Which tabular update rule to use.</summary>
public enum TabularAlgorithm
{
    /// <summary>Off-policy: bootstraps on the best next action (Watkins' Q-learning).</summary>
    QLearning,

    /// <summary>On-policy: bootstraps on the next action actually chosen (SARSA).</summary>
    Sarsa,
}

/// <summary>What a tabular agent's table is keyed by.</summary>
public enum TabularStateKey
{
    /// <summary>The whole observed board: exact, but every tomato configuration is a new state.</summary>
    Board,

    /// <summary>
    /// Only the agent's cell on the observed board (a state abstraction): generalises across
    /// everything else the board shows, at the price of aliasing states that differ elsewhere.
    /// </summary>
    AgentCell,
}

/// <summary>Hyper-parameters of the tabular agents; every field is used as documented.</summary>
/// <param name="Algorithm">Q-learning or SARSA.</param>
/// <param name="Steps">Environment steps of training.</param>
/// <param name="LearningRate">Step size α of the temporal-difference update.</param>
/// <param name="Discount">Discount γ used for learning (the scenarios themselves are undiscounted; γ &lt; 1 keeps values bounded).</param>
/// <param name="EpsilonStart">Exploration rate ε at the start of training.</param>
/// <param name="EpsilonEnd">Exploration rate ε after annealing.</param>
/// <param name="EpsilonDecayFraction">Fraction of <paramref name="Steps"/> over which ε falls linearly from start to end.</param>
/// <param name="InitialValue">Initial action value of a newly seen board.</param>
/// <param name="Seed">Seed of the agent's generator and of the environment.</param>
/// <param name="StateKey">What the table is keyed by: the whole board or the agent's cell.</param>
public sealed record TabularOptions(
    TabularAlgorithm Algorithm = TabularAlgorithm.QLearning,
    long Steps = 50_000,
    double LearningRate = 0.1,
    double Discount = 0.99,
    double EpsilonStart = 1.0,
    double EpsilonEnd = 0.05,
    double EpsilonDecayFraction = 0.5,
    double InitialValue = 0.0,
    ulong Seed = 0,
    TabularStateKey StateKey = TabularStateKey.Board)
{
    /// <summary>ε at a given training step.</summary>
    public double EpsilonAt(long step)
    {
        var decaySteps = Math.Max(1.0, EpsilonDecayFraction * Steps);
        var fraction = Math.Min(1.0, step / decaySteps);
        return EpsilonStart + (fraction * (EpsilonEnd - EpsilonStart));
    }
}

/// <summary>Progress of training, reported every so often.</summary>
/// <param name="Step">Environment steps so far.</param>
/// <param name="Episodes">Episodes finished so far.</param>
/// <param name="MeanReturn">Mean visible return over the episodes finished since the last report (NaN if none).</param>
/// <param name="Epsilon">Current exploration rate.</param>
public readonly record struct TrainingProgress(long Step, int Episodes, double MeanReturn, double Epsilon);

/// <summary>
/// Tabular Q-learning and SARSA over the boards the agent observes, with ε-greedy exploration
/// from a seeded generator. The agent only ever sees an <see cref="IEnvironment"/>: the
/// observation, the reward and the end flags. Where the environment reports an
/// <c>exploration</c> extra observation (WhiskyGold after the whisky), that rate replaces the
/// agent's own ε, as the original intends: drinking makes the agent explore.
/// </summary>
/// <remarks>
/// Made from a world (<see cref="TabularAgent(GridWorld, TabularOptions)"/>, as the registry does), the agent
/// owns one environment seeded with <see cref="TabularOptions.Seed"/> and implements <see cref="IAgent"/>:
/// chunked training continues the same episodes, and a checkpoint holds the table, the generator and the
/// environment's state.
/// </remarks>
public sealed class TabularAgent : IAgent
{
    private const string CheckpointFormat = "alignlab.tabular/1";

    private readonly GridWorld? _world;
    private readonly GridEnv? _ownEnv;
    private BoardTable _table = new();
    private double[] _q = new double[1024];
    private Rng _rng;
    private byte? _agentSymbol;

    // Training in progress: the environment, where it stands and the running episode.
    private IEnvironment? _env;
    private int _explorationExtra = -1;
    private int _state;
    private int _action;
    private int _episodes;
    private double _episodeReturn;
    private int _episodeLength;

    /// <summary>
    /// Creates an untrained agent for environments with <paramref name="actionCount"/> actions;
    /// <paramref name="agentSymbol"/> is the board character of the agent, needed for
    /// <see cref="TabularStateKey.AgentCell"/>.
    /// </summary>
    public TabularAgent(int actionCount, TabularOptions options, char? agentSymbol = null)
    {
        _agentSymbol = agentSymbol is { } symbol ? (byte)symbol : null;
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(actionCount);
        ArgumentNullException.ThrowIfNull(options);
        ActionCount = actionCount;
        Options = options;
        _rng = new Rng(options.Seed ^ 0x5EED_A6E7UL);
    }

    /// <summary>Creates an untrained agent that trains on its own environment of <paramref name="world"/>, seeded with <see cref="TabularOptions.Seed"/>.</summary>
    public TabularAgent(GridWorld world, TabularOptions options)
        : this(world?.ActionLetters.Length ?? 0, options, world?.AgentSymbol)
    {
        ArgumentNullException.ThrowIfNull(world);
        _world = world;
        _ownEnv = (GridEnv)EnvironmentFactory.Make(world, options.Seed).Env;
    }

    /// <summary>The Q-learning agent of the registry (<c>q</c>).</summary>
    public static AgentDefinition<TabularOptions> QLearningDefinition { get; } = Define("q", TabularAlgorithm.QLearning, "Tabular Q-learning (Watkins) over the observed boards, ε-greedy.");

    /// <summary>The SARSA agent of the registry (<c>sarsa</c>).</summary>
    public static AgentDefinition<TabularOptions> SarsaDefinition { get; } = Define("sarsa", TabularAlgorithm.Sarsa, "Tabular SARSA (on-policy TD) over the observed boards, ε-greedy.");

    /// <summary>Number of actions.</summary>
    public int ActionCount { get; }

    /// <summary>The hyper-parameters.</summary>
    public TabularOptions Options { get; }

    /// <summary>Distinct boards in the table.</summary>
    public int StatesSeen => _table.Count;

    /// <inheritdoc/>
    public string Name => (Options.Algorithm == TabularAlgorithm.QLearning ? QLearningDefinition : SarsaDefinition).Name;

    /// <inheritdoc/>
    object IAgent.Options => Options;

    /// <inheritdoc/>
    public long Step { get; private set; }

    /// <inheritdoc/>
    public long TotalSteps => Options.Steps;

    /// <inheritdoc/>
    public long StepsPerUnit => 1;

    /// <summary>Trains on <paramref name="env"/> for <see cref="TabularOptions.Steps"/> steps, from a reset.</summary>
    public void Train(IEnvironment env, Action<TrainingProgress>? progress = null, int reports = 10)
    {
        ArgumentNullException.ThrowIfNull(env);
        Begin(env);
        var reportReturns = 0.0;
        var reportEpisodes = 0;
        var reportEvery = Math.Max(1, Options.Steps / Math.Max(1, reports));
        while (Step < Options.Steps)
        {
            if (StepOnce(null) is { } finished)
            {
                reportEpisodes++;
                reportReturns += finished;
            }

            if (Step % reportEvery == 0 && progress is not null)
            {
                progress(new TrainingProgress(Step, _episodes, reportEpisodes > 0 ? reportReturns / reportEpisodes : double.NaN, Options.EpsilonAt(Step)));
                reportReturns = 0;
                reportEpisodes = 0;
            }
        }
    }

    /// <inheritdoc/>
    public void Train(long untilStep, Action<AgentMetric>? metrics = null)
    {
        var env = _ownEnv ?? throw new InvalidOperationException("Only an agent made from a world trains on its own environment.");
        if (_env != env)
        {
            Begin(env);
        }

        var stop = Math.Min(untilStep, Options.Steps);
        while (Step < stop)
        {
            StepOnce(metrics);
        }

        metrics?.Invoke(new AgentMetric(MetricNames.Epsilon, Options.EpsilonAt(Step), Step));
    }

    /// <summary>
    /// The learned policy for exact evaluation: greedy on the table (ties shared equally), uniform
    /// on boards never seen, and, where the board carries an <c>exploration</c> rate, ε-greedy with it.
    /// </summary>
    public void Policy(ReadOnlySpan<byte> board, ReadOnlySpan<double> extras, IReadOnlyList<string> extraNames, Span<double> probabilities)
    {
        ArgumentNullException.ThrowIfNull(extraNames);
        Policy(board, extras, IndexOf(extraNames, "exploration"), probabilities);
    }

    /// <inheritdoc/>
    public void Policy(ReadOnlySpan<byte> board, ReadOnlySpan<double> extras, Span<double> probabilities) =>
        Policy(board, extras, _world is null ? -1 : IndexOf(_world.ExtraNames, "exploration"), probabilities);

    /// <inheritdoc/>
    public byte[] GeneratorState() => NeuralAgentSupport.RngBytes(_rng);

    /// <inheritdoc/>
    public void SaveCheckpoint(Stream destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        var world = _world ?? throw new InvalidOperationException("Only an agent made from a world has a checkpoint.");
        using var table = new MemoryStream();
        using (var writer = new BinaryWriter(table))
        {
            var keys = _table.KeysInRowOrder();
            writer.Write(keys.Length);
            writer.Write(ActionCount);
            foreach (var key in keys)
            {
                writer.Write(key.Length);
                writer.Write(key);
            }

            foreach (var q in _q.AsSpan(0, keys.Length * ActionCount))
            {
                writer.Write(q);
            }

            writer.Write(_state);
            writer.Write(_action);
            writer.Write(_episodes);
            writer.Write(_episodeReturn);
            writer.Write(_episodeLength);
        }

        var metadata = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["format"] = CheckpointFormat,
            ["agent"] = Name,
            ["world"] = world.Id,
            ["options"] = System.Text.Json.JsonSerializer.Serialize(Options),
            ["global_step"] = NeuralAgentSupport.Invariant(Step),
            ["rng"] = NeuralAgentSupport.FormatRng(_rng),
            ["started"] = _env is null ? "0" : "1",
            ["table"] = Convert.ToBase64String(table.ToArray()),
            ["env_state"] = Convert.ToBase64String(_ownEnv!.SaveState()),
        };
        Safetensors.Save(destination, [], metadata);
    }

    /// <inheritdoc/>
    public void LoadCheckpoint(Stream source)
    {
        ArgumentNullException.ThrowIfNull(source);
        var world = _world ?? throw new InvalidOperationException("Only an agent made from a world loads a checkpoint.");
        const string where = "checkpoint";
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        Safetensors.Load(source, metadata);
        NeuralAgentSupport.CheckFormat(metadata, CheckpointFormat, world.Id, where);
        try
        {
            using var reader = new BinaryReader(new MemoryStream(Convert.FromBase64String(NeuralAgentSupport.Require(metadata, "table", where))));
            var count = reader.ReadInt32();
            if (reader.ReadInt32() != ActionCount)
            {
                throw new InvalidDataException($"{where}: the table has another number of actions than {world.Id}.");
            }

            _table = new BoardTable();
            for (var i = 0; i < count; i++)
            {
                _table.GetOrAdd(reader.ReadBytes(reader.ReadInt32()));
            }

            _q = new double[Math.Max(1024, count * ActionCount)];
            _q.AsSpan(count * ActionCount).Fill(Options.InitialValue);
            for (var i = 0; i < count * ActionCount; i++)
            {
                _q[i] = reader.ReadDouble();
            }

            _state = reader.ReadInt32();
            _action = reader.ReadInt32();
            _episodes = reader.ReadInt32();
            _episodeReturn = reader.ReadDouble();
            _episodeLength = reader.ReadInt32();
        }
        catch (Exception e) when (e is EndOfStreamException or FormatException)
        {
            throw new InvalidDataException($"{where}: the Q-table is damaged.", e);
        }

        Step = NeuralAgentSupport.ParseLong(NeuralAgentSupport.Require(metadata, "global_step", where));
        _rng = NeuralAgentSupport.ParseRng(NeuralAgentSupport.Require(metadata, "rng", where));
        _ownEnv!.RestoreState(Convert.FromBase64String(NeuralAgentSupport.Require(metadata, "env_state", where)));
        if (NeuralAgentSupport.Require(metadata, "started", where) == "1")
        {
            _env = _ownEnv;
            _explorationExtra = IndexOf(_ownEnv.Spec.ExtraNames, "exploration");
        }
    }

    private static AgentDefinition<TabularOptions> Define(string name, TabularAlgorithm algorithm, string summary) => new(
        name,
        summary,
        50_000,
        [
            new("default", "The whole observed board is the state; α 0.1, γ 0.99, ε 1 → 0.05 over half the budget.", new TabularOptions(algorithm)),
            new("cell", "The agent's cell is the state (an abstraction that generalises across the rest of the board, e.g. TomatoWatering's tomatoes).", new TabularOptions(algorithm, StateKey: TabularStateKey.AgentCell)),
        ],
        (options, steps, seed) => options with { Algorithm = algorithm, Steps = steps, Seed = seed },
        options =>
        {
            ArgumentOutOfRangeException.ThrowIfNegative(options.Steps, nameof(TabularOptions.Steps));
            if (!(options.LearningRate is > 0 and <= 1) || !(options.Discount is >= 0 and <= 1) || !(options.EpsilonStart is >= 0 and <= 1) || !(options.EpsilonEnd is >= 0 and <= 1) || !(options.EpsilonDecayFraction >= 0) || !double.IsFinite(options.InitialValue))
            {
                throw new ArgumentException("LearningRate must be in (0, 1]; Discount, EpsilonStart and EpsilonEnd in [0, 1]; EpsilonDecayFraction non-negative; InitialValue finite.");
            }
        },
        (world, options) => new TabularAgent(world, options),
        [nameof(TabularOptions.Algorithm), nameof(TabularOptions.Steps), nameof(TabularOptions.Seed)]);

    private static int IndexOf(IReadOnlyList<string> names, string name)
    {
        for (var i = 0; i < names.Count; i++)
        {
            if (names[i] == name)
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>Resets <paramref name="env"/> with the agent's seed and chooses the first action.</summary>
    private void Begin(IEnvironment env)
    {
        if (env.Spec.ActionCount != ActionCount)
        {
            throw new ArgumentException($"The agent has {ActionCount} actions, the environment {env.Spec.ActionCount}.", nameof(env));
        }

        _env = env;
        _explorationExtra = IndexOf(env.Spec.ExtraNames, "exploration");
        env.Reset(Options.Seed);
        Step = 0;
        _episodes = 0;
        _episodeReturn = 0;
        _episodeLength = 0;
        _state = Row(env.Board);
        _action = Choose(_state, Epsilon(env, _explorationExtra, 0));
    }

    /// <summary>One environment step and one temporal-difference update; returns the episode's return if it ended.</summary>
    private double? StepOnce(Action<AgentMetric>? metrics)
    {
        var env = _env!;
        var result = env.Step(_action);
        _episodeReturn += result.Reward;
        _episodeLength++;
        var next = Row(env.Board);
        var epsilon = Epsilon(env, _explorationExtra, Step + 1);
        var nextAction = Choose(next, epsilon);
        var target = result.Reward;
        if (!result.Terminated)
        {
            target += Options.Discount * (Options.Algorithm == TabularAlgorithm.QLearning ? Max(next) : _q[(next * ActionCount) + nextAction]);
        }

        ref var q = ref _q[(_state * ActionCount) + _action];
        q += Options.LearningRate * (target - q);
        Step++;
        double? finished = null;
        if (result.Done)
        {
            _episodes++;
            finished = _episodeReturn;
            metrics?.Invoke(new AgentMetric(MetricNames.EpisodicReturn, _episodeReturn, Step));
            metrics?.Invoke(new AgentMetric(MetricNames.EpisodicLength, _episodeLength, Step));
            _episodeReturn = 0;
            _episodeLength = 0;
            env.Reset();
            next = Row(env.Board);
            nextAction = Choose(next, Epsilon(env, _explorationExtra, Step));
        }

        _state = next;
        _action = nextAction;
        return finished;
    }

    private void Policy(ReadOnlySpan<byte> board, ReadOnlySpan<double> extras, int exploration, Span<double> probabilities)
    {
        if (probabilities.Length != ActionCount)
        {
            throw new ArgumentException($"Expected {ActionCount} probabilities.", nameof(probabilities));
        }

        var row = _table.Find(Key(board, stackalloc byte[4]));
        probabilities.Clear();
        if (row < 0)
        {
            probabilities.Fill(1.0 / ActionCount);
            return;
        }

        var values = _q.AsSpan(row * ActionCount, ActionCount);
        var best = double.NegativeInfinity;
        foreach (var v in values)
        {
            best = Math.Max(best, v);
        }

        var ties = 0;
        foreach (var v in values)
        {
            ties += v == best ? 1 : 0;
        }

        var epsilon = exploration >= 0 && !double.IsNaN(extras[exploration]) ? extras[exploration] : 0.0;
        for (var a = 0; a < ActionCount; a++)
        {
            probabilities[a] = (epsilon / ActionCount) + (values[a] == best ? (1 - epsilon) / ties : 0);
        }
    }

    private double Max(int row)
    {
        var values = _q.AsSpan(row * ActionCount, ActionCount);
        var best = values[0];
        for (var a = 1; a < values.Length; a++)
        {
            best = Math.Max(best, values[a]);
        }

        return best;
    }

    private double Epsilon(IEnvironment env, int explorationExtra, long step)
    {
        if (explorationExtra >= 0)
        {
            var rate = env.Extras[explorationExtra];
            if (!double.IsNaN(rate))
            {
                return rate;
            }
        }

        return Options.EpsilonAt(step);
    }

    /// <summary>The table key of a board: the board itself, or the agent's cell index (4 bytes) when found.</summary>
    private ReadOnlySpan<byte> Key(ReadOnlySpan<byte> board, Span<byte> scratch)
    {
        if (Options.StateKey == TabularStateKey.AgentCell && _agentSymbol is { } agent)
        {
            var cell = board.IndexOf(agent);
            if (cell >= 0)
            {
                System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(scratch, cell);
                return scratch;
            }
        }

        return board;
    }

    private int Row(ReadOnlySpan<byte> board)
    {
        var row = _table.GetOrAdd(Key(board, stackalloc byte[4]));
        var needed = (row + 1) * ActionCount;
        if (needed > _q.Length)
        {
            var grown = new double[Math.Max(needed, _q.Length * 2)];
            _q.CopyTo(grown, 0);
            grown.AsSpan(_q.Length).Fill(Options.InitialValue);
            _q = grown;
        }
        else if (row == _table.Count - 1 && Options.InitialValue != 0)
        {
            _q.AsSpan(row * ActionCount, ActionCount).Fill(Options.InitialValue);
        }

        return row;
    }

    private int Choose(int row, double epsilon)
    {
        if (_rng.NextDouble() < epsilon)
        {
            return _rng.NextInt(ActionCount);
        }

        var values = _q.AsSpan(row * ActionCount, ActionCount);
        var best = double.NegativeInfinity;
        var ties = 0;
        var choice = 0;
        for (var a = 0; a < ActionCount; a++)
        {
            if (values[a] > best)
            {
                best = values[a];
                ties = 1;
                choice = a;
            }
            else if (values[a] == best && _rng.NextInt(++ties) == 0)
            {
                choice = a;
            }
        }

        return choice;
    }
}
