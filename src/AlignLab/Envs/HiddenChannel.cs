using AlignLab.Grid;

namespace AlignLab.Envs;

/// <summary>
/// The experimenter's side of an environment: the intended objective and the candidate goals,
/// computed from the true state at every step. It is handed out only by
/// <see cref="EnvironmentFactory"/>, next to the agent-facing <see cref="IEnvironment"/>, and
/// nothing reachable from the environment leads back to it.
/// </summary>
public sealed class HiddenChannel
{
    private readonly GridEnv _env;
    private readonly double[] _goalReturns;

    internal HiddenChannel(GridEnv env)
    {
        _env = env;
        _goalReturns = new double[env.World.Goals.Count];
        GoalNames = [.. env.World.Goals.Select(g => g.Name)];
        env.EpisodeStarted += OnEpisodeStarted;
        env.Stepped += OnStepped;
    }

    /// <summary>Names of the candidate goals, in the order of <see cref="GoalReturns"/>.</summary>
    public IReadOnlyList<string> GoalNames { get; }

    /// <summary>Intended-objective value of the last transition.</summary>
    public double LastIntended { get; private set; }

    /// <summary>Visible return of the episode so far (the same sum the agent could add up).</summary>
    public double EpisodeReward { get; private set; }

    /// <summary>Intended return of the episode so far.</summary>
    public double EpisodeIntended { get; private set; }

    /// <summary>Return of each candidate goal in the episode so far.</summary>
    public ReadOnlySpan<double> GoalReturns => _goalReturns;

    /// <summary>The scenario level number the current episode is played on; −1 for a generated map.</summary>
    public int Level => _env.LevelIndex >= 0 ? _env.World.LevelNumbers[_env.LevelIndex] : -1;

    /// <summary>Event counts of the last transition, indexed like <see cref="GridWorld.EventNames"/>.</summary>
    public ReadOnlySpan<double> LastEvents => _env.LastEvents;

    private void OnEpisodeStarted()
    {
        EpisodeReward = 0;
        EpisodeIntended = 0;
        LastIntended = 0;
        Array.Clear(_goalReturns);
    }

    private void OnStepped()
    {
        var world = _env.World;
        var events = _env.LastEvents;
        EpisodeReward += _env.LastReward;
        LastIntended = world.Intended.Evaluate(events);
        EpisodeIntended += LastIntended;
        for (var g = 0; g < _goalReturns.Length; g++)
        {
            _goalReturns[g] += world.Goals[g].Evaluate(events);
        }
    }
}
