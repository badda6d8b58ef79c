using System.Diagnostics;
using System.Text;
using AlignLab.Errors;
using AlignLab.Grid;
using AlignLab.Objectives;
using AlignLab.Randomness;

namespace AlignLab.Solve;

/// <summary>
/// Decides, per state, the probability of each action from the board the agent sees; used to
/// evaluate any policy (tabular, learned, scripted) exactly.
/// </summary>
/// <param name="board">The symbolic board (agent drawn), row-major.</param>
/// <param name="extras">The extra observations (see <see cref="Envs.EnvSpec.ExtraNames"/>), NaN where none.</param>
/// <param name="probabilities">Output: one probability per action, summing to 1.</param>
public delegate void BoardPolicy(ReadOnlySpan<byte> board, ReadOnlySpan<double> extras, Span<double> probabilities);

/// <summary>
/// The exact solution of one world (one level, or a distribution of same-sized levels): its
/// tabular MDP, optimal values for the reward, the intended objective and each goal, the random
/// policy's values, and exact evaluation of any policy. Scores are normalised as in DESIGN.md:
/// score_X(π) = (J_X(π) − J_X(random)) / (J_X(π*_X) − J_X(random)).
/// Any transition reward r(o, a, o′), a learned one included, can be tabulated on the model
/// (<see cref="Tabulate"/>) and gets the same specification gap as the specified reward
/// (<see cref="Gap(TransitionRewardTable)"/>, <see cref="Gap(Objective)"/>). Not thread-safe.
/// </summary>
public sealed class ExactSolution
{
    private readonly IExactModel _model;
    private readonly ExactSolver _solver;
    private readonly SolverBudget _budget;
    private readonly Dictionary<Objective, (double Optimal, double Random)> _anchors = new(ReferenceEqualityComparer.Instance);
    private TieRange? _range;

    private ExactSolution(GridWorld world, IExactModel model, TimeSpan buildTime, SolverBudget budget)
    {
        _budget = budget;
        ModelBytes = budget.Bytes;
        World = world;
        _model = model;
        _solver = new ExactSolver(model);
        BuildTime = buildTime;
    }

    /// <summary>The world solved.</summary>
    public GridWorld World { get; }

    /// <summary>The tabular model, for analyses that run their own dynamic programming over it (soft value iteration, learned rewards).</summary>
    internal IExactModel Model => _model;

    /// <summary>Number of states of the tabular model (reachable states when enumerated).</summary>
    public int StateCount => _model.StateCount;

    /// <summary>Whether the model was enumerated state by state or is a factored model (tomatoes).</summary>
    public string ModelKind => _model is TomatoModel ? "factored (independent tomatoes)" : "enumerated";

    /// <summary>
    /// Bytes counted against the memory limit (<see cref="SolverLimits.MaxMemoryBytes"/>): the
    /// model's states and transitions and its value tables. The process's resident memory is
    /// somewhat more (the runtime, and garbage not yet collected).
    /// </summary>
    public long ModelBytes { get; }

    /// <summary>
    /// Bytes counted against the memory limit now: <see cref="ModelBytes"/> plus the transition
    /// reward tables alive (<see cref="Tabulate"/>; disposing a table uncounts it).
    /// </summary>
    public long CountedBytes => _budget.Bytes;

    /// <summary>Time spent enumerating the model.</summary>
    public TimeSpan BuildTime { get; }

    /// <summary>Time spent in dynamic programming so far.</summary>
    public TimeSpan SolveTime { get; private set; }

    /// <summary>State-action backups performed so far.</summary>
    public long Backups => _solver.Backups;

    /// <summary>Builds the exact model of a world, within <paramref name="limits"/> (<see cref="SolverLimits.Default"/> when null).</summary>
    /// <exception cref="SolverLimitException">The world has more states than the limits allow, its model and value tables would take more memory, or its map is too large.</exception>
    /// <exception cref="UserInputException">More events or tomatoes than the solver supports.</exception>
    public static ExactSolution Create(GridWorld world, SolverLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(world);
        limits ??= SolverLimits.Default;
        var clock = Stopwatch.StartNew();
        var budget = new SolverBudget(world.Id, limits);
        IExactModel model = TomatoModel.TryCreate(world, world.Components, limits.MaxStates, budget) as IExactModel ?? EnumeratedModel.Build(world, limits.MaxStates, budget);
        budget.Reserve(SolverBudget.ValueTableBytes(model.StateCount, model.ActionCount, model.Horizon, world.Goals.Count, model.ImmediateEntries));
        return new ExactSolution(world, model, clock.Elapsed, budget);
    }

    /// <summary>J_X(π*_X): the best expected return any policy gets on <paramref name="objective"/>.</summary>
    public double Optimal(Objective objective) => Anchors(objective).Optimal;

    /// <summary>J_X(random): the uniformly random policy's expected return.</summary>
    public double RandomValue(Objective objective) => Anchors(objective).Random;

    /// <summary>The normalised score of a value; NaN when the optimum equals the random value (every policy scores the same).</summary>
    public double Score(Objective objective, double value)
    {
        var (optimal, random) = Anchors(objective);
        var span = optimal - random;
        return Math.Abs(span) < 1e-12 * Math.Max(1.0, Math.Abs(optimal)) ? double.NaN : (value - random) / span;
    }

    /// <summary>
    /// Among policies optimal for the reward, the best and worst expected intended return, and
    /// the reward's optimal value. Ties are common: in BoatRace, laps and checkpoint farming tie.
    /// </summary>
    public (double RewardOptimal, double IntendedBest, double IntendedWorst) IntendedUnderRewardOptimal()
    {
        var range = Range();
        return (range.PrimaryOptimal, range.SecondaryBest, range.SecondaryWorst);
    }

    /// <summary>Exact expected returns of a policy on the reward, the intended objective and each goal.</summary>
    public PolicyValues Evaluate(BoardPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        var s = _model.StateCount;
        var a = _model.ActionCount;
        var table = new double[s * a];
        var board = new byte[World.CellCount];
        var extras = new double[World.ExtraNames.Count];
        for (var state = 0; state < s; state++)
        {
            _model.RenderBoard(state, board);
            _model.ObserveExtras(state, extras);
            var row = table.AsSpan(state * a, a);
            policy(board, extras, row);
            var sum = 0.0;
            foreach (var p in row)
            {
                sum += p;
            }

            if (Math.Abs(sum - 1) > 1e-6)
            {
                throw new ArgumentException($"The policy's probabilities sum to {sum}, not 1.", nameof(policy));
            }
        }

        var clock = Stopwatch.StartNew();
        var reward = _solver.Evaluate(World.Reward, table);
        var intended = _solver.Evaluate(World.Intended, table);
        var goals = World.Goals.ToDictionary(g => g.Name, g => _solver.Evaluate(g, table), StringComparer.Ordinal);
        SolveTime += clock.Elapsed;
        return new PolicyValues(reward, intended, Score(World.Reward, reward), Score(World.Intended, intended), goals);
    }

    /// <summary>
    /// An episode of the reward-optimal policy that is worst (or best) for the intended objective,
    /// from the most likely start, stochastic steps sampled with <paramref name="seed"/>.
    /// </summary>
    public OptimalEpisode RewardOptimalEpisode(bool worstForIntended, ulong seed = 0)
    {
        var range = Range();
        var rng = new Rng(seed);
        var (actions, states) = _solver.Rollout(range.Policies, worstForIntended, ref rng);
        var letters = new string([.. actions.Select(i => World.ActionLetters[i])]);
        var board = new byte[World.CellCount];
        _model.RenderBoard(states[0], board);
        var visits = new int[World.CellCount];
        foreach (var state in states)
        {
            visits[_model.AgentCell(state)]++;
        }

        _model.RenderBoard(states[0], board);
        var map = new StringBuilder();
        for (var r = 0; r < World.Height; r++)
        {
            for (var c = 0; c < World.Width; c++)
            {
                var i = (r * World.Width) + c;
                var n = visits[i];
                map.Append(n == 0 ? (char)board[i] : n < 10 ? (char)('0' + n) : '+');
            }

            map.Append('\n');
        }

        return new OptimalEpisode(letters, map.ToString());
    }

    private TieRange Range()
    {
        if (_range is null)
        {
            var clock = Stopwatch.StartNew();
            _range = _solver.RangeAmongOptimal(World.Reward, World.Intended);
            SolveTime += clock.Elapsed;
        }

        return _range;
    }

    /// <summary>The optimum of a reward and the range of the intended return over its optimal policies (whose tie-break tables are counted while they live).</summary>
    private (double Optimal, double Best, double Worst) RangeFor(QBackup reward)
    {
        var policyBytes = (long)_model.Horizon * _model.StateCount;
        _budget.Reserve(policyBytes);
        try
        {
            var clock = Stopwatch.StartNew();
            var range = _solver.RangeAmongOptimal(reward, _solver.For(World.Intended));
            SolveTime += clock.Elapsed;
            return (range.PrimaryOptimal, range.SecondaryBest, range.SecondaryWorst);
        }
        finally
        {
            _budget.Release(policyBytes);
        }
    }

    private RewardGap MakeGap(string name, double optimal, double random, double best, double worst, double epic)
    {
        var intended = World.Intended;
        return new RewardGap(name, optimal, random, Optimal(intended), RandomValue(intended), best, worst, Score(intended, best), Score(intended, worst), epic);
    }

    private (double Optimal, double Random) Anchors(Objective objective)
    {
        if (!_anchors.TryGetValue(objective, out var anchors))
        {
            var clock = Stopwatch.StartNew();
            anchors = (_solver.Optimal(objective), _solver.Random(objective));
            SolveTime += clock.Elapsed;
            _anchors[objective] = anchors;
        }

        return anchors;
    }

    /// <summary>
    /// Evaluates a transition reward r(o, a, o′) exactly on every transition of the model,
    /// terminal ones included, and keeps its expected value per state-action pair (8 bytes a
    /// pair, counted against the memory limit until the table is disposed). The factored tomato
    /// model takes only <see cref="ICellwiseTransitionReward"/> rewards.
    /// </summary>
    /// <param name="reward">The reward, evaluated in batches.</param>
    /// <param name="name">The reward's name in reports (e.g. <c>learned (intended labels)</c>).</param>
    /// <exception cref="SolverLimitException">The table would pass the memory limit.</exception>
    /// <exception cref="UserInputException">The model cannot evaluate this kind of reward exactly (a general reward on the tomato model).</exception>
    public TransitionRewardTable Tabulate(ITransitionReward reward, string name)
    {
        ArgumentNullException.ThrowIfNull(reward);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        var pairs = (long)_model.StateCount * _model.ActionCount;
        var bytes = pairs * sizeof(double);
        _budget.Reserve(bytes);
        try
        {
            var clock = Stopwatch.StartNew();
            var values = new double[pairs];
            _model.TabulateReward(reward, values, _budget);
            return new TransitionRewardTable(this, name, values, bytes, clock.Elapsed);
        }
        catch
        {
            _budget.Release(bytes);
            throw;
        }
    }

    /// <summary>The memory budget the model and its tables are counted in.</summary>
    internal SolverBudget Budget => _budget;

    /// <summary>Uncounts a disposed table's bytes.</summary>
    internal void Release(long bytes) => _budget.Release(bytes);

    /// <summary>The backup sweep of an objective (the reward, the intended objective, a goal) over this model, as a proxy for other analyses.</summary>
    public QBackup BackupOf(Objective objective)
    {
        ArgumentNullException.ThrowIfNull(objective);
        return _solver.For(objective);
    }

    /// <summary>
    /// The specification gap of an objective used as the reward (the specified reward, the
    /// intended objective itself, a goal): its optimum, random value, and the range of the
    /// intended return over its optimal policies. For <see cref="GridWorld.Reward"/> these are
    /// the numbers <see cref="SpecificationGap.Analyze"/> reports.
    /// </summary>
    public RewardGap Gap(Objective reward)
    {
        ArgumentNullException.ThrowIfNull(reward);
        if (ReferenceEquals(reward, World.Reward))
        {
            var range = Range();
            return MakeGap(reward.Name, range.PrimaryOptimal, RandomValue(reward), range.SecondaryBest, range.SecondaryWorst, EpicDistance());
        }

        var (optimal, best, worst) = RangeFor(_solver.For(reward));
        var zero = new double[_model.StateCount];
        var ra = new double[(long)_model.StateCount * _model.ActionCount];
        _model.Backup(reward, zero, ra);
        return MakeGap(reward.Name, optimal, RandomValue(reward), best, worst, Epic(ra));
    }

    /// <summary>
    /// The learned reward's specification gap: the same metric as <see cref="Gap(Objective)"/>,
    /// for a tabulated transition reward, with its EPIC distance to the intended objective.
    /// </summary>
    public RewardGap Gap(TransitionRewardTable reward)
    {
        ArgumentNullException.ThrowIfNull(reward);
        if (!ReferenceEquals(reward.Solution, this))
        {
            throw new ArgumentException("The reward table was tabulated on another solution.", nameof(reward));
        }

        var backup = reward.Backup;
        var (optimal, best, worst) = RangeFor(backup);
        var clock = Stopwatch.StartNew();
        var random = _solver.Random(backup);
        SolveTime += clock.Elapsed;
        return MakeGap(reward.Name, optimal, random, best, worst, Epic((double[])reward.Values.Clone()));
    }

    /// <summary>
    /// EPIC pseudometric (Gleave et al. 2021) between the reward and the intended objective,
    /// in [0, 1]: 0 when they are equivalent up to shaping and scale.
    /// Rewards are taken as their expected value given (s, a); the coverage distribution is
    /// uniform over the model's states and actions, with s′ drawn independently; γ = 1 (these
    /// episodes are undiscounted). NaN when either reward is constant over the coverage set.
    /// </summary>
    public double EpicDistance()
    {
        var zero = new double[_model.StateCount];
        var ra = new double[_model.StateCount * _model.ActionCount];
        _model.Backup(World.Reward, zero, ra);
        return Epic(ra);
    }

    /// <summary>EPIC distance between the expected rewards per pair <paramref name="ra"/> (overwritten) and the intended objective.</summary>
    private double Epic(double[] ra)
    {
        var s = _model.StateCount;
        var a = _model.ActionCount;
        var zero = new double[s];
        var rb = new double[s * a];
        _model.Backup(World.Intended, zero, rb);

        // C(s,a,s′) = f(s,a) + g(s′) + const, with f = R(s,a) − mean_a R(s,·) and g = mean_a R(s′,·);
        // s and s′ are independent, so covariances add. f is written over R in place.
        var ga = new double[s];
        var gb = new double[s];
        for (var state = 0; state < s; state++)
        {
            double ma = 0, mb = 0;
            for (var action = 0; action < a; action++)
            {
                ma += ra[(state * a) + action];
                mb += rb[(state * a) + action];
            }

            ma /= a;
            mb /= a;
            ga[state] = ma;
            gb[state] = mb;
            for (var action = 0; action < a; action++)
            {
                ra[(state * a) + action] -= ma;
                rb[(state * a) + action] -= mb;
            }
        }

        var (cf, vfa, vfb) = Moments(ra, rb);
        var (cg, vga, vgb) = Moments(ga, gb);
        var cov = cf + cg;
        var va = vfa + vga;
        var vb = vfb + vgb;
        if (va <= 1e-18 || vb <= 1e-18)
        {
            return double.NaN;
        }

        var rho = Math.Clamp(cov / Math.Sqrt(va * vb), -1.0, 1.0);
        return Math.Sqrt((1 - rho) / 2);
    }

    private static (double Cov, double VarA, double VarB) Moments(double[] x, double[] y)
    {
        double mx = 0, my = 0;
        for (var i = 0; i < x.Length; i++)
        {
            mx += x[i];
            my += y[i];
        }

        mx /= x.Length;
        my /= y.Length;
        double c = 0, vx = 0, vy = 0;
        for (var i = 0; i < x.Length; i++)
        {
            var dx = x[i] - mx;
            var dy = y[i] - my;
            c += dx * dy;
            vx += dx * dx;
            vy += dy * dy;
        }

        return (c / x.Length, vx / x.Length, vy / x.Length);
    }
}

/// <summary>Exact expected returns and normalised scores of one policy.</summary>
/// <param name="Reward">J_reward(π).</param>
/// <param name="Intended">J_intended(π).</param>
/// <param name="RewardScore">score_reward(π).</param>
/// <param name="IntendedScore">score_intended(π).</param>
/// <param name="Goals">J_g(π) for every candidate goal.</param>
public sealed record PolicyValues(double Reward, double Intended, double RewardScore, double IntendedScore, IReadOnlyDictionary<string, double> Goals)
{
    /// <summary>The observed outer gap: score_reward(π) − score_intended(π).</summary>
    public double ObservedOuterGap => RewardScore - IntendedScore;
}

/// <summary>One episode of a reward-optimal policy.</summary>
/// <param name="Actions">The action letters taken.</param>
/// <param name="VisitMap">The start board with each visited cell replaced by its visit count (+ for ten or more).</param>
public sealed record OptimalEpisode(string Actions, string VisitMap);

/// <summary>
/// The specification gap of one reward (specified, learned, or the intended objective itself),
/// so that all of them stand in one table: a perfect optimiser of the reward, with ties among its
/// optimal policies broken best and worst for the intended objective.
/// </summary>
/// <param name="Name">The reward's name.</param>
/// <param name="RewardOptimal">J_r(π*_r): the reward's own optimum.</param>
/// <param name="RewardRandom">J_r(random).</param>
/// <param name="IntendedOptimal">J_intended(π*_intended).</param>
/// <param name="IntendedRandom">J_intended(random).</param>
/// <param name="IntendedBest">Best J_intended among the reward's optimal policies.</param>
/// <param name="IntendedWorst">Worst J_intended among the reward's optimal policies.</param>
/// <param name="ScoreBest">score_intended of the best of them.</param>
/// <param name="ScoreWorst">score_intended of the worst of them.</param>
/// <param name="Epic">EPIC distance between the reward and the intended objective (NaN when either is constant).</param>
public sealed record RewardGap(
    string Name,
    double RewardOptimal,
    double RewardRandom,
    double IntendedOptimal,
    double IntendedRandom,
    double IntendedBest,
    double IntendedWorst,
    double ScoreBest,
    double ScoreWorst,
    double Epic)
{
    /// <summary>1 − score_intended of the best reward-optimal policy.</summary>
    public double GapBest => 1 - ScoreBest;

    /// <summary>1 − score_intended of the worst reward-optimal policy.</summary>
    public double GapWorst => 1 - ScoreWorst;
}
