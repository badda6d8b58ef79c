using AlignLab.Agents;
using AlignLab.Envs;
using AlignLab.Errors;
using AlignLab.Grid;
using AlignLab.Randomness;
using AlignLab.Scenarios;
using AlignLab.Solve;

namespace AlignLab.Curricula;

/// <summary>
/// Trains a <see cref="PpoAgent"/> through a curriculum, one PPO rollout cycle at a time, as jaxgmg does: at the start
/// of a cycle every environment is assigned a level and replays it at every reset for the cycle's steps. A cycle is a
/// <em>new-level</em> cycle (fresh levels from the α-<see cref="LevelMixture"/>; DR trains on it, PLR⊥ and ACCEL only
/// score the levels and offer them to the <see cref="LevelBuffer"/>), a <em>replay</em> cycle (levels sampled from the
/// buffer; the only cycles PLR⊥ and ACCEL update on, then the levels are re-scored) or, for ACCEL, an <em>edit</em>
/// cycle right after each replay cycle (each replayed level edited <see cref="CurriculumOptions.EditsPerChild"/> times;
/// the children are scored without an update and offered to the buffer). Every cycle's steps count against the
/// agent's budget. All randomness comes from the seed.
/// </summary>
public sealed class CurriculumTrainer
{
    private const ulong CurriculumStream = 0xC0_441C_0A_5EEDUL;

    private readonly ScenarioDefinition _scenario;
    private readonly IReadOnlyDictionary<string, string>? _set;
    private readonly PpoAgent _agent;
    private readonly SolverLimits? _limits;
    private readonly VectorEnv _env;
    private readonly LevelMixture _mixture;
    private readonly LevelEdits _wallEdits;
    private readonly LevelEdits _shiftEdits;
    private readonly GridLevel[] _levels;
    private readonly int[] _slots;
    private readonly double[] _scores;
    private readonly double[] _returns;
    private readonly ExactSolution?[] _solutions;
    private GridLevel[]? _lastReplayed;
    private Rng _rng;

    /// <summary>A curriculum for <paramref name="agent"/>, trained on <paramref name="world"/> (the scenario's train world, built with <paramref name="set"/>).</summary>
    /// <param name="scenario">The scenario; its <c>train</c> and shift distributions must be generated.</param>
    /// <param name="set">Scenario parameters.</param>
    /// <param name="world">The world the agent was created for.</param>
    /// <param name="agent">The agent to train.</param>
    /// <param name="options">The curriculum.</param>
    /// <param name="seed">Seed of the environments and of the curriculum's choices.</param>
    /// <param name="limits">Limits of the exact solver, for the exact regret.</param>
    /// <exception cref="UserInputException">Options out of range, a scenario without generated distributions, or a buffer smaller than the batch.</exception>
    public CurriculumTrainer(ScenarioDefinition scenario, IReadOnlyDictionary<string, string>? set, GridWorld world, PpoAgent agent, CurriculumOptions options, ulong seed, SolverLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        ArgumentNullException.ThrowIfNull(world);
        ArgumentNullException.ThrowIfNull(agent);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var n = agent.Options.NumEnvs;
        if (options.Kind != CurriculumKind.Dr && options.BufferSize < n)
        {
            throw new UserInputException($"--buffer-size ({options.BufferSize}) must be at least the number of environments ({n}): a replay cycle draws one buffer level per environment.");
        }

        _scenario = scenario;
        _set = set;
        _agent = agent;
        _limits = limits;
        Options = options;
        _mixture = new LevelMixture(scenario, options.Alpha, options.ShiftDistribution, set);
        _env = EnvironmentFactory.MakeVector(world, n, seed).Env;
        _rng = new Rng(seed ^ CurriculumStream);
        _levels = new GridLevel[n];
        _slots = new int[n];
        _scores = new double[n];
        _returns = new double[n];
        _solutions = new ExactSolution?[n];

        // Edits need the wall and floor characters: the legend's blocking tile, and the tile a drawn level's agent starts on.
        var wall = world.Legend.Values.FirstOrDefault(t => t.Blocks)?.Symbol ?? '#';
        var probe = _mixture.Sample(ref _rng);
        var floor = (char)probe.Cells[probe.AgentStart];
        _wallEdits = new LevelEdits(wall, floor, kinds: [LevelEditKind.AddWall, LevelEditKind.RemoveWall]);
        _shiftEdits = new LevelEdits(wall, floor);
        if (options.Kind != CurriculumKind.Dr)
        {
            var initial = new GridLevel[options.BufferSize];
            for (var i = 0; i < initial.Length; i++)
            {
                initial[i] = _mixture.Sample(ref _rng);
            }

            Buffer = new LevelBuffer(initial, options.Temperature, options.StalenessCoefficient);
        }
    }

    /// <summary>The curriculum's settings.</summary>
    public CurriculumOptions Options { get; }

    /// <summary>The level buffer of PLR⊥ and ACCEL; null for DR.</summary>
    public LevelBuffer? Buffer { get; }

    /// <summary>Cycles that drew new levels (DR trains on them; PLR⊥ and ACCEL only score them).</summary>
    public int NewCycles { get; private set; }

    /// <summary>Cycles that replayed buffer levels and updated the agent.</summary>
    public int ReplayCycles { get; private set; }

    /// <summary>ACCEL's cycles that scored edited children of the replayed levels.</summary>
    public int EditCycles { get; private set; }

    /// <summary>Children of new and edit cycles that entered the buffer.</summary>
    public int Admitted { get; private set; }

    /// <summary>The batch the agent plays (each environment's assigned level is the current cycle's).</summary>
    internal VectorEnv Env => _env;

    /// <summary>Runs whole cycles until the agent has taken <paramref name="untilStep"/> steps or its whole budget.</summary>
    /// <param name="untilStep">Stop at the first cycle boundary at or after this many environment steps.</param>
    /// <param name="progress">Receives the agent's metrics and, once per cycle, the curriculum's (<c>curriculum/…</c>).</param>
    public void Train(long untilStep, Action<AgentMetric>? progress = null)
    {
        var end = Math.Min(untilStep, _agent.TotalSteps);
        while (_agent.GlobalStep < end)
        {
            Cycle(progress);
        }
    }

    /// <summary>One cycle: choose its kind and levels, play them, score, update (see the class summary).</summary>
    public void Cycle(Action<AgentMetric>? progress = null)
    {
        var n = _levels.Length;
        var kind = ChooseKind();
        Array.Clear(_solutions);
        switch (kind)
        {
            case CycleKind.Replay:
                var slots = Buffer!.SampleReplay(n, ref _rng);
                for (var i = 0; i < n; i++)
                {
                    _slots[i] = slots[i];
                    _levels[i] = Buffer.Level(slots[i]);
                    _solutions[i] = Buffer.Cache(slots[i]) as ExactSolution;
                }

                _lastReplayed = (GridLevel[])_levels.Clone();
                break;
            case CycleKind.Edit:
                for (var i = 0; i < n; i++)
                {
                    _levels[i] = Edit(_lastReplayed![i]);
                }

                _lastReplayed = null;
                break;
            default:
                for (var i = 0; i < n; i++)
                {
                    _levels[i] = _mixture.Sample(ref _rng);
                }

                break;
        }

        for (var i = 0; i < n; i++)
        {
            _env.AssignLevel(i, _levels[i]);
        }

        _agent.CurriculumRollout(_env, progress);
        if (Options.Kind == CurriculumKind.Dr)
        {
            _agent.CurriculumUpdate(progress);
            NewCycles++;
            Report(progress);
            return;
        }

        // Scores of the policy that played the cycle (before any update), as jaxgmg scores from the rollout.
        ScoreLevels(kind);
        switch (kind)
        {
            case CycleKind.Replay:
                _agent.CurriculumUpdate(progress);
                Buffer!.UpdateReplayed(_slots, _scores, _returns);
                for (var i = 0; i < n; i++)
                {
                    Buffer.SetCache(_slots[i], _solutions[i]);
                }

                ReplayCycles++;
                break;
            case CycleKind.Edit:
                Admitted += Buffer!.Challenge(_levels, _scores, _returns, _solutions);
                EditCycles++;
                break;
            default:
                Admitted += Buffer!.Challenge(_levels, _scores, _returns, _solutions);
                NewCycles++;
                break;
        }

        Report(progress);
    }

    private CycleKind ChooseKind() => Options.Kind switch
    {
        CurriculumKind.Dr => CycleKind.New,
        CurriculumKind.Accel when _lastReplayed is not null => CycleKind.Edit,
        _ => _rng.Bernoulli(Options.ReplayProbability) ? CycleKind.Replay : CycleKind.New,
    };

    /// <summary>A child of <paramref name="parent"/>: chained edits, each a wall edit, or with probability α one that may also move the goal object.</summary>
    private GridLevel Edit(GridLevel parent)
    {
        var level = parent;
        for (var e = 0; e < Options.EditsPerChild; e++)
        {
            var edits = _rng.NextDouble() < Options.Alpha ? _shiftEdits : _wallEdits;
            if (edits.Mutate(level, ref _rng) is { } edited)
            {
                level = edited.Level;
            }
        }

        return level;
    }

    private void ScoreLevels(CycleKind kind)
    {
        var n = _levels.Length;
        var gamma = _agent.Options.Gamma;
        var rewards = _agent.RolloutRewards;
        for (var i = 0; i < n; i++)
        {
            var env = i;
            var best = LevelScores.BestReturn(rewards, n, i, gamma, t => _agent.RolloutEpisodeEnded(t, env));
            var prior = kind == CycleKind.Replay ? Buffer!.MaxReturn(_slots[i]) : double.NegativeInfinity;
            _returns[i] = Math.Max(best, prior);
            switch (Options.Score)
            {
                case LevelScoreKind.Exact:
                    _solutions[i] ??= LevelScores.Solve(_scenario, _levels[i], _set, _limits);
                    _scores[i] = LevelScores.ExactRegret(_solutions[i]!, _agent.Policy);
                    break;
                case LevelScoreKind.Pvl:
                    _scores[i] = LevelScores.PositiveValueLoss(_agent.RolloutAdvantages, n, i);
                    break;
                default:
                    _scores[i] = LevelScores.MaxMc(_agent.RolloutValues, n, i, _returns[i]);
                    break;
            }
        }
    }

    private void Report(Action<AgentMetric>? progress)
    {
        if (progress is null)
        {
            return;
        }

        var step = _agent.GlobalStep;
        progress(new AgentMetric(CurriculumMetrics.Kind, (int)Options.Kind, step));
        progress(new AgentMetric(CurriculumMetrics.Alpha, Options.Alpha, step));
        progress(new AgentMetric(CurriculumMetrics.NewCycles, NewCycles, step));
        progress(new AgentMetric(CurriculumMetrics.ReplayCycles, ReplayCycles, step));
        progress(new AgentMetric(CurriculumMetrics.EditCycles, EditCycles, step));
        if (Buffer is { } buffer)
        {
            double sum = 0;
            var scored = 0;
            for (var s = 0; s < buffer.Count; s++)
            {
                if (buffer.Scored(s))
                {
                    sum += buffer.Score(s);
                    scored++;
                }
            }

            progress(new AgentMetric(CurriculumMetrics.ScoredLevels, scored, step));
            progress(new AgentMetric(CurriculumMetrics.MeanScore, scored > 0 ? sum / scored : double.NaN, step));
        }
    }

    private enum CycleKind
    {
        New,
        Replay,
        Edit,
    }
}
