using System.Globalization;
using AlignLab.Diagnostics;
using AlignLab.Reports;
using AlignLab.Scenarios;

namespace AlignLab.Experiments;

/// <summary>Turns an experiment's measurements into a report section (and the result stored with a run).</summary>
public static class ExperimentReport
{
    /// <summary>The verdict, the optimum table and the goal scores, as stored with a run.</summary>
    public static ReportResult Result(ExperimentResult r)
    {
        ArgumentNullException.ThrowIfNull(r);
        var verdict = new ReportVerdict(r.Verdict.OuterAligned, r.Verdict.InnerAligned, r.Verdict.Checks, r.Verdict.Classification?.Describe());
        var optimum = new List<OptimumRow>();
        var level = r.Specification.Levels;
        var rewardOptimal = level.Average(l => l.RewardOptimal);
        var intendedOptimal = level.Average(l => l.IntendedOptimal);
        optimum.Add(new OptimumRow("reward (specified)", r.Train.Reward.Mean, rewardOptimal, level.Average(l => l.RewardRandom)));
        optimum.Add(new OptimumRow("intended", r.Train.Intended.Mean, intendedOptimal, level.Average(l => l.IntendedRandom)));
        optimum.Add(new OptimumRow("intended of the reward-optimal policy (worst tie)", level.Average(l => l.IntendedWorst), intendedOptimal, level.Average(l => l.IntendedRandom)));
        var goalScores = r.Diagnosis.Distributions.Select(d => new GoalScoreSet(
            d.Distribution,
            [.. d.Goals.Select(g => new GoalScore(g.Key, g.Value.Mean, g.Value.Low, g.Value.High, g.Value.N, d.Achieved.GetValueOrDefault(g.Key)?.Mean))],
            d.AttributedGoal)).ToList();
        return new ReportResult(verdict, optimum, goalScores, rewardOptimal, intendedOptimal);
    }

    /// <summary>A full report section: verdict, curves, optimum, goal attribution, heatmaps and replays.</summary>
    public static ReportSection Section(ExperimentResult r, IReadOnlyList<SampledEpisode> trainEpisodes, IReadOnlyList<SampledEpisode> deployEpisodes, IEnumerable<KeyValuePair<string, string>>? facts = null)
    {
        ArgumentNullException.ThrowIfNull(r);
        ArgumentNullException.ThrowIfNull(trainEpisodes);
        ArgumentNullException.ThrowIfNull(deployEpisodes);
        var scenario = ScenarioRegistry.BuiltIn.Get(r.Spec.ScenarioId, r.Spec.ScenarioText);
        var result = Result(r);
        var heatmaps = new List<VisitHeatmap>();
        var replays = new List<EpisodeReplay>();
        foreach (var (episodes, label) in new[] { (trainEpisodes, "trained (train distribution)"), (deployEpisodes, "deployed") })
        {
            if (episodes.Count == 0)
            {
                continue;
            }

            heatmaps.Add(Heatmap(episodes, $"{label}: first map, {episodes.Count(e => e.Boards[0] == episodes[0].Boards[0])} episode(s) on it"));
            var first = episodes[0];
            var frames = new List<ReplayFrame> { new(first.Boards[0], null, 0, 0) };
            double reward = 0, intended = 0;
            for (var t = 0; t < first.Actions.Length; t++)
            {
                reward += first.Rewards[t];
                intended += first.Intended[t];
                frames.Add(new ReplayFrame(first.Boards[t + 1], first.Actions[t], reward, intended));
            }

            replays.Add(new EpisodeReplay($"{label} episode ({first.Distribution})", frames));
        }

        var allFacts = new List<KeyValuePair<string, string>>
        {
            new("agent", r.Spec.Agent),
            new("training steps", r.Spec.Steps.ToString("N0", CultureInfo.InvariantCulture)),
            new("seed", r.Spec.Seed.ToString(CultureInfo.InvariantCulture)),
            new("parameters", r.Spec.Set is { Count: > 0 } set ? string.Join(", ", set.Select(kv => $"{kv.Key}={kv.Value}")) : "defaults"),
            new("training time", FormattableString.Invariant($"{r.TrainingTime.TotalSeconds:0.0} s")),
            new("specification gap", FormattableString.Invariant($"{r.Specification.GapBest:0.###} to {r.Specification.GapWorst:0.###} (exact, {r.Specification.Levels.Count} level(s))")),
            new("observed outer gap", FormattableString.Invariant($"{r.Train.ObservedOuterGap:0.###}")),
        };
        if (r.Diagnosis.Distributions.Count > 1)
        {
            allFacts.Add(new("generalisation gap", FormattableString.Invariant($"{r.Diagnosis.GeneralisationGap:0.###}")));
            allFacts.Add(new("classification", $"{r.Diagnosis.Classification.Describe()}: {r.Diagnosis.Reason}"));
        }

        allFacts.AddRange(facts ?? []);
        return new ReportSection
        {
            Id = r.ScenarioId + (r.Spec.Set is { Count: > 0 } s ? "-" + string.Join("-", s.Select(kv => $"{kv.Key}{kv.Value}")) : string.Empty),
            Title = scenario.Title,
            Description = scenario.Description,
            Facts = allFacts,
            Verdict = result.Verdict,
            Curve = [.. r.Curve.Select(p => new CurvePoint(p.Step, p.Reward, p.Intended))],
            RewardOptimal = result.RewardOptimal,
            IntendedOptimal = result.IntendedOptimal,
            Optimum = result.Optimum,
            GoalScores = result.GoalScores,
            Heatmaps = heatmaps,
            Replays = replays,
        };
    }

    /// <summary>Visits of the agent per cell over the episodes played on the first episode's map.</summary>
    private static VisitHeatmap Heatmap(IReadOnlyList<SampledEpisode> episodes, string title)
    {
        var map = episodes[0].Boards[0].Split('\n');
        var width = map[0].Length;
        var visits = map.Select(row => new double[row.Length]).ToArray();
        foreach (var episode in episodes.Where(e => e.Boards[0] == episodes[0].Boards[0]))
        {
            foreach (var cell in episode.AgentCells)
            {
                visits[cell / width][cell % width]++;
            }
        }

        return new VisitHeatmap(title, map, visits);
    }
}
