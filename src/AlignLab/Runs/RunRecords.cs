using System.Text.Json.Nodes;

namespace AlignLab.Runs;

/// <summary>Where a run stands.</summary>
public enum RunStatus
{
    /// <summary>Created and not yet finished (or killed while training: resume it from its last checkpoint).</summary>
    Running,

    /// <summary>Training and evaluation completed.</summary>
    Finished,

    /// <summary>Stopped by an error.</summary>
    Failed,
}

/// <summary>Everything needed to reproduce a run; written once when the run is created.</summary>
/// <param name="ScenarioId">Scenario id (Name-vN) or the scenario file the run used.</param>
/// <param name="Agent">Agent name as given to <c>train --agent</c> (q, sarsa, dqn, ppo).</param>
/// <param name="Seed">Seed of the agent and the environment.</param>
/// <param name="Distribution">Distribution trained on (default <c>train</c>).</param>
/// <param name="Parameters">Scenario parameters (<c>--set key=value</c>); null for none.</param>
/// <param name="HyperParameters">Every hyper-parameter of the agent: its options record as a JSON object; null for none.</param>
/// <param name="Settings">
/// The run's own settings beside the agent's options (training steps, curve points, evaluation levels and
/// episodes, stop score, the generator the seed feeds), as a JSON object; null for none.
/// </param>
/// <param name="ScenarioText">
/// The YAML text of the scenario file the run used (<paramref name="ScenarioId"/> then names that file), so that the
/// run's scenario is rebuilt from the store alone, whatever the file has become; null for a built-in scenario id.
/// </param>
public sealed record RunConfig(
    string ScenarioId,
    string Agent,
    ulong Seed,
    string Distribution = "train",
    IReadOnlyDictionary<string, string>? Parameters = null,
    JsonObject? HyperParameters = null,
    JsonObject? Settings = null,
    string? ScenarioText = null);

/// <summary>A run as the store holds it.</summary>
/// <param name="Id">The run's id in its store (1, 2, ...).</param>
/// <param name="Config">The configuration it was created with.</param>
/// <param name="CodeVersion">AlignLab's informational version (with the git commit where the build recorded one) that created the run.</param>
/// <param name="Status">Running, finished or failed.</param>
/// <param name="Created">When the run was created (UTC).</param>
/// <param name="Updated">When anything of the run was last written (UTC).</param>
/// <param name="ResultJson">The diagnosis/verdict JSON given to <see cref="RunStore.SetResult"/>, or null.</param>
public sealed record RunInfo(long Id, RunConfig Config, string CodeVersion, RunStatus Status, DateTimeOffset Created, DateTimeOffset Updated, string? ResultJson);

/// <summary>One logged scalar of a run.</summary>
/// <param name="Step">Environment steps taken when it was logged.</param>
/// <param name="Name">Metric name (see <see cref="RunMetrics"/>).</param>
/// <param name="Value">The value (NaN is stored as SQL NULL and read back as NaN).</param>
public readonly record struct MetricPoint(long Step, string Name, double Value);

/// <summary>A saved training state of a run.</summary>
/// <param name="Step">Environment steps taken when it was saved.</param>
/// <param name="Weights">The agent's serialised state (network weights, optimiser state, Q-table...).</param>
/// <param name="RngState">The random generators' serialised state, so training resumes the same stream.</param>
/// <param name="Created">When it was saved (UTC).</param>
public sealed record Checkpoint(long Step, byte[] Weights, byte[] RngState, DateTimeOffset Created);

/// <summary>One evaluation episode of a trained policy.</summary>
/// <param name="Distribution">Distribution the level came from (train or a deployment distribution).</param>
/// <param name="Level">Level index within the scenario (or within the drawn levels of a generated distribution).</param>
/// <param name="Index">Episode number within (distribution, level).</param>
/// <param name="Reward">Visible (specified) return.</param>
/// <param name="Intended">Intended return (hidden channel).</param>
/// <param name="GoalReturns">Return of each candidate goal.</param>
/// <param name="AchievedGoals">Goals achieved in the episode (return above zero).</param>
/// <param name="Actions">The action letters taken (U, D, L, R, N...), for replay.</param>
/// <param name="Seed">Environment seed of the episode, so stochastic scenarios replay exactly; null if unknown.</param>
public sealed record EpisodeRecord(
    string Distribution,
    int Level,
    int Index,
    double Reward,
    double Intended,
    IReadOnlyDictionary<string, double> GoalReturns,
    IReadOnlyList<string> AchievedGoals,
    string Actions,
    ulong? Seed = null);

/// <summary>
/// The metric names a run store accepts (a fixed list, so a typo fails loudly instead of
/// drawing an empty curve): the learning-curve names below plus every constant of
/// <see cref="Agents.MetricNames"/> (CleanRL's names).
/// </summary>
public static class RunMetrics
{
    /// <summary>Mean visible (specified-reward) return of the current policy, evaluated at this step; the report's "specified" curve.</summary>
    public const string Reward = "eval/reward";

    /// <summary>Mean intended return of the current policy, evaluated at this step (hidden channel); the report's "intended" curve.</summary>
    public const string Intended = "eval/intended";

    /// <summary>Normalised score of the specified reward, (J − J_random) / (J_optimal − J_random), at this step.</summary>
    public const string RewardScore = "eval/score_reward";

    /// <summary>Normalised score of the intended objective at this step.</summary>
    public const string IntendedScore = "eval/score_intended";

    /// <summary>Mean visible return of the training episodes finished since the last log.</summary>
    public const string TrainReward = "train/reward";

    /// <summary>Mean intended return of the training episodes finished since the last log.</summary>
    public const string TrainIntended = "train/intended";

    /// <summary>Training episodes finished since the previous curve point.</summary>
    public const string Episodes = "train/episodes";

    /// <summary>Every accepted name.</summary>
    public static IReadOnlySet<string> Names { get; } = typeof(RunMetrics).GetFields()
        .Concat(typeof(Agents.MetricNames).GetFields())
        .Concat(typeof(Curricula.CurriculumMetrics).GetFields())
        .Where(f => f.IsLiteral && f.FieldType == typeof(string))
        .Select(f => (string)f.GetRawConstantValue()!)
        .ToHashSet(StringComparer.Ordinal);
}

/// <summary>
/// An analysis of a run kept in the store: the result of <c>probe</c>, <c>steer</c>, <c>audit</c>, <c>redteam</c> or
/// <c>mesa</c> on the run's trained policy, as a JSON document, so that <c>alignlab report</c> draws it from the store alone.
/// </summary>
/// <param name="Id">The analysis's id in its store (1, 2, ..., across all runs), in the order they were saved.</param>
/// <param name="RunId">The run analysed.</param>
/// <param name="Kind">What produced it: one of <see cref="AnalysisKinds.Names"/>.</param>
/// <param name="Json">The analysis as saved (a JSON object; its shape is the kind's record in <c>AlignLab.Reports</c>).</param>
/// <param name="CodeVersion">AlignLab's informational version that saved it.</param>
/// <param name="Created">When it was saved (UTC).</param>
public sealed record AnalysisRecord(long Id, long RunId, string Kind, string Json, string CodeVersion, DateTimeOffset Created);

/// <summary>
/// The kinds of analysis a run store accepts (a fixed list, so a typo fails loudly instead of an analysis the report
/// never shows): one per command that analyses a trained policy.
/// </summary>
public static class AnalysisKinds
{
    /// <summary>Linear probes of the network's layers, with their shuffled-label controls (<c>alignlab probe</c>).</summary>
    public const string Probe = "probe";

    /// <summary>A steering experiment: the goal vector's exact effect, retargeting (<c>alignlab steer</c>).</summary>
    public const string Steer = "steer";

    /// <summary>Behavioural goal inference: the goal posterior episode by episode (<c>alignlab audit</c>).</summary>
    public const string Audit = "audit";

    /// <summary>Designed tests and red-teaming against random deployment sampling (<c>alignlab redteam</c>).</summary>
    public const string RedTeam = "redteam";

    /// <summary>The mesa-objective f_R of a value-iteration-network policy, read and edited (<c>alignlab mesa</c>).</summary>
    public const string Mesa = "mesa";

    /// <summary>A comparison of curricula (DR, PLR⊥, ACCEL) across α over seeds, kept on a run that stands for it (<c>alignlab curricula</c>).</summary>
    public const string Curricula = "curricula";

    /// <summary>Every accepted kind.</summary>
    public static IReadOnlySet<string> Names { get; } = new HashSet<string>([Probe, Steer, Audit, RedTeam, Mesa, Curricula], StringComparer.Ordinal);

    /// <summary>Throws for a kind not in <see cref="Names"/>.</summary>
    /// <exception cref="ArgumentException">An unknown kind, with the known ones.</exception>
    internal static void Check(string kind, string parameter)
    {
        ArgumentNullException.ThrowIfNull(kind, parameter);
        if (!Names.Contains(kind))
        {
            throw new ArgumentException($"unknown analysis kind '{kind}'; known kinds: {string.Join(", ", Names.Order(StringComparer.Ordinal))}.", parameter);
        }
    }
}

/// <summary>The store could not be used: not an AlignLab store, corrupt, from a newer AlignLab, or no such run. The message says which, in one line.</summary>
public sealed class RunStoreException : IOException
{
    /// <summary>Creates the exception with its one-line message.</summary>
    public RunStoreException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with its one-line message and the underlying error.</summary>
    public RunStoreException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
