using AlignLab.Scenarios;
using AlignLab.Solve;

namespace AlignLab.Diagnostics;

/// <summary>
/// Exact evaluation of policies on one distribution: its fixed levels, or a fixed sample of
/// levels drawn from its generator, each solved once; any number of policies can then be scored
/// cheaply (for learning curves and the final diagnosis alike).
/// </summary>
public sealed class DistributionEvaluator
{
    private readonly List<ExactSolution> _solutions = [];

    /// <summary>
    /// Solves the levels of <paramref name="distribution"/>, each within <paramref name="limits"/>
    /// (<see cref="SolverLimits.Default"/> when null); a generated one is represented by
    /// <paramref name="levels"/> maps drawn with <paramref name="seed"/>.
    /// </summary>
    public DistributionEvaluator(ScenarioDefinition scenario, string distribution, int levels, ulong seed, IReadOnlyDictionary<string, string>? set = null, SolverLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        Distribution = distribution;
        var builds = scenario.GeneratedDistributions.ContainsKey(distribution)
            ? scenario.SampleLevels(distribution, levels, seed, set).Select(level => new BuildOptions(Distribution: distribution, Set: set) { FixedLevel = level }).ToList()
            : [.. scenario.Distributions.TryGetValue(distribution, out var numbers)
                ? numbers.Distinct().Select(level => new BuildOptions(Level: level, Set: set))
                : throw new ScenarioException($"{scenario.Id} has no distribution '{distribution}'{Suggest.DidYouMean(distribution, scenario.DistributionNames)}.")];
        foreach (var build in builds)
        {
            _solutions.Add(ExactSolution.Create(scenario.Build(build), limits));
        }
    }

    /// <summary>The distribution's name.</summary>
    public string Distribution { get; }

    /// <summary>The solved levels.</summary>
    public IReadOnlyList<ExactSolution> Solutions => _solutions;

    /// <summary>
    /// Exact returns and normalised scores of a policy on the distribution. A return is the
    /// mean over the levels (the levels are drawn uniformly, so this is J_X(π, D)); a score
    /// normalises these distribution-level returns as DESIGN.md defines,
    /// (J_X(π, D) − J_X(random, D)) / (J_X(π*_X, D) − J_X(random, D)), with π*_X optimal on each level.
    /// Intervals are 95% percentile-bootstrap intervals over the levels (seeded, so repeatable).
    /// </summary>
    public PolicySummary Evaluate(BoardPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        var objectives = new Dictionary<string, List<(double Policy, double Random, double Optimal)>>(StringComparer.Ordinal);
        void Add(string name, double value, double random, double optimal) =>
            (objectives.TryGetValue(name, out var list) ? list : objectives[name] = []).Add((value, random, optimal));
        foreach (var solution in _solutions)
        {
            var values = solution.Evaluate(policy);
            var world = solution.World;
            Add(RewardKey, values.Reward, solution.RandomValue(world.Reward), solution.Optimal(world.Reward));
            Add(IntendedKey, values.Intended, solution.RandomValue(world.Intended), solution.Optimal(world.Intended));
            foreach (var goal in world.Goals)
            {
                Add(goal.Name, values.Goals[goal.Name], solution.RandomValue(goal), solution.Optimal(goal));
            }
        }

        var goals = objectives.Keys.Where(k => k is not RewardKey and not IntendedKey).ToList();
        return new PolicySummary(
            Estimate.Of(objectives[RewardKey].Select(x => x.Policy)),
            Estimate.Of(objectives[IntendedKey].Select(x => x.Policy)),
            Score(objectives[RewardKey]),
            Score(objectives[IntendedKey]),
            goals.ToDictionary(g => g, g => Score(objectives[g]), StringComparer.Ordinal),
            goals.ToDictionary(g => g, g => Estimate.Of(objectives[g].Select(x => x.Policy)), StringComparer.Ordinal));
    }

    private const string RewardKey = "\0reward";
    private const string IntendedKey = "\0intended";

    /// <summary>The distribution-level normalised score, with a percentile-bootstrap interval over levels.</summary>
    internal static Estimate Score(IReadOnlyList<(double Policy, double Random, double Optimal)> levels)
    {
        static double Ratio(IEnumerable<(double Policy, double Random, double Optimal)> sample)
        {
            double p = 0, r = 0, o = 0;
            foreach (var (policy, random, optimal) in sample)
            {
                p += policy;
                r += random;
                o += optimal;
            }

            var span = o - r;
            return Math.Abs(span) < 1e-12 * Math.Max(1.0, Math.Abs(o)) ? double.NaN : (p - r) / span;
        }

        var mean = Ratio(levels);
        if (levels.Count < 2 || double.IsNaN(mean))
        {
            return new Estimate(mean, mean, mean, levels.Count);
        }

        const int resamples = 1000;
        var rng = new Randomness.Rng(0xB007_57A9UL);
        var draws = new List<double>(resamples);
        var sample = new (double, double, double)[levels.Count];
        for (var b = 0; b < resamples; b++)
        {
            for (var i = 0; i < sample.Length; i++)
            {
                sample[i] = levels[rng.NextInt(levels.Count)];
            }

            var ratio = Ratio(sample);
            if (!double.IsNaN(ratio))
            {
                draws.Add(ratio);
            }
        }

        draws.Sort();
        return draws.Count == 0
            ? new Estimate(mean, mean, mean, levels.Count)
            : new Estimate(mean, draws[(int)(0.025 * (draws.Count - 1))], draws[(int)(0.975 * (draws.Count - 1))], levels.Count);
    }

    /// <summary>Mean optimal and random values of the reward and the intended objective over the levels.</summary>
    public (double RewardOptimal, double RewardRandom, double IntendedOptimal, double IntendedRandom) Anchors() =>
        (_solutions.Average(s => s.Optimal(s.World.Reward)),
         _solutions.Average(s => s.RandomValue(s.World.Reward)),
         _solutions.Average(s => s.Optimal(s.World.Intended)),
         _solutions.Average(s => s.RandomValue(s.World.Intended)));
}

/// <summary>Exact values of one policy on one distribution, over its levels.</summary>
/// <param name="Reward">Expected specified return.</param>
/// <param name="Intended">Expected intended return.</param>
/// <param name="RewardScore">Normalised reward score.</param>
/// <param name="IntendedScore">Normalised intended score.</param>
/// <param name="GoalScores">Normalised score of each candidate goal.</param>
/// <param name="GoalReturns">Expected return of each candidate goal.</param>
public sealed record PolicySummary(Estimate Reward, Estimate Intended, Estimate RewardScore, Estimate IntendedScore, IReadOnlyDictionary<string, Estimate> GoalScores, IReadOnlyDictionary<string, Estimate> GoalReturns)
{
    /// <summary>Observed outer gap: score_reward − score_intended.</summary>
    public double ObservedOuterGap => RewardScore.Mean - IntendedScore.Mean;
}
