using System.Text.Json.Nodes;
using AlignLab.Errors;
using AlignLab.Preferences;
using AlignLab.RewardModels;
using AlignLab.Runs;
using AlignLab.Scenarios;
using AlignLab.Solve;

namespace AlignLab.Rlhf;

/// <summary>
/// Brings a stored RLHF run's learned reward back: the run's settings are read from the store and the run is
/// replayed (every choice in it is seeded, so the replay gives the same labels and weights bit for bit), then its
/// exact gap is checked against the stored one, so a reward rebuilt by different code is refused, not used.
/// </summary>
public static class StoredRlhfRun
{
    private static readonly string[] RequiredKeys = ["comparisons", "rounds", "initial_fraction", "oversampling", "segment", "model", "hidden", "epochs", "batch_size", "learning_rate", "weight_decay", "ensemble", "validation_fraction"];

    /// <summary>
    /// The learned reward of RLHF run <paramref name="run"/>, tabulated on <paramref name="solution"/>, which must be the
    /// exact solution of the run's own scenario, level and parameters (<paramref name="scenario"/> built with them).
    /// </summary>
    /// <exception cref="UserInputException">Not an RLHF run, a run of another scenario or level, or one that no longer replays to its stored result.</exception>
    /// <param name="run">The RLHF run.</param>
    /// <param name="scenario">The scenario the proxy is analysed on.</param>
    /// <param name="solution">Its exact solution, built with <paramref name="level"/> and <paramref name="parameters"/>.</param>
    /// <param name="level">The level, or null for the train distribution.</param>
    /// <param name="parameters">The scenario parameters.</param>
    /// <param name="store">The store, to rebuild the policy the run drew its segments from, if it named one.</param>
    public static TransitionRewardTable Tabulate(RunInfo run, ScenarioDefinition scenario, ExactSolution solution, int? level, IReadOnlyDictionary<string, string>? parameters, RunStore store)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(scenario);
        ArgumentNullException.ThrowIfNull(solution);
        var config = run.Config;
        if (config.Agent != RlhfRecord.AgentName || RlhfRecord.FromJson(run.ResultJson) is not { } record)
        {
            throw new UserInputException($"run {run.Id} is not a finished RLHF run (agent '{config.Agent}', status {run.Status.ToString().ToLowerInvariant()}); give the id of a run made by `alignlab rlhf`.");
        }

        var runScenario = ScenarioRegistry.BuiltIn.Get(config.ScenarioId, config.ScenarioText);
        if (runScenario.Id != scenario.Id || record.Level != level || !SameParameters(config.Parameters, parameters))
        {
            throw new UserInputException($"run {run.Id} learned its reward on {runScenario.Id}{Where(record.Level, config.Parameters)}, not on {scenario.Id}{Where(level, parameters)}; a proxy must come from the same scenario, level and parameters.");
        }

        var labeller = Labellers.Create(record.Labeller, scenario, solution.World, Noise(config.HyperParameters));
        var behaviour = config.Settings?["behaviour_run"] is { } b ? StoredPolicy.Load(store, (long)b, scenario, solution.World) : null;
        var result = RlhfExperiment.Run(solution, labeller, Options(config), behaviour);
        if (Math.Round(result.Gap.GapWorst, 10).Equals(record.GapWorst))
        {
            return solution.Tabulate(RlhfExperiment.Reward(result, solution.World), $"learned reward of run {run.Id} ({record.Labeller} labels, {record.Comparisons:N0} comparisons, seed {record.Seed})");
        }

        throw new UserInputException($"run {run.Id} replays to a learned gap of {result.Gap.GapWorst:0.######}, not its stored {record.GapWorst:0.######}: it was made by another version of AlignLab ({run.CodeVersion}); rerun `alignlab rlhf` to make it again.");
    }

    /// <summary>The options a run was stored with (<see cref="RlhfRecord.Config"/>).</summary>
    internal static RlhfOptions Options(RunConfig config)
    {
        var h = config.HyperParameters ?? throw new UserInputException("the RLHF run stores no hyper-parameters.");
        var missing = RequiredKeys.FirstOrDefault(k => h[k] is null);
        if (missing is not null)
        {
            throw new UserInputException($"the RLHF run's stored hyper-parameters lack '{missing}'; rerun `alignlab rlhf` to make it again.");
        }

        try
        {
            return new RlhfOptions
            {
                Comparisons = (int)h["comparisons"]!,
                Selection = (string?)h["select"] == "active" ? QuerySelectionMode.Active : QuerySelectionMode.Random,
                Rounds = (int)h["rounds"]!,
                InitialFraction = (double)h["initial_fraction"]!,
                Oversampling = (int)h["oversampling"]!,
                SegmentLength = (int)h["segment"]!,
                Model = Enum.Parse<RewardModelKind>((string)h["model"]!, ignoreCase: true),
                RewardModel = new RewardModelOptions
                {
                    Hidden = [.. ((JsonArray)h["hidden"]!).Select(n => (int)n!)],
                    Epochs = (int)h["epochs"]!,
                    BatchSize = (int)h["batch_size"]!,
                    LearningRate = (double)h["learning_rate"]!,
                    WeightDecay = (double)h["weight_decay"]!,
                    EnsembleSize = (int)h["ensemble"]!,
                    ValidationFraction = (double)h["validation_fraction"]!,
                },
                Noise = Noise(h),
                Seed = config.Seed,
            };
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException or InvalidCastException or ArgumentException)
        {
            throw new UserInputException($"the RLHF run's stored hyper-parameters are incomplete or damaged ({e.Message}).", e);
        }
    }

    private static BradleyTerryOptions Noise(JsonObject? h) =>
        h?["temperature"] is { } t && h["epsilon"] is { } e ? new BradleyTerryOptions((double)t, (double)e) : new BradleyTerryOptions();

    private static bool SameParameters(IReadOnlyDictionary<string, string>? a, IReadOnlyDictionary<string, string>? b) =>
        (a?.Count ?? 0) == (b?.Count ?? 0) && (a is null || a.All(p => b!.TryGetValue(p.Key, out var v) && v == p.Value));

    private static string Where(int? level, IReadOnlyDictionary<string, string>? parameters) =>
        (level is { } l ? $" level {l}" : string.Empty) + (parameters is { Count: > 0 } p ? $" with {string.Join(", ", p.Select(kv => $"{kv.Key}={kv.Value}"))}" : string.Empty);
}
