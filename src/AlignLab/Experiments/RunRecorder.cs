using System.Globalization;
using System.Text.Json.Nodes;
using AlignLab.Agents;
using AlignLab.Diagnostics;
using AlignLab.Errors;
using AlignLab.Runs;
using AlignLab.Scenarios;

namespace AlignLab.Experiments;

/// <summary>
/// The lifecycle of one recorded run: creates it in the <see cref="RunStore"/> with its configuration (scenario,
/// agent, the agent's options record, the run's own settings and seed; the store adds the code version), records
/// every curve point with the agent's latest scalars and a checkpoint (written through a stream, with the agent's
/// generator state), the evaluation episodes, and the result; marks the run failed if training throws. A killed
/// run is reopened with <see cref="Open"/> and continued with <see cref="Experiment.Resume"/>. A scenario file's text
/// is stored with the run, and the run is leased to this process (<see cref="RunStore.ClaimRun"/>) from
/// <see cref="Create"/> or <see cref="Open"/> until it finishes or fails, so no other process resumes it meanwhile.
/// </summary>
public sealed class RunRecorder
{
    private const string StepsKey = "steps";
    private const string CurvePointsKey = "curve_points";
    private const string EvalLevelsKey = "eval_levels";
    private const string EpisodesKey = "episodes";
    private const string StopAtKey = "stop_at";
    private const string GeneratorKey = "generator";
    private const string CurriculumKey = "curriculum";

    /// <summary>
    /// The size of the last checkpoint written, so the next one's buffer is allocated once at its size: a DQN
    /// checkpoint holds its replay buffer (about 100 MB on a 13×13 maze), and a buffer grown by doubling left several
    /// times that in large-object garbage per checkpoint.
    /// </summary>
    private int _lastCheckpointBytes;

    private RunRecorder(RunStore store, long runId, ExperimentSpec spec)
    {
        Store = store;
        RunId = runId;
        Spec = spec;
    }

    /// <summary>The store the run is in.</summary>
    public RunStore Store { get; }

    /// <summary>The run's id in <see cref="Store"/>.</summary>
    public long RunId { get; }

    /// <summary>What the run trains (for a reopened run, as it was recorded).</summary>
    public ExperimentSpec Spec { get; }

    /// <summary>Called with the step of every checkpoint once it is safely in the store.</summary>
    public Action<long>? Checkpointed { get; init; }

    /// <summary>
    /// Creates the run for <paramref name="spec"/> in <paramref name="store"/>, with status running. The agent's
    /// options are resolved and validated first, so nothing is written for a spec that cannot run.
    /// </summary>
    /// <exception cref="UserInputException">Unknown agent, options that do not validate, or a scenario file that cannot be read.</exception>
    public static RunRecorder Create(RunStore store, ExperimentSpec spec, Action<long>? checkpointed = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(spec);
        spec = spec with { ScenarioText = spec.ScenarioText ?? ScenarioFileText(spec.ScenarioId) };
        var definition = AgentRegistry.Get(spec.Agent);
        var options = definition.Configure(spec.AgentOptions, spec.Steps, spec.Seed);
        var settings = new JsonObject
        {
            [StepsKey] = spec.Steps,
            [CurvePointsKey] = spec.CurvePoints,
            [EvalLevelsKey] = spec.EvalLevels,
            [EpisodesKey] = spec.Episodes,
            [StopAtKey] = spec.StopAtScore,
            [GeneratorKey] = "xoshiro256** from the run's seed; the agent's generator state is stored with every checkpoint, the first at step 0",
            [CurriculumKey] = spec.Curriculum?.ToJson(),
        };
        var id = store.CreateRun(new RunConfig(spec.ScenarioId, spec.Agent, spec.Seed, "train", spec.Set, definition.ToJson(options), settings, spec.ScenarioText));
        store.ClaimRun(id);
        return new RunRecorder(store, id, spec with { AgentOptions = options }) { Checkpointed = checkpointed };
    }

    /// <summary>Reopens a run that was killed or failed, to resume it from its last checkpoint, and leases it to this process.</summary>
    /// <exception cref="UserInputException">The run has finished, has no checkpoint yet, or was recorded by an AlignLab that stored no settings.</exception>
    /// <exception cref="RunStoreException">No such run, its records are damaged, or another process is training or resuming it.</exception>
    public static RunRecorder Open(RunStore store, long runId, Action<long>? checkpointed = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        var info = store.GetRun(runId);
        if (info.Status == RunStatus.Finished)
        {
            throw new UserInputException($"run {runId} has already finished.");
        }

        var settings = info.Config.Settings;
        if (settings is null || !settings.ContainsKey(StepsKey))
        {
            throw new UserInputException($"run {runId} was recorded by an earlier AlignLab that did not store its settings; start it again.");
        }

        if (settings[CurriculumKey] is JsonObject curriculum)
        {
            // A checkpoint holds the agent and its environments, not the curriculum's level buffer and generators.
            throw new UserInputException($"run {runId} trained through a curriculum ({curriculum["kind"]}), whose level buffer is not checkpointed, so it cannot be resumed; start it again.");
        }

        if (store.LatestCheckpointStep(runId) is null)
        {
            throw new UserInputException($"run {runId} has no checkpoint yet; start it again.");
        }

        try
        {
            var definition = AgentRegistry.Get(info.Config.Agent);
            var options = definition.FromJson(info.Config.HyperParameters ?? throw new InvalidDataException("no hyper-parameters"));
            T Setting<T>(string key) => (settings[key] ?? throw new InvalidDataException($"no setting '{key}'")).GetValue<T>();
            var spec = new ExperimentSpec(
                info.Config.ScenarioId,
                info.Config.Agent,
                Setting<long>(StepsKey),
                info.Config.Seed,
                info.Config.Parameters,
                Setting<int>(CurvePointsKey),
                Setting<int>(EvalLevelsKey),
                Setting<int>(EpisodesKey))
            {
                AgentOptions = options,
                StopAtScore = settings[StopAtKey]?.GetValue<double>(),
                ScenarioText = info.Config.ScenarioText,
            };
            var recorder = new RunRecorder(store, runId, spec) { Checkpointed = checkpointed };
            store.ClaimRun(runId);
            return recorder;
        }
        catch (Exception e) when (e is InvalidDataException or InvalidOperationException or FormatException)
        {
            throw new RunStoreException($"{store.Path} is corrupt: run {runId}'s configuration cannot be read ({e.Message}).", e);
        }
    }

    /// <summary>Records sampled evaluation episodes of the trained policy (one transaction).</summary>
    public void RecordEpisodes(IEnumerable<SampledEpisode> episodes)
    {
        ArgumentNullException.ThrowIfNull(episodes);
        Store.AddEpisodes(RunId, episodes.Select(e => new EpisodeRecord(
            e.Distribution, 0, e.Index, e.Rewards.Sum(), e.Intended.Sum(), e.GoalReturns, [.. e.GoalReturns.Where(g => g.Value > 0).Select(g => g.Key)], e.Actions, Spec.Seed)));
    }

    /// <summary>
    /// Restores <paramref name="agent"/> from the run's latest checkpoint (checked against its checksum) and returns the
    /// recorded learning curve up to its step, which a resumed run continues.
    /// </summary>
    /// <exception cref="UserInputException">The run has no checkpoint.</exception>
    /// <exception cref="RunStoreException">The checkpoint fails its checksum, is truncated or damaged, or a curve point lacks a value.</exception>
    internal IReadOnlyList<CurveSample> LoadLatestCheckpoint(IAgent agent)
    {
        var (step, weights) = Store.OpenLatestCheckpoint(RunId) ?? throw new UserInputException($"run {RunId} has no checkpoint yet; start it again.");
        using (weights)
        {
            try
            {
                agent.LoadCheckpoint(weights);
            }
            catch (Exception e) when (e is InvalidDataException or EndOfStreamException or FormatException or OverflowException or KeyNotFoundException or InvalidOperationException or ArgumentException or IndexOutOfRangeException or NotSupportedException or System.Text.Json.JsonException)
            {
                throw new RunStoreException(string.Create(CultureInfo.InvariantCulture, $"{Store.Path} is corrupt: run {RunId}'s checkpoint at step {step} is truncated or damaged ({e.Message.ReplaceLineEndings(" ").TrimEnd('.')})."), e);
            }
        }

        return [.. CurveUpTo(agent.Step)];
    }

    /// <summary>The recorded learning curve up to <paramref name="step"/> (a resumed run continues it).</summary>
    /// <exception cref="RunStoreException">A curve point lacks one of its two values.</exception>
    internal IEnumerable<CurveSample> CurveUpTo(long step)
    {
        var points = Store.Metrics(RunId).Where(m => m.Step <= step && m.Name is RunMetrics.Reward or RunMetrics.Intended).GroupBy(m => m.Step).OrderBy(g => g.Key);
        foreach (var point in points)
        {
            var reward = point.Where(m => m.Name == RunMetrics.Reward).ToList();
            var intended = point.Where(m => m.Name == RunMetrics.Intended).ToList();
            if (reward.Count != 1 || intended.Count != 1)
            {
                throw new RunStoreException(string.Create(CultureInfo.InvariantCulture, $"{Store.Path} is corrupt: run {RunId}'s curve point at step {point.Key} lacks '{(reward.Count != 1 ? RunMetrics.Reward : RunMetrics.Intended)}'."));
            }

            yield return new CurveSample(point.Key, reward[0].Value, intended[0].Value);
        }
    }

    /// <summary>
    /// Records the untrained agent's checkpoint at step 0: the generators' state the run starts from (the store's
    /// <c>rng</c> column), and a point to resume from should the run be killed before its first curve point.
    /// </summary>
    internal void RecordStart(IAgent agent) => SaveCheckpoint(agent);

    /// <summary>Records a curve point (exact values and scores, and the agent's scalars since the last one), then a checkpoint.</summary>
    internal void RecordCurvePoint(CurveSample point, PolicySummary summary, IReadOnlyDictionary<string, double> agentMetrics, IAgent agent)
    {
        var values = new Dictionary<string, double>(agentMetrics, StringComparer.Ordinal)
        {
            [RunMetrics.Reward] = point.Reward,
            [RunMetrics.Intended] = point.Intended,
            [RunMetrics.RewardScore] = summary.RewardScore.Mean,
            [RunMetrics.IntendedScore] = summary.IntendedScore.Mean,
        };
        Store.AppendMetrics(RunId, point.Step, values);
        SaveCheckpoint(agent);
    }

    private void SaveCheckpoint(IAgent agent)
    {
        using (var checkpoint = new MemoryStream(_lastCheckpointBytes))
        {
            agent.SaveCheckpoint(checkpoint);
            _lastCheckpointBytes = (int)checkpoint.Length;
            checkpoint.Position = 0;
            Store.SaveCheckpoint(RunId, agent.Step, checkpoint, agent.GeneratorState());
        }

        Checkpointed?.Invoke(agent.Step);
    }

    /// <summary>Records the result and marks the run finished (which ends its lease).</summary>
    internal void Finish(ExperimentResult result) => Store.SetResult(RunId, ExperimentReport.Result(result).ToJson());

    /// <summary>Marks the run failed and ends its lease (it can still be resumed from its last checkpoint).</summary>
    internal void Fail()
    {
        try
        {
            Store.SetStatus(RunId, RunStatus.Failed);
        }
        catch (RunStoreException)
        {
            // The error that made the run fail is the one to report.
        }
    }

    /// <summary>The text of the scenario file <paramref name="scenarioId"/> names, or null for a scenario id.</summary>
    private static string? ScenarioFileText(string scenarioId)
    {
        if (ScenarioRegistry.BuiltIn.Ids.Contains(scenarioId)
            || !(scenarioId.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase) || scenarioId.EndsWith(".yml", StringComparison.OrdinalIgnoreCase)))
        {
            return null;
        }

        try
        {
            return File.ReadAllText(scenarioId);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new ScenarioException(scenarioId, 0, 0, $"cannot read the file: {e.Message}");
        }
    }
}
