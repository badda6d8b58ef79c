using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using AlignLab.Preferences;
using AlignLab.RewardModels;
using AlignLab.Runs;
using AlignLab.Solve;

namespace AlignLab.Rlhf;

/// <summary>
/// One RLHF run as the run store and the report keep it: its settings (labeller, selection, comparisons, seed,
/// level) and what was measured (the learned reward's exact gap beside the specified reward's, the labels'
/// agreement with the hidden returns, and for a constitution how many labels each principle decided).
/// </summary>
/// <param name="Labeller">The labeller as the command line named it (<c>intended</c>, <c>observed</c>, <c>constitution[:FILE]</c>).</param>
/// <param name="Selection">random or active.</param>
/// <param name="Comparisons">Labels collected.</param>
/// <param name="Seed">The run's seed.</param>
/// <param name="Level">The level learned and solved on, or null for the train distribution.</param>
/// <param name="RewardModel">mlp or linear.</param>
/// <param name="SpecifiedGap">The specified reward's specification gap (worst reward-optimal tie).</param>
/// <param name="GapWorst">The learned reward's specification gap, worst optimal tie.</param>
/// <param name="GapBest">The learned reward's specification gap, best optimal tie.</param>
/// <param name="Epic">EPIC distance between the learned reward and the intended objective.</param>
/// <param name="ValidationAccuracy">Members' mean held-out label accuracy.</param>
/// <param name="AgreementWithIntended">Share of labels preferring the higher intended return (pairs whose intended returns differ).</param>
/// <param name="Principles">For a constitution, each principle's text; else empty.</param>
/// <param name="PrincipleCounts">For a constitution, labels decided by each principle, then ties (last); else empty.</param>
public sealed record RlhfRecord(
    string Labeller,
    string Selection,
    int Comparisons,
    ulong Seed,
    int? Level,
    string RewardModel,
    double SpecifiedGap,
    double GapWorst,
    double GapBest,
    double Epic,
    double ValidationAccuracy,
    double AgreementWithIntended,
    IReadOnlyList<string> Principles,
    IReadOnlyList<int> PrincipleCounts)
{
    /// <summary>The run store's agent name of an RLHF run.</summary>
    public const string AgentName = "rlhf";

    private static readonly string[] RequiredKeys = ["labeller", "select", "comparisons", "seed", "reward_model"];

    /// <summary>The record of <paramref name="result"/>, labelled by <paramref name="labellerSpec"/>, with the specified reward's gap beside it.</summary>
    public static RlhfRecord From(RlhfResult result, string labellerSpec, IPreferenceLabeller labeller, int? level, RewardGap specified)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(specified);
        var principles = labeller is ConstitutionLabeller c ? c.Constitution.Principles.Select(p => p.Text).ToList() : [];
        return new RlhfRecord(
            labellerSpec,
            SelectionName(result.Options.Selection),
            result.Comparisons,
            result.Options.Seed,
            level,
            result.Model.ToString().ToLowerInvariant(),
            specified.GapWorst,
            result.Gap.GapWorst,
            result.Gap.GapBest,
            result.Gap.Epic,
            result.ValidationAccuracy,
            result.AgreementWithIntended,
            principles,
            [.. result.PrincipleCounts ?? []]);
    }

    /// <summary>For RLHF by learning: the agent that trained on the learned reward (null when the reward was only solved).</summary>
    public string? Agent { get; init; }

    /// <summary>For RLHF by learning: the trained agent's exact intended score on the original world after the last iteration.</summary>
    public double AgentIntendedScore { get; init; } = double.NaN;

    /// <summary>For RLHF by learning: the trained agent's exact specified-reward score after the last iteration.</summary>
    public double AgentRewardScore { get; init; } = double.NaN;

    /// <summary>The record of the last iteration of an RLHF-by-learning run.</summary>
    public static RlhfRecord From(RlhfTrainingResult result, string labellerSpec, IPreferenceLabeller labeller, int? level, RewardGap specified)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(specified);
        var last = result.Iterations[^1];
        var principles = labeller is ConstitutionLabeller c ? c.Constitution.Principles.Select(p => p.Text).ToList() : [];
        return new RlhfRecord(
            labellerSpec,
            SelectionName(result.Options.Rlhf.Selection),
            last.Comparisons,
            result.Options.Rlhf.Seed,
            level,
            result.Model.ToString().ToLowerInvariant(),
            specified.GapWorst,
            last.Gap.GapWorst,
            last.Gap.GapBest,
            last.Gap.Epic,
            last.ValidationAccuracy,
            last.AgreementWithIntended,
            principles,
            [.. result.PrincipleCounts ?? []])
        {
            Agent = result.Options.Agent,
            AgentIntendedScore = last.Agent.IntendedScore,
            AgentRewardScore = last.Agent.RewardScore,
        };
    }

    /// <summary>random or active.</summary>
    public static string SelectionName(QuerySelectionMode mode) => mode == QuerySelectionMode.Active ? "active" : "random";

    /// <summary>The run configuration an RLHF run is stored under.</summary>
    public static RunConfig Config(string scenarioId, string? scenarioText, IReadOnlyDictionary<string, string>? parameters, string labellerSpec, int? level, RlhfOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var hyper = new JsonObject
        {
            ["comparisons"] = options.Comparisons,
            ["select"] = SelectionName(options.Selection),
            ["rounds"] = options.Rounds,
            ["initial_fraction"] = options.InitialFraction,
            ["oversampling"] = options.Oversampling,
            ["segment"] = options.SegmentLength,
            ["model"] = options.Model.ToString().ToLowerInvariant(),
            ["hidden"] = new JsonArray([.. options.RewardModel.Hidden.Select(h => (JsonNode)h)]),
            ["epochs"] = options.RewardModel.Epochs,
            ["batch_size"] = options.RewardModel.BatchSize,
            ["learning_rate"] = options.RewardModel.LearningRate,
            ["weight_decay"] = options.RewardModel.WeightDecay,
            ["ensemble"] = options.RewardModel.EnsembleSize,
            ["validation_fraction"] = options.RewardModel.ValidationFraction,
            ["temperature"] = options.Noise.Temperature,
            ["epsilon"] = options.Noise.Epsilon,
        };
        var settings = new JsonObject { ["labeller"] = labellerSpec, ["level"] = level };
        return new RunConfig(scenarioId, AgentName, options.Seed, level is { } l ? $"level {l.ToString(CultureInfo.InvariantCulture)}" : "train", parameters, hyper, settings, scenarioText);
    }

    /// <summary>The record as the run's stored result (JSON, snake_case names).</summary>
    public string ToJson()
    {
        var node = new JsonObject
        {
            ["kind"] = AgentName,
            ["labeller"] = Labeller,
            ["select"] = Selection,
            ["comparisons"] = Comparisons,
            ["seed"] = Seed,
            ["level"] = Level,
            ["reward_model"] = RewardModel,
            ["specified_gap_worst"] = J(SpecifiedGap),
            ["gap_worst"] = J(GapWorst),
            ["gap_best"] = J(GapBest),
            ["epic"] = J(Epic),
            ["validation_accuracy"] = J(ValidationAccuracy),
            ["label_agreement_with_intended"] = J(AgreementWithIntended),
            ["principles"] = new JsonArray([.. Principles.Select(p => (JsonNode)p)]),
            ["principle_counts"] = new JsonArray([.. PrincipleCounts.Select(c => (JsonNode)c)]),
        };
        if (Agent is not null)
        {
            node["agent"] = Agent;
            node["agent_intended_score"] = J(AgentIntendedScore);
            node["agent_reward_score"] = J(AgentRewardScore);
        }

        return node.ToJsonString();
    }

    /// <summary>Reads a stored result written by <see cref="ToJson"/>; null when it is not an RLHF record.</summary>
    public static RlhfRecord? FromJson(string? json)
    {
        if (json is null)
        {
            return null;
        }

        try
        {
            if (JsonNode.Parse(json) is not JsonObject o || (string?)o["kind"] != AgentName
                || RequiredKeys.Any(k => o[k] is null))
            {
                return null;
            }

            return new RlhfRecord(
                (string)o["labeller"]!,
                (string)o["select"]!,
                (int)o["comparisons"]!,
                (ulong)o["seed"]!,
                (int?)o["level"],
                (string)o["reward_model"]!,
                D(o["specified_gap_worst"]),
                D(o["gap_worst"]),
                D(o["gap_best"]),
                D(o["epic"]),
                D(o["validation_accuracy"]),
                D(o["label_agreement_with_intended"]),
                [.. ((JsonArray?)o["principles"] ?? []).Select(p => (string)p!)],
                [.. ((JsonArray?)o["principle_counts"] ?? []).Select(c => (int)c!)])
            {
                Agent = (string?)o["agent"],
                AgentIntendedScore = D(o["agent_intended_score"]),
                AgentRewardScore = D(o["agent_reward_score"]),
            };
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException or InvalidCastException)
        {
            return null;
        }
    }

    private static double D(JsonNode? node) => node is null ? double.NaN : (double)node;

    private static JsonValue? J(double value) => double.IsFinite(value) ? JsonValue.Create(Math.Round(value, 10)) : null;
}
