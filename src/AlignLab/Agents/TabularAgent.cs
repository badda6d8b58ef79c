using AlignLab.Envs;
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
    int Steps = 50_000,
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
public sealed class TabularAgent
{
    private readonly BoardTable _table = new();
    private double[] _q = new double[1024];
    private Rng _rng;
    private byte? _agentSymbol;

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

    /// <summary>Number of actions.</summary>
    public int ActionCount { get; }

    /// <summary>The hyper-parameters.</summary>
    public TabularOptions Options { get; }

    /// <summary>Distinct boards in the table.</summary>
    public int StatesSeen => _table.Count;

    /// <summary>Trains on <paramref name="env"/> for <see cref="TabularOptions.Steps"/> steps.</summary>
    public void Train(IEnvironment env, Action<TrainingProgress>? progress = null, int reports = 10)
    {
        ArgumentNullException.ThrowIfNull(env);
        if (env.Spec.ActionCount != ActionCount)
        {
            throw new ArgumentException($"The agent has {ActionCount} actions, the environment {env.Spec.ActionCount}.", nameof(env));
        }

        var explorationExtra = IndexOf(env.Spec.ExtraNames, "exploration");
        env.Reset(Options.Seed);
        var state = Row(env.Board);
        var action = Choose(state, Epsilon(env, explorationExtra, 0));
        var episodes = 0;
        var episodeReturn = 0.0;
        var reportReturns = 0.0;
        var reportEpisodes = 0;
        var reportEvery = Math.Max(1, Options.Steps / Math.Max(1, reports));
        for (long step = 0; step < Options.Steps; step++)
        {
            var result = env.Step(action);
            episodeReturn += result.Reward;
            var next = Row(env.Board);
            var epsilon = Epsilon(env, explorationExtra, step + 1);
            var nextAction = Choose(next, epsilon);
            var target = result.Reward;
            if (!result.Terminated)
            {
                target += Options.Discount * (Options.Algorithm == TabularAlgorithm.QLearning ? Max(next) : _q[(next * ActionCount) + nextAction]);
            }

            ref var q = ref _q[(state * ActionCount) + action];
            q += Options.LearningRate * (target - q);
            if (result.Done)
            {
                episodes++;
                reportEpisodes++;
                reportReturns += episodeReturn;
                episodeReturn = 0;
                env.Reset();
                next = Row(env.Board);
                nextAction = Choose(next, Epsilon(env, explorationExtra, step + 1));
            }

            state = next;
            action = nextAction;
            if ((step + 1) % reportEvery == 0 && progress is not null)
            {
                progress(new TrainingProgress(step + 1, episodes, reportEpisodes > 0 ? reportReturns / reportEpisodes : double.NaN, Options.EpsilonAt(step + 1)));
                reportReturns = 0;
                reportEpisodes = 0;
            }
        }
    }

    /// <summary>
    /// The learned policy for exact evaluation: greedy on the table (ties shared equally), uniform
    /// on boards never seen, and, where the board carries an <c>exploration</c> rate, ε-greedy with it.
    /// </summary>
    public void Policy(ReadOnlySpan<byte> board, ReadOnlySpan<double> extras, IReadOnlyList<string> extraNames, Span<double> probabilities)
    {
        ArgumentNullException.ThrowIfNull(extraNames);
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

        var exploration = IndexOf(extraNames, "exploration");
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
}
