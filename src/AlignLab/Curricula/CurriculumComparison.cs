using System.Text.Json.Nodes;
using AlignLab.Agents;
using AlignLab.Diagnostics;
using AlignLab.Envs;
using AlignLab.Errors;
using AlignLab.Experiments;
using AlignLab.Scenarios;

namespace AlignLab.Curricula;

/// <summary>What <see cref="CurriculumComparison.Run"/> compares.</summary>
/// <param name="ScenarioId">Scenario id or scenario file; its train and shift distributions must be generated.</param>
/// <param name="Kinds">The curricula.</param>
/// <param name="Scores">The level scores PLR⊥ and ACCEL run with (a row each; DR has no score).</param>
/// <param name="Alphas">The α values.</param>
/// <param name="Seeds">Seeds 0 … Seeds − 1 per cell; at least 1.</param>
/// <param name="Steps">Environment steps per run (every cycle counted).</param>
/// <param name="EvalLevels">Levels of the shift distribution solved for the deployment score and the regret correlation.</param>
/// <param name="Set">Scenario parameters.</param>
/// <param name="Preset">The PPO preset.</param>
/// <param name="PpoOverrides">PPO options over the preset, <c>name=value</c> (as <c>--ppo</c>).</param>
/// <param name="Curriculum">The other curriculum settings (buffer, replay probability, temperature, staleness, edits, shift distribution); its kind, α and score are replaced per row.</param>
public sealed record ComparisonSpec(string ScenarioId, IReadOnlyList<CurriculumKind> Kinds, IReadOnlyList<LevelScoreKind> Scores, IReadOnlyList<double> Alphas, int Seeds, long Steps, int EvalLevels, IReadOnlyDictionary<string, string>? Set, string Preset, IReadOnlyList<string> PpoOverrides, CurriculumOptions Curriculum);

/// <summary>One method × score × α cell, over seeds.</summary>
/// <param name="Kind">The curriculum.</param>
/// <param name="Score">The level score (meaningless for DR).</param>
/// <param name="Alpha">α.</param>
/// <param name="Deploy">Exact normalised score of the intended objective on the shift distribution: mean over seeds with a Student-t 95% interval.</param>
/// <param name="DeployReturn">Exact expected intended return on the shift distribution (for CheeseInTheCorner, the probability of eating the cheese): mean over seeds with a Student-t 95% interval.</param>
/// <param name="Train">The normalised intended score on the train distribution.</param>
/// <param name="PvlCorrelation">Mean over seeds of Spearman's ρ between exact regret and PVL over the deployment levels.</param>
/// <param name="MaxMcCorrelation">Mean over seeds of Spearman's ρ between exact regret and MaxMC over the deployment levels.</param>
/// <param name="ExactRegret">Mean over seeds and deployment levels of the exact oracle regret of the final policy.</param>
/// <param name="PerSeed">Each seed's deployment score.</param>
public sealed record ComparisonRow(CurriculumKind Kind, LevelScoreKind Score, double Alpha, Estimate Deploy, Estimate DeployReturn, Estimate Train, double PvlCorrelation, double MaxMcCorrelation, double ExactRegret, IReadOnlyList<double> PerSeed);

/// <summary>The comparison table.</summary>
/// <param name="Spec">What was compared.</param>
/// <param name="ScenarioId">The scenario's id.</param>
/// <param name="StepsPerRun">Environment steps each run took (whole cycles).</param>
/// <param name="Rows">One row per method × score × α.</param>
public sealed record ComparisonTable(ComparisonSpec Spec, string ScenarioId, long StepsPerRun, IReadOnlyList<ComparisonRow> Rows)
{
    /// <summary>The table as JSON.</summary>
    public JsonObject ToJson()
    {
        static JsonNode? Number(double v) => double.IsFinite(v) ? JsonValue.Create(v) : null;
        static JsonObject Interval(Estimate e) => new() { ["mean"] = Number(e.Mean), ["low"] = Number(e.Low), ["high"] = Number(e.High), ["n"] = e.N };
        return new JsonObject
        {
            ["scenario"] = ScenarioId,
            ["preset"] = Spec.Preset,
            ["ppo"] = new JsonArray([.. Spec.PpoOverrides.Select(o => (JsonNode?)JsonValue.Create(o))]),
            ["steps"] = StepsPerRun,
            ["seeds"] = Spec.Seeds,
            ["eval_levels"] = Spec.EvalLevels,
            ["curriculum"] = Spec.Curriculum.ToJson(),
            ["rows"] = new JsonArray([.. Rows.Select(r => (JsonNode)new JsonObject
            {
                ["method"] = CurriculumOptions.Name(r.Kind),
                ["score"] = r.Kind == CurriculumKind.Dr ? null : CurriculumOptions.Name(r.Score),
                ["alpha"] = r.Alpha,
                ["deploy_intended_score"] = Interval(r.Deploy),
                ["deploy_intended_return"] = Interval(r.DeployReturn),
                ["train_intended_score"] = Interval(r.Train),
                ["rho_exact_pvl"] = Number(r.PvlCorrelation),
                ["rho_exact_maxmc"] = Number(r.MaxMcCorrelation),
                ["mean_exact_regret"] = Number(r.ExactRegret),
                ["per_seed_deploy"] = new JsonArray([.. r.PerSeed.Select(Number)]),
            })]),
        };
    }
}

/// <summary>
/// Trains PPO through each curriculum at each α over seeds and measures, exactly, the final policy's score of the
/// intended objective on the shift (deployment) distribution, the comparison Sadek et al. 2025 make, and how well
/// the estimated regrets rank the deployment levels against the exact oracle regret. Runs are independent and
/// deterministic; <c>jobs</c> only changes how many train at once.
/// </summary>
public static class CurriculumComparison
{
    /// <summary>The seed of the deployment and train evaluation samples (the same levels for every run).</summary>
    public const ulong EvaluationSeed = 0xE7A1;

    /// <summary>Runs the comparison; <paramref name="log"/> gets one line per finished run, in run order.</summary>
    /// <exception cref="UserInputException">A scenario without generated distributions, bad sizes, or options out of range.</exception>
    public static ComparisonTable Run(ComparisonSpec spec, int jobs = 1, Action<string>? log = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (spec.Seeds < 1 || spec.Steps < 1 || spec.EvalLevels < 2 || spec.Kinds.Count == 0 || spec.Alphas.Count == 0 || spec.Scores.Count == 0)
        {
            throw new UserInputException($"seeds ({spec.Seeds}) and steps ({spec.Steps}) must be at least 1, evaluation levels ({spec.EvalLevels}) at least 2, and at least one method, score and α given.");
        }

        var scenario = ScenarioRegistry.BuiltIn.Get(spec.ScenarioId);
        var cells = new List<(CurriculumKind Kind, LevelScoreKind Score, double Alpha)>();
        foreach (var kind in spec.Kinds)
        {
            foreach (var score in kind == CurriculumKind.Dr ? [spec.Scores[0]] : spec.Scores)
            {
                cells.AddRange(spec.Alphas.Select(alpha => (kind, score, alpha)));
            }
        }

        // Check everything user input decides before any training.
        var first = Options(spec, cells[0]);
        Experiment.Validate(new ExperimentSpec(spec.ScenarioId, PpoAgent.Definition.Name, spec.Steps, 0, spec.Set) { AgentOptions = AgentOptions(spec), Curriculum = first });
        foreach (var cell in cells)
        {
            Options(spec, cell).Validate();
        }

        var count = cells.Count * spec.Seeds;
        var results = new SeedResult[count];
        using (var runs = new OrderedRuns<SeedResult>(count, jobs, (i, _) => RunOne(spec, scenario, cells[i / spec.Seeds], (ulong)(i % spec.Seeds))))
        {
            for (var i = 0; i < count; i++)
            {
                results[i] = runs.Result(i);
                var (kind, score, alpha) = cells[i / spec.Seeds];
                log?.Invoke(FormattableString.Invariant($"{CurriculumOptions.Name(kind)} ({CurriculumOptions.Name(score)}) α={alpha} seed {i % spec.Seeds}: deploy intended score {results[i].Deploy:0.000} (return {results[i].DeployReturn:0.000}), train {results[i].Train:0.000}, ρ(exact, PVL) {results[i].Pvl:0.00}, ρ(exact, MaxMC) {results[i].MaxMc:0.00}"));
            }
        }

        var rows = cells.Select((cell, c) =>
        {
            var seeds = results.Skip(c * spec.Seeds).Take(spec.Seeds).ToList();
            return new ComparisonRow(cell.Kind, cell.Score, cell.Alpha, OverSeeds(seeds.Select(s => s.Deploy)), OverSeeds(seeds.Select(s => s.DeployReturn)), OverSeeds(seeds.Select(s => s.Train)), Mean(seeds.Select(s => s.Pvl)), Mean(seeds.Select(s => s.MaxMc)), Mean(seeds.Select(s => s.Regret)), [.. seeds.Select(s => s.Deploy)]);
        }).ToList();
        return new ComparisonTable(spec, scenario.Id, results[0].Steps, rows);
    }

    /// <summary>Mean with a Student-t 95% interval (t quantile for n − 1 degrees of freedom); NaN values are skipped.</summary>
    public static Estimate OverSeeds(IEnumerable<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var list = values.Where(v => !double.IsNaN(v)).ToList();
        if (list.Count == 0)
        {
            return new Estimate(double.NaN, double.NaN, double.NaN, 0);
        }

        var mean = list.Average();
        if (list.Count == 1)
        {
            return new Estimate(mean, mean, mean, 1);
        }

        var sd = Math.Sqrt(list.Sum(v => (v - mean) * (v - mean)) / (list.Count - 1));
        var half = StudentT975(list.Count - 1) * sd / Math.Sqrt(list.Count);
        return new Estimate(mean, mean - half, mean + half, list.Count);
    }

    /// <summary>The 97.5% quantile of Student's t with <paramref name="df"/> degrees of freedom (tabulated to 30, then 1.96 + 2.4/df).</summary>
    internal static double StudentT975(int df)
    {
        double[] table = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042];
        ArgumentOutOfRangeException.ThrowIfLessThan(df, 1);
        return df <= table.Length ? table[df - 1] : 1.96 + (2.4 / df);
    }

    private static double Mean(IEnumerable<double> values)
    {
        var list = values.Where(v => !double.IsNaN(v)).ToList();
        return list.Count == 0 ? double.NaN : list.Average();
    }

    private static object AgentOptions(ComparisonSpec spec) =>
        spec.PpoOverrides.Count == 0 ? PpoAgent.Definition.Preset(spec.Preset) : PpoAgent.Definition.Override(PpoAgent.Definition.Preset(spec.Preset), spec.PpoOverrides);

    private static CurriculumOptions Options(ComparisonSpec spec, (CurriculumKind Kind, LevelScoreKind Score, double Alpha) cell) =>
        spec.Curriculum with { Kind = cell.Kind, Score = cell.Score, Alpha = cell.Alpha };

    private static SeedResult RunOne(ComparisonSpec spec, ScenarioDefinition scenario, (CurriculumKind Kind, LevelScoreKind Score, double Alpha) cell, ulong seed)
    {
        var world = scenario.Build(new BuildOptions(Set: spec.Set));
        var options = (PpoOptions)PpoAgent.Definition.Configure(AgentOptions(spec), spec.Steps, seed);
        var agent = new PpoAgent(world, options);
        var curriculum = Options(spec, cell);
        var trainer = new CurriculumTrainer(scenario, spec.Set, world, agent, curriculum, seed);
        trainer.Train(long.MaxValue);
        var steps = agent.GlobalStep;

        var deploy = new DistributionEvaluator(scenario, curriculum.ShiftDistribution, spec.EvalLevels, EvaluationSeed, spec.Set);
        var train = new DistributionEvaluator(scenario, "train", spec.EvalLevels, EvaluationSeed, spec.Set);
        var deployed = deploy.Evaluate(agent.Policy);
        var trainScore = train.Evaluate(agent.Policy).IntendedScore.Mean;
        var (pvl, maxMc, regret) = RegretAgreement(scenario, spec, curriculum.ShiftDistribution, deploy, world, agent, seed);
        return new SeedResult(deployed.IntendedScore.Mean, deployed.Intended.Mean, trainScore, pvl, maxMc, regret, steps);
    }

    /// <summary>
    /// On the deployment levels (the evaluator's, in its order): the exact regret of the final policy on each, and PVL
    /// and MaxMC from one rollout cycle of the policy on each (no update; R_max the cycle's best return); returns the
    /// rank correlations of each estimate with the exact regret and the mean exact regret.
    /// </summary>
    internal static (double Pvl, double MaxMc, double MeanRegret) RegretAgreement(ScenarioDefinition scenario, ComparisonSpec spec, string distribution, DistributionEvaluator evaluator, Grid.GridWorld world, PpoAgent agent, ulong seed)
    {
        var levels = scenario.SampleLevels(distribution, spec.EvalLevels, EvaluationSeed, spec.Set);
        var n = agent.Options.NumEnvs;
        var env = EnvironmentFactory.MakeVector(world, n, seed ^ 0x5C0_4E5UL).Env;
        var exact = new List<double>();
        var pvl = new List<double>();
        var maxMc = new List<double>();
        for (var start = 0; start < levels.Count; start += n)
        {
            for (var i = 0; i < n; i++)
            {
                env.AssignLevel(i, levels[Math.Min(start + i, levels.Count - 1)]);
            }

            agent.CurriculumRollout(env, null);
            for (var i = 0; i < n && start + i < levels.Count; i++)
            {
                var index = i;
                var best = LevelScores.BestReturn(agent.RolloutRewards, n, i, agent.Options.Gamma, t => agent.RolloutEpisodeEnded(t, index));
                pvl.Add(LevelScores.PositiveValueLoss(agent.RolloutAdvantages, n, i));
                maxMc.Add(LevelScores.MaxMc(agent.RolloutValues, n, i, best));
                exact.Add(LevelScores.ExactRegret(evaluator.Solutions[start + i], agent.Policy));
            }
        }

        return (LevelScores.RankCorrelation(exact, pvl), LevelScores.RankCorrelation(exact, maxMc), exact.Average());
    }

    private sealed record SeedResult(double Deploy, double DeployReturn, double Train, double Pvl, double MaxMc, double Regret, long Steps);
}
