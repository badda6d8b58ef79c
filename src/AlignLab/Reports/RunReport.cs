using System.Globalization;
using AlignLab.Envs;
using AlignLab.Errors;
using AlignLab.Runs;
using AlignLab.Scenarios;

namespace AlignLab.Reports;

/// <summary>
/// Rebuilds a report section from what a run store holds: the stored metrics as learning
/// curves, the stored evaluation episodes (replayed through the scenario) as heatmaps and
/// replays, the stored result (<see cref="ReportResult"/> JSON) as verdict, optimum table
/// and goal attribution, and the stored analyses (<see cref="RunStore.Analyses"/>) as their sections.
/// </summary>
public static class RunReport
{
    /// <summary>Builds the section of run <paramref name="runId"/>, replaying at most <paramref name="maxEpisodes"/> stored episodes per distribution for the heatmaps.</summary>
    /// <exception cref="RunStoreException">No such run, or the store cannot be read.</exception>
    public static ReportSection Section(RunStore store, long runId, int maxEpisodes = 200)
    {
        ArgumentNullException.ThrowIfNull(store);
        var run = store.GetRun(runId);
        var config = run.Config;
        var notes = new List<string>();
        ScenarioDefinition? scenario = null;
        try
        {
            scenario = ScenarioRegistry.BuiltIn.Get(config.ScenarioId, config.ScenarioText);
        }
        catch (ScenarioException e)
        {
            notes.Add($"Scenario {config.ScenarioId} could not be loaded ({e.Message}); episodes are not replayed.");
        }

        var result = run.ResultJson is null ? null : ReportResult.FromJson(run.ResultJson);
        if (run.ResultJson is not null && (result is null || (result.Verdict is null && result.Optimum.Count == 0 && result.GoalScores.Count == 0)))
        {
            notes.Add("Stored result (not in the report format): " + run.ResultJson);
        }

        var analyses = RunAnalyses.From(store.Analyses(runId), notes);
        var (heatmaps, replays) = scenario is null ? ([], []) : Episodes(scenario, config, store.Episodes(runId), maxEpisodes, notes);
        var facts = new List<KeyValuePair<string, string>>
        {
            new("run", run.Id.ToString(CultureInfo.InvariantCulture)),
            new("scenario", config.ScenarioId),
            new("distribution", config.Distribution),
            new("agent", config.Agent),
            new("seed", config.Seed.ToString(CultureInfo.InvariantCulture)),
            new("status", run.Status.ToString().ToLowerInvariant()),
            new("code version", run.CodeVersion),
            new("created", run.Created.ToString("u", CultureInfo.InvariantCulture)),
            new("parameters", string.Join(", ", (config.Parameters ?? new Dictionary<string, string>()).Select(p => $"{p.Key}={p.Value}"))),
            new("hyper-parameters", config.HyperParameters?.ToJsonString() ?? "{}"),
        };
        if (store.LatestCheckpointStep(runId) is { } checkpoint)
        {
            facts.Add(new("last checkpoint", $"step {checkpoint.ToString(CultureInfo.InvariantCulture)}"));
        }

        return new ReportSection
        {
            Id = $"{config.ScenarioId} run {run.Id.ToString(CultureInfo.InvariantCulture)}",
            Title = scenario?.Title ?? config.ScenarioId,
            Description = scenario?.Description,
            Facts = facts,
            Verdict = result?.Verdict,
            Curve = Curve(store.Metrics(runId)),
            RewardOptimal = result?.RewardOptimal,
            IntendedOptimal = result?.IntendedOptimal,
            Optimum = result?.Optimum ?? [],
            GoalScores = result?.GoalScores ?? [],
            Heatmaps = heatmaps,
            Replays = replays,
            Notes = notes,
            Analyses = analyses,
        };
    }

    /// <summary>The learning curves: <see cref="RunMetrics.Reward"/>/<see cref="RunMetrics.Intended"/>, else the training-episode means, else the episodic return alone.</summary>
    internal static IReadOnlyList<CurvePoint> Curve(IReadOnlyList<MetricPoint> metrics)
    {
        foreach (var (reward, intended) in new[] { (RunMetrics.Reward, RunMetrics.Intended), (RunMetrics.TrainReward, RunMetrics.TrainIntended), (Agents.MetricNames.EpisodicReturn, string.Empty) })
        {
            var r = metrics.Where(m => m.Name == reward).ToDictionary(m => m.Step, m => m.Value);
            if (r.Count == 0)
            {
                continue;
            }

            var i = metrics.Where(m => m.Name == intended).ToDictionary(m => m.Step, m => m.Value);
            return [.. r.OrderBy(p => p.Key).Select(p => new CurvePoint(p.Key, p.Value, i.GetValueOrDefault(p.Key, double.NaN)))];
        }

        return [];
    }

    private static (List<VisitHeatmap> Heatmaps, List<EpisodeReplay> Replays) Episodes(ScenarioDefinition scenario, RunConfig config, IReadOnlyList<EpisodeRecord> episodes, int maxEpisodes, List<string> notes)
    {
        var heatmaps = new List<VisitHeatmap>();
        var replays = new List<EpisodeReplay>();
        var distributions = episodes.Select(e => e.Distribution).Distinct().OrderBy(d => d == "train" ? 0 : 1).ThenBy(d => d, StringComparer.Ordinal).ToList();
        foreach (var distribution in distributions)
        {
            var byLevel = episodes.Where(e => e.Distribution == distribution).Take(maxEpisodes).GroupBy(e => e.Level).OrderBy(g => g.Key);
            foreach (var level in byLevel)
            {
                var boards = new List<List<string>>();
                foreach (var e in level)
                {
                    try
                    {
                        var (initial, trace) = Replay(scenario, config, e);
                        boards.Add([initial, .. trace.Select(s => s.Board)]);
                        if (replays.Count < 2 && (replays.Count == 0 ? distribution == distributions[0] : distribution != distributions[0]) && !replays.Any(r => r.Title.StartsWith(distribution + ' ', StringComparison.Ordinal)))
                        {
                            replays.Add(EpisodeReplay.FromTrace(Describe(distribution, e), initial, trace));
                        }
                    }
                    catch (Exception ex) when (ex is UserInputException or ArgumentException || ex is ScenarioException)
                    {
                        notes.Add($"Episode {e.Index} of {distribution} level {e.Level} could not be replayed: {ex.Message}");
                        break;
                    }
                }

                if (boards.Count > 0)
                {
                    heatmaps.Add(VisitHeatmap.FromBoards($"{distribution}, level {level.Key.ToString(CultureInfo.InvariantCulture)}: agent positions over {boards.Count.ToString(CultureInfo.InvariantCulture)} episodes", boards, scenario.AgentSymbol));
                }
            }
        }

        if (episodes.Count == 0)
        {
            notes.Add("No evaluation episodes stored: no heatmaps or replays.");
        }

        return (heatmaps, replays);
    }

    private static string Describe(string distribution, EpisodeRecord e) =>
        FormattableString.Invariant($"{distribution} level {e.Level}, episode {e.Index}: reward {Numbers.Format(e.Reward)}, intended {Numbers.Format(e.Intended)}") +
        (e.AchievedGoals.Count > 0 ? ", achieved " + string.Join(", ", e.AchievedGoals) : string.Empty);

    private static (string Initial, IReadOnlyList<ReplayStep> Trace) Replay(ScenarioDefinition scenario, RunConfig config, EpisodeRecord e)
    {
        // Fixed distributions name scenario levels; generated ones draw their level from the episode seed.
        var options = scenario.Distributions.ContainsKey(e.Distribution)
            ? new BuildOptions(e.Level, null, config.Parameters)
            : new BuildOptions(null, e.Distribution, config.Parameters);
        var env = EnvironmentFactory.Make(scenario.Build(options), e.Seed ?? config.Seed);
        env.Env.Reset(e.Seed);
        var initial = ActionScript.BoardText(env.Env);
        var replay = ActionScript.Replay(env, e.Actions, e.Seed, keepTrace: true);
        return (initial, replay.Trace);
    }
}
