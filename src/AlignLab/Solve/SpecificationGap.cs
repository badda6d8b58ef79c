using AlignLab.Scenarios;

namespace AlignLab.Solve;

/// <summary>
/// The outer-alignment measurement that needs no learning: how much intended value a perfect
/// optimiser of the specified reward loses. Per level, specification gap =
/// 1 − score_intended(π*_reward); reward-optimal policies often tie, so the gap is a range from
/// the tie-break best for the intended objective to the one worst for it. Over a distribution,
/// levels are weighted equally (the distributions draw levels uniformly).
/// </summary>
public static class SpecificationGap
{
    /// <summary>Number of maps drawn from a generated distribution and solved one by one.</summary>
    public const int SampledLevels = 8;

    /// <summary>
    /// Solves every level of the distribution (train by default), or only
    /// <see cref="BuildOptions.Level"/>; a generated distribution is represented by
    /// <see cref="SampledLevels"/> maps drawn with a fixed seed, each solved exactly.
    /// </summary>
    /// <exception cref="SolverLimitException">A level is too large to solve within <paramref name="limits"/> (<see cref="SolverLimits.Default"/> when null).</exception>
    public static SpecificationReport Analyze(ScenarioDefinition scenario, BuildOptions? options = null, SolverLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        options ??= BuildOptions.Default;
        var distribution = options.Distribution ?? "train";
        var targets = new List<(int Level, BuildOptions Options)>();
        if (options.Level is { } l)
        {
            targets.Add((l, options));
        }
        else if (scenario.GeneratedDistributions.ContainsKey(distribution))
        {
            targets.AddRange(scenario.SampleLevels(distribution, SampledLevels, seed: 0, options.Set).Select((map, i) => (-(i + 1), options with { FixedLevel = map })));
        }
        else
        {
            scenario.Build(options);
            targets.AddRange(scenario.Distributions[distribution].Distinct().Select(n => (n, options with { Level = n })));
        }

        var reports = new List<LevelReport>();
        foreach (var (level, buildOptions) in targets)
        {
            var world = scenario.Build(buildOptions);
            var solution = ExactSolution.Create(world, limits);
            var (rewardOptimal, best, worst) = solution.IntendedUnderRewardOptimal();
            var scoreBest = solution.Score(world.Intended, best);
            var scoreWorst = solution.Score(world.Intended, worst);
            var epic = solution.EpicDistance();
            var episode = solution.RewardOptimalEpisode(worstForIntended: true);
            reports.Add(new LevelReport(
                level,
                solution.StateCount,
                solution.ModelKind,
                solution.BuildTime,
                solution.SolveTime,
                solution.Backups,
                solution.ModelBytes,
                rewardOptimal,
                solution.RandomValue(world.Reward),
                solution.Optimal(world.Intended),
                solution.RandomValue(world.Intended),
                best,
                worst,
                scoreBest,
                scoreWorst,
                epic,
                episode));
        }

        return new SpecificationReport(scenario.Id, options.Distribution ?? (options.Level is null ? "train" : $"level {options.Level}"), reports);
    }
}

/// <summary>The specification gap of a scenario over the levels of one distribution.</summary>
/// <param name="Id">Scenario id.</param>
/// <param name="Distribution">Which levels: a distribution name or a single level.</param>
/// <param name="Levels">Per-level results.</param>
public sealed record SpecificationReport(string Id, string Distribution, IReadOnlyList<LevelReport> Levels)
{
    /// <summary>Smallest gap: the reward-optimal tie-break best for the intended objective (mean over levels).</summary>
    public double GapBest => Levels.Average(l => l.GapBest);

    /// <summary>Largest gap: the reward-optimal tie-break worst for the intended objective (mean over levels).</summary>
    public double GapWorst => Levels.Average(l => l.GapWorst);

    /// <summary>Mean EPIC distance between reward and intended objective.</summary>
    public double Epic => Levels.Average(l => l.Epic);
}

/// <summary>Exact results for one level.</summary>
/// <param name="Level">Level number; −k for the k-th map sampled from a generated distribution.</param>
/// <param name="States">States in the tabular model.</param>
/// <param name="Model">How the model was built.</param>
/// <param name="BuildTime">Time to enumerate the model.</param>
/// <param name="SolveTime">Time in dynamic programming.</param>
/// <param name="Backups">State-action backups performed.</param>
/// <param name="ModelBytes">Bytes the model and its value tables were counted at against the solver's memory limit.</param>
/// <param name="RewardOptimal">J_reward(π*_reward).</param>
/// <param name="RewardRandom">J_reward(random).</param>
/// <param name="IntendedOptimal">J_intended(π*_intended).</param>
/// <param name="IntendedRandom">J_intended(random).</param>
/// <param name="IntendedBest">Best J_intended among reward-optimal policies.</param>
/// <param name="IntendedWorst">Worst J_intended among reward-optimal policies.</param>
/// <param name="ScoreBest">score_intended of the best reward-optimal policy.</param>
/// <param name="ScoreWorst">score_intended of the worst reward-optimal policy.</param>
/// <param name="Epic">EPIC distance between reward and intended objective.</param>
/// <param name="WorstEpisode">An episode of the reward-optimal policy worst for the intended objective.</param>
public sealed record LevelReport(
    int Level,
    int States,
    string Model,
    TimeSpan BuildTime,
    TimeSpan SolveTime,
    long Backups,
    long ModelBytes,
    double RewardOptimal,
    double RewardRandom,
    double IntendedOptimal,
    double IntendedRandom,
    double IntendedBest,
    double IntendedWorst,
    double ScoreBest,
    double ScoreWorst,
    double Epic,
    OptimalEpisode WorstEpisode)
{
    /// <summary>1 − score_intended of the best reward-optimal policy.</summary>
    public double GapBest => 1 - ScoreBest;

    /// <summary>1 − score_intended of the worst reward-optimal policy.</summary>
    public double GapWorst => 1 - ScoreWorst;
}
