using System.Text.Json;
using System.Text.Json.Serialization;
using AlignLab.Envs;

namespace AlignLab.Reports;

/// <summary>Which half of the 2×2 verdict a check decides.</summary>
public enum VerdictAxis
{
    /// <summary>Outer alignment: does the specified reward match what we intend?</summary>
    Outer,

    /// <summary>Inner alignment: does the trained policy pursue the reward after a distribution shift?</summary>
    Inner,
}

/// <summary>One number that decided the verdict, with its threshold.</summary>
/// <param name="Axis">Which alignment it decides.</param>
/// <param name="Metric">What was measured (e.g. "specification gap").</param>
/// <param name="Value">The measured value.</param>
/// <param name="Threshold">The threshold it was compared with.</param>
/// <param name="AtMost">True when the check passes for value ≤ threshold, false for value ≥ threshold.</param>
/// <param name="Detail">Extra context (confidence interval, sample size, distribution), or null.</param>
public sealed record VerdictCheck(VerdictAxis Axis, string Metric, double Value, double Threshold, bool AtMost, string? Detail = null)
{
    /// <summary>Whether the value is on the aligned side of the threshold.</summary>
    [JsonIgnore]
    public bool Passed => AtMost ? Value <= Threshold : Value >= Threshold;
}

/// <summary>The 2×2 verdict of a run, with the checks that decided it.</summary>
/// <param name="OuterAligned">Outer aligned? Null when it could not be decided.</param>
/// <param name="InnerAligned">Inner aligned? Null when it could not be decided (e.g. no deployment distribution).</param>
/// <param name="Checks">The numbers and thresholds behind both answers.</param>
/// <param name="Classification">Goal-attribution classification on deployment (aligned, goal misgeneralisation, capability failure), or null.</param>
public sealed record ReportVerdict(bool? OuterAligned, bool? InnerAligned, IReadOnlyList<VerdictCheck> Checks, string? Classification = null);

/// <summary>One point of the learning curves.</summary>
/// <param name="Step">Environment steps.</param>
/// <param name="Reward">Mean specified (visible) return.</param>
/// <param name="Intended">Mean intended return.</param>
public sealed record CurvePoint(long Step, double Reward, double Intended);

/// <summary>A row of the "exact optimum beside what was learned" table.</summary>
/// <param name="Objective">What is valued (e.g. "reward", "intended", a goal name).</param>
/// <param name="Learned">Exact value of the learned policy.</param>
/// <param name="Optimal">Exact optimal value for this objective.</param>
/// <param name="Random">Exact value of the uniform random policy, or null; with it the table shows the normalised score.</param>
public sealed record OptimumRow(string Objective, double Learned, double Optimal, double? Random = null)
{
    /// <summary>(Learned − Random) / (Optimal − Random); NaN without <see cref="Random"/> or when optimal equals random.</summary>
    [JsonIgnore]
    public double Score => Random is { } r && Math.Abs(Optimal - r) > 1e-12 ? (Learned - r) / (Optimal - r) : double.NaN;
}

/// <summary>The normalised score of one candidate goal on one distribution.</summary>
/// <param name="Goal">Goal name (from the scenario file).</param>
/// <param name="Mean">Mean normalised score.</param>
/// <param name="Low">Lower end of the 95% interval.</param>
/// <param name="High">Upper end of the 95% interval.</param>
/// <param name="N">Sample size (levels or episodes).</param>
/// <param name="Achieved">Fraction of episodes in which the goal was achieved, or null.</param>
public sealed record GoalScore(string Goal, double Mean, double Low, double High, int N, double? Achieved = null);

/// <summary>Goal attribution on one distribution.</summary>
/// <param name="Distribution">Distribution name (train or a deployment distribution).</param>
/// <param name="Goals">Score of every candidate goal.</param>
/// <param name="AttributedGoal">The best-scoring goal, or null to let the report pick it.</param>
public sealed record GoalScoreSet(string Distribution, IReadOnlyList<GoalScore> Goals, string? AttributedGoal = null);

/// <summary>How often the agent stood on each cell, drawn over the map.</summary>
/// <param name="Title">Caption (e.g. "deployment level 1, 200 episodes").</param>
/// <param name="Map">The map's rows as ASCII.</param>
/// <param name="Visits">Visit counts, <c>Visits[row][column]</c>, same shape as <paramref name="Map"/>.</param>
public sealed record VisitHeatmap(string Title, IReadOnlyList<string> Map, IReadOnlyList<IReadOnlyList<double>> Visits)
{
    /// <summary>
    /// Counts, over every episode's boards (each board's rows joined by newlines), the cells
    /// where <paramref name="agent"/> stands; the map is the first board.
    /// </summary>
    public static VisitHeatmap FromBoards(string title, IEnumerable<IEnumerable<string>> episodes, char agent)
    {
        ArgumentNullException.ThrowIfNull(episodes);
        string[]? map = null;
        double[][]? visits = null;
        foreach (var episode in episodes)
        {
            foreach (var board in episode)
            {
                var rows = board.TrimEnd('\n').Split('\n');
                if (map is null)
                {
                    map = rows;
                    visits = [.. rows.Select(r => new double[r.Length])];
                }

                for (var y = 0; y < Math.Min(rows.Length, visits!.Length); y++)
                {
                    for (var x = 0; x < Math.Min(rows[y].Length, visits[y].Length); x++)
                    {
                        if (rows[y][x] == agent)
                        {
                            visits[y][x]++;
                        }
                    }
                }
            }
        }

        return new VisitHeatmap(title, map ?? [], visits ?? []);
    }
}

/// <summary>One frame of a replay.</summary>
/// <param name="Board">The board, rows joined by newlines.</param>
/// <param name="Action">The action that led to it, or null for the initial board.</param>
/// <param name="Reward">Visible return so far.</param>
/// <param name="Intended">Intended return so far.</param>
public sealed record ReplayFrame(string Board, char? Action, double Reward, double Intended);

/// <summary>An episode to animate.</summary>
/// <param name="Title">Caption (e.g. "trained (train level 0)").</param>
/// <param name="Frames">The boards in order, initial board first.</param>
public sealed record EpisodeReplay(string Title, IReadOnlyList<ReplayFrame> Frames)
{
    /// <summary>Builds a replay from the initial board and the trace of <see cref="ActionScript.Replay"/> (keepTrace: true), accumulating returns.</summary>
    public static EpisodeReplay FromTrace(string title, string initialBoard, IEnumerable<ReplayStep> steps)
    {
        ArgumentNullException.ThrowIfNull(steps);
        var frames = new List<ReplayFrame> { new(initialBoard, null, 0, 0) };
        double reward = 0, intended = 0;
        foreach (var s in steps)
        {
            reward += s.Reward;
            intended += s.Intended;
            frames.Add(new ReplayFrame(s.Board, s.Action, reward, intended));
        }

        return new EpisodeReplay(title, frames);
    }
}

/// <summary>
/// The parts of a report section that a diagnosis computes, as stored in a run's result JSON
/// (<see cref="Runs.RunStore.SetResult"/>) so <c>alignlab report</c> can rebuild the section.
/// </summary>
/// <param name="Verdict">The verdict, or null.</param>
/// <param name="Optimum">Exact optimum beside what was learned.</param>
/// <param name="GoalScores">Goal attribution per distribution.</param>
/// <param name="RewardOptimal">Optimal specified return (a reference line on the curves), or null.</param>
/// <param name="IntendedOptimal">Optimal intended return (a reference line on the curves), or null.</param>
public sealed record ReportResult(
    ReportVerdict? Verdict,
    IReadOnlyList<OptimumRow> Optimum,
    IReadOnlyList<GoalScoreSet> GoalScores,
    double? RewardOptimal = null,
    double? IntendedOptimal = null)
{
    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    /// <summary>The result as JSON (snake_case names; NaN written as "NaN").</summary>
    public string ToJson() => JsonSerializer.Serialize(this, Options);

    /// <summary>Reads a result written by <see cref="ToJson"/>; null if <paramref name="json"/> has another shape.</summary>
    public static ReportResult? FromJson(string json)
    {
        try
        {
            var result = JsonSerializer.Deserialize<ReportResult>(json, Options);
            return result is null ? null : result with { Optimum = result.Optimum ?? [], GoalScores = result.GoalScores ?? [] };
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

/// <summary>One scenario's part of the report. Every string is HTML-escaped when rendered.</summary>
public sealed record ReportSection
{
    /// <summary>Anchor id and short name (scenario id, or scenario id and run).</summary>
    public required string Id { get; init; }

    /// <summary>Heading (scenario title).</summary>
    public required string Title { get; init; }

    /// <summary>Paragraph under the heading (scenario description), or null.</summary>
    public string? Description { get; init; }

    /// <summary>Facts shown as a small table: run id, agent, seed, code version, hyper-parameters...</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Facts { get; init; } = [];

    /// <summary>The verdict, or null if not diagnosed.</summary>
    public ReportVerdict? Verdict { get; init; }

    /// <summary>Learning curves: specified and intended return against steps.</summary>
    public IReadOnlyList<CurvePoint> Curve { get; init; } = [];

    /// <summary>Optimal specified return, drawn as a reference line; null for none.</summary>
    public double? RewardOptimal { get; init; }

    /// <summary>Optimal intended return, drawn as a reference line; null for none.</summary>
    public double? IntendedOptimal { get; init; }

    /// <summary>The exact optimum beside what was learned.</summary>
    public IReadOnlyList<OptimumRow> Optimum { get; init; } = [];

    /// <summary>Goal attribution, one chart per distribution (train first).</summary>
    public IReadOnlyList<GoalScoreSet> GoalScores { get; init; } = [];

    /// <summary>State-visitation heatmaps.</summary>
    public IReadOnlyList<VisitHeatmap> Heatmaps { get; init; } = [];

    /// <summary>Animated episodes (a trained one and a deployed one).</summary>
    public IReadOnlyList<EpisodeReplay> Replays { get; init; } = [];

    /// <summary>Remarks (e.g. why a replay is missing).</summary>
    public IReadOnlyList<string> Notes { get; init; } = [];

    /// <summary>The run's stored analyses (probes, steering, goal audits, designed tests, the mesa-objective); empty for none.</summary>
    public RunAnalyses Analyses { get; init; } = new();

    /// <summary>Reward learned from preferences: the learned rewards' exact gaps against comparisons; null for a training run.</summary>
    public RlhfSummary? Rlhf { get; init; }
}

/// <summary>
/// RLHF runs of one scenario (and level) in a report: every run's learned-reward gap, for the gap-versus-comparisons
/// chart (one point per seed, the median joined per labeller and selection) and the table of learned rewards.
/// </summary>
/// <param name="SpecifiedGap">The specified reward's specification gap (worst tie), drawn as a reference line.</param>
/// <param name="Runs">The runs, as stored.</param>
public sealed record RlhfSummary(double SpecifiedGap, IReadOnlyList<Rlhf.RlhfRecord> Runs);
