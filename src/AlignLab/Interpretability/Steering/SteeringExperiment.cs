using AlignLab.Errors;
using AlignLab.Scenarios;

namespace AlignLab.Interpretability.Steering;

/// <summary>Which goal vector is added.</summary>
public enum GoalVectorKind
{
    /// <summary>No vector: the "after" columns equal the "before" ones.</summary>
    None,

    /// <summary>The mean goal vector over a separate draw of levels (<see cref="SteeringOptions.VectorLevels"/>).</summary>
    Goal,

    /// <summary>Each level's own vector (its start observation with and without the goal object), as Turner et al. compute it per maze.</summary>
    Level,

    /// <summary>
    /// The control for <see cref="Level"/>: per level, a random direction (seeded Gaussian) with the norm of that level's
    /// own goal vector, so that an effect of the goal vector can be told from the effect of any push that large.
    /// </summary>
    Random,
}

/// <summary>How the goal-tracking channels are set to a target cell.</summary>
public enum RetargetMode
{
    /// <summary>
    /// Each goal channel's whole map is replaced by its values on the same maze with the goal object moved to the
    /// target (the rest of the network still sees the real goal object).
    /// </summary>
    Patch,

    /// <summary>
    /// Each goal channel is overwritten at the target cell with a high value (<see cref="SteeringOptions.RetargetStrength"/>
    /// times its largest activation on the attribution levels), as Turner et al. clamp one activation.
    /// </summary>
    Clamp,
}

/// <summary>What <see cref="SteeringExperiment.Run"/> measures. Every probability is exact (see <see cref="MazeLevel.ReachProbabilities"/>).</summary>
public sealed record SteeringOptions
{
    /// <summary>The layer intervened on: a name or 1-based position; null for the last convolutional activation (or the first hidden activation of an MLP).</summary>
    public string? Layer { get; init; }

    /// <summary>The goal vector added.</summary>
    public GoalVectorKind Vector { get; init; } = GoalVectorKind.Goal;

    /// <summary>The vector's coefficient: the activation becomes activation + Coefficient · vector, so −1 subtracts it (Turner et al.).</summary>
    public double Coefficient { get; init; } = -1;

    /// <summary>The distribution the evaluated levels are drawn from (a generated one).</summary>
    public string Distribution { get; init; } = "deploy";

    /// <summary>How many levels are evaluated.</summary>
    public int Levels { get; init; } = 100;

    /// <summary>How many levels (drawn separately, from the same distribution) the mean goal vector and the channel attribution are computed on.</summary>
    public int VectorLevels { get; init; } = 100;

    /// <summary>Seed of the evaluated levels; the vector's levels use a seed derived from it.</summary>
    public ulong Seed { get; init; }

    /// <summary>The goal whose object is removed for the vector (the cheese).</summary>
    public string Goal { get; init; } = "cheese";

    /// <summary>The landmark goal (the corner).</summary>
    public string Landmark { get; init; } = "corner";

    /// <summary>Width, in cells of Manhattan distance from the goal object to the landmark cell, of the buckets levels are grouped in.</summary>
    public int BucketWidth { get; init; } = 2;

    /// <summary>Retarget to these cells (row · width + col); null for no retargeting. See <see cref="RetargetAll"/>.</summary>
    public IReadOnlyList<int>? RetargetCells { get; init; }

    /// <summary>Retarget to every open cell of each level (a heatmap over the whole maze).</summary>
    public bool RetargetAll { get; init; }

    /// <summary>
    /// How many channels are retargeted: 0 for the goal-tracking channels the attribution finds (above its baseline),
    /// k &gt; 0 for the k channels with the largest attribution effect, whether or not they pass the baseline.
    /// </summary>
    public int RetargetChannels { get; init; }

    /// <summary>When set, exactly these channels are retargeted (overriding <see cref="RetargetChannels"/>), e.g. as a control.</summary>
    public IReadOnlyList<int>? RetargetChannelList { get; init; }

    /// <summary>How the goal-tracking channels are set to the target.</summary>
    public RetargetMode RetargetMode { get; init; } = RetargetMode.Patch;

    /// <summary>
    /// With <see cref="RetargetMode.Clamp"/>, the value written into each goal-tracking channel at the target cell, as a multiple of that channel's largest
    /// activation over the attribution levels' start observations.
    /// </summary>
    public double RetargetStrength { get; init; } = 1;

    /// <summary>A retargeted level counts as a success when the agent reaches the target cell with at least this probability.</summary>
    public double SuccessProbability { get; init; } = 0.5;

    /// <summary>A cell is near the landmark path when it is at most this many moves from the shortest path from the start to the landmark.</summary>
    public int NearPath { get; init; } = 3;

    /// <summary>For how many of the evaluated levels (the first ones) the expected visits per cell are kept, before and after, for heatmaps.</summary>
    public int VisitLevels { get; init; } = 4;

    /// <summary>How the goal-tracking channels are found for retargeting.</summary>
    public ChannelAttributionOptions Attribution { get; init; } = new();
}

/// <summary>Exact outcome of one policy on one level.</summary>
/// <param name="ReachGoal">P(reach the goal object within the episode).</param>
/// <param name="ReachLandmark">P(reach the landmark cell within the episode).</param>
/// <param name="GoalAtDecision">P(reach the goal object before the landmark | start at the decision square); NaN without one.</param>
public sealed record LevelOutcome(double ReachGoal, double ReachLandmark, double GoalAtDecision);

/// <summary>One evaluated level.</summary>
/// <param name="GoalCell">The goal object's cell.</param>
/// <param name="LandmarkDistance">Manhattan distance (cells) from the goal object to the landmark cell.</param>
/// <param name="DecisionSquare">The decision square's cell, −1 when none.</param>
/// <param name="Before">Outcome of the unsteered policy.</param>
/// <param name="After">Outcome with the goal vector added.</param>
public sealed record SteeredLevel(int GoalCell, int LandmarkDistance, int DecisionSquare, LevelOutcome Before, LevelOutcome After);

/// <summary>Where the agent goes on one level: the exact expected steps spent on each cell in an episode, unsteered and steered.</summary>
/// <param name="Map">The level's rows, the agent at its start.</param>
/// <param name="Before">Expected visits per cell (row-major), unsteered.</param>
/// <param name="After">The same with the goal vector.</param>
public sealed record LevelVisits(IReadOnlyList<string> Map, IReadOnlyList<double> Before, IReadOnlyList<double> After);

/// <summary>Medians over the levels whose goal object lies at a Manhattan distance Low..High from the landmark cell.</summary>
/// <param name="Low">Smallest distance in the bucket.</param>
/// <param name="High">Largest distance in the bucket.</param>
/// <param name="Levels">Levels in the bucket.</param>
/// <param name="DecisionLevels">Of these, levels with a decision square.</param>
/// <param name="MedianBefore">Median P(goal | decision square) unsteered (NaN without decision squares).</param>
/// <param name="MedianAfter">The same, steered.</param>
/// <param name="ReachGoalBefore">Median P(reach goal) unsteered.</param>
/// <param name="ReachGoalAfter">Median P(reach goal) steered.</param>
public sealed record DistanceBucket(int Low, int High, int Levels, int DecisionLevels, double MedianBefore, double MedianAfter, double ReachGoalBefore, double ReachGoalAfter);

/// <summary>Retargeting success at one cell, over the levels where that cell is open (and is neither the goal object's nor the start).</summary>
/// <param name="Cell">The target cell.</param>
/// <param name="Levels">Levels where the cell was a target.</param>
/// <param name="Steered">Levels where the retargeted agent reaches it (P ≥ the success probability).</param>
/// <param name="Unsteered">Levels where the unsteered agent reaches it anyway.</param>
/// <param name="NearPathLevels">Levels where the cell is near the landmark path.</param>
/// <param name="NearPathSteered">Of these, the steered successes.</param>
/// <param name="MeanProbability">Mean P(reach the cell) steered.</param>
public sealed record RetargetCell(int Cell, int Levels, int Steered, int Unsteered, int NearPathLevels, int NearPathSteered, double MeanProbability);

/// <summary>Success rates of retargeting pooled over (level, target cell) pairs of one kind.</summary>
/// <param name="Pairs">The pairs.</param>
/// <param name="Steered">Fraction reached by the retargeted agent.</param>
/// <param name="Unsteered">Fraction reached by the unsteered agent.</param>
public sealed record RetargetRate(int Pairs, double Steered, double Unsteered);

/// <summary>Retargeting over the levels.</summary>
/// <param name="Channels">The goal-tracking channels written.</param>
/// <param name="Values">The value written into each of them at the target (clamping; empty when patching).</param>
/// <param name="Cells">Per target cell.</param>
/// <param name="OnPath">Targets on the landmark path itself.</param>
/// <param name="NearPath">Targets 1..<see cref="SteeringOptions.NearPath"/> moves off that path.</param>
/// <param name="FarFromPath">Targets further away.</param>
public sealed record RetargetResult(IReadOnlyList<int> Channels, IReadOnlyList<float> Values, IReadOnlyList<RetargetCell> Cells, RetargetRate OnPath, RetargetRate NearPath, RetargetRate FarFromPath)
{
    /// <summary>Targets at most <see cref="SteeringOptions.NearPath"/> moves from the path, on it included.</summary>
    public RetargetRate WithinNearPath => new(OnPath.Pairs + NearPath.Pairs,
        Pool(OnPath.Steered, OnPath.Pairs, NearPath.Steered, NearPath.Pairs),
        Pool(OnPath.Unsteered, OnPath.Pairs, NearPath.Unsteered, NearPath.Pairs));

    private static double Pool(double a, int n, double b, int m) => n + m == 0 ? double.NaN : ((n == 0 ? 0 : a * n) + (m == 0 ? 0 : b * m)) / (n + m);
}

/// <summary>Everything <see cref="SteeringExperiment.Run"/> measured.</summary>
/// <param name="Layer">The layer intervened on.</param>
/// <param name="LayerIndex">Its index.</param>
/// <param name="Height">Rows of the maze.</param>
/// <param name="Width">Columns of the maze.</param>
/// <param name="Options">The options run.</param>
/// <param name="VectorNorm">Euclidean norm of the mean goal vector (NaN for none or per-level vectors).</param>
/// <param name="Levels">Per evaluated level.</param>
/// <param name="Buckets">Medians by the goal object's distance from the landmark.</param>
/// <param name="Visits">Expected visits before and after on the first <see cref="SteeringOptions.VisitLevels"/> levels.</param>
/// <param name="Attribution">The channel attribution (with retargeting), else null.</param>
/// <param name="Retarget">Retargeting, else null.</param>
public sealed record SteeringResult(string Layer, int LayerIndex, int Height, int Width, SteeringOptions Options, double VectorNorm, IReadOnlyList<SteeredLevel> Levels, IReadOnlyList<DistanceBucket> Buckets, IReadOnlyList<LevelVisits> Visits, ChannelAttributionResult? Attribution, RetargetResult? Retarget)
{
    /// <summary>Levels with a decision square.</summary>
    public int DecisionLevels => Levels.Count(l => l.DecisionSquare >= 0);

    /// <summary>Median over levels with a decision square of P(goal | decision square), unsteered.</summary>
    public double MedianDecisionBefore => SteeringExperiment.Median(Levels.Where(l => l.DecisionSquare >= 0).Select(l => l.Before.GoalAtDecision));

    /// <summary>The same, steered.</summary>
    public double MedianDecisionAfter => SteeringExperiment.Median(Levels.Where(l => l.DecisionSquare >= 0).Select(l => l.After.GoalAtDecision));
}

/// <summary>
/// Steering a trained maze policy (Mini, Turner et al. 2023): subtract the goal vector and measure, exactly on every
/// level, P(reach the goal object), P(reach the landmark) and P(goal object first | decision square), before and after;
/// optionally find the goal-tracking channels by resampling and retarget the agent to chosen cells by writing a high
/// activation into those channels at the target.
/// </summary>
public static class SteeringExperiment
{
    /// <summary>Runs the experiment on a trained network.</summary>
    /// <exception cref="UserInputException">Bad options, a layer that does not exist, or a scenario that is not a maze with a goal object and a landmark.</exception>
    public static SteeringResult Run(TrainedNetwork trained, SteeringOptions options)
    {
        ArgumentNullException.ThrowIfNull(trained);
        ArgumentNullException.ThrowIfNull(options);
        if (options.Levels < 1 || options.VectorLevels < 1)
        {
            throw new UserInputException($"the number of levels must be at least 1, not {Math.Min(options.Levels, options.VectorLevels)}.");
        }

        if (options.BucketWidth < 1 || options.RetargetChannels < 0 || options.VisitLevels < 0 || options.NearPath < 0 || options.SuccessProbability is <= 0 or > 1 || !double.IsFinite(options.Coefficient) || !double.IsFinite(options.RetargetStrength))
        {
            throw new UserInputException("the bucket width must be at least 1, the retargeted channels, the visit levels and the near-path distance at least 0, the success probability in (0, 1], and the coefficient and strength finite.");
        }

        var network = trained.Network;
        var layer = options.Layer is null ? DefaultLayer(network) : Activations.Resolve(network, options.Layer);
        var greedy = trained.Agent == "dqn";
        var scenario = trained.Scenario;
        if (!scenario.GeneratedDistributions.ContainsKey(options.Distribution))
        {
            throw new UserInputException($"{scenario.Id} has no generated distribution '{options.Distribution}'{Suggest.DidYouMean(options.Distribution, scenario.GeneratedDistributions.Keys)}; steering draws levels from one ({string.Join(", ", scenario.GeneratedDistributions.Keys)}).");
        }

        var levels = Draw(scenario, trained.Parameters, options, options.Levels, options.Seed);
        var vectorSeed = options.Seed ^ 0x5EED_0F_7EC7_0AUL;
        var needSide = options.Vector == GoalVectorKind.Goal || options.RetargetAll || options.RetargetCells is not null;
        var side = needSide ? Draw(scenario, trained.Parameters, options, options.VectorLevels, vectorSeed) : [];
        float[]? vector = options.Vector == GoalVectorKind.Goal ? GoalVector.Compute(network, layer, side) : null;
        var horizon = levels[0].World.MaxSteps;
        var controlRng = new Randomness.Rng(options.Seed ^ 0xC047_2013UL);
        var rows = new List<SteeredLevel>(levels.Count);
        var visits = new List<LevelVisits>();
        var recorded = new List<LevelActivations>(levels.Count);
        foreach (var level in levels)
        {
            var activations = LevelActivations.Record(network, level, layer);
            recorded.Add(activations);
            var decision = DecisionSquare.Find(level);
            var beforeTable = activations.Table(null, greedy);
            var before = Outcome(level, beforeTable, decision, horizon);
            var intervention = options.Vector switch
            {
                GoalVectorKind.Goal => Intervention.Add(layer, vector, options.Coefficient),
                GoalVectorKind.Level => Intervention.Add(layer, GoalVector.Compute(network, layer, [level]), options.Coefficient),
                GoalVectorKind.Random => Intervention.Add(layer, RandomLike(GoalVector.Compute(network, layer, [level]), ref controlRng), options.Coefficient),
                _ => null,
            };
            var afterTable = intervention is null ? beforeTable : activations.Table(intervention, greedy);
            var after = intervention is null ? before : Outcome(level, afterTable, decision, horizon);
            if (visits.Count < options.VisitLevels)
            {
                visits.Add(new LevelVisits(level.Rows(), level.ExpectedVisits(beforeTable, horizon), level.ExpectedVisits(afterTable, horizon)));
            }

            var landmarkDistance = Math.Abs((level.GoalCell / level.Width) - (level.LandmarkCell / level.Width)) + Math.Abs((level.GoalCell % level.Width) - (level.LandmarkCell % level.Width));
            rows.Add(new SteeredLevel(level.GoalCell, landmarkDistance, decision, before, after));
        }

        ChannelAttributionResult? attribution = null;
        RetargetResult? retarget = null;
        if (options.RetargetAll || options.RetargetCells is not null)
        {
            attribution = ChannelAttribution.Compute(network, layer, side, options.Attribution with { Seed = options.Attribution.Seed ^ options.Seed });
            if (options.RetargetChannelList?.FirstOrDefault(c => c < 0 || c >= attribution.ChannelEffects.Count, -1) is { } bad and >= 0)
            {
                throw new UserInputException($"channel {bad} does not exist; layer {network.LayerNames[layer]} has channels 0..{attribution.ChannelEffects.Count - 1}.");
            }

            var chosen = options.RetargetChannelList is { } list ? list
                : options.RetargetChannels == 0
                ? attribution.GoalChannels
                : [.. Enumerable.Range(0, attribution.ChannelEffects.Count).OrderByDescending(c => attribution.ChannelEffects[c]).ThenBy(c => c).Take(options.RetargetChannels)];
            retarget = Retarget(network, layer, greedy, recorded, side, chosen, options, horizon);
        }

        return new SteeringResult(network.LayerNames[layer], layer, levels[0].Height, levels[0].Width, options,
            vector is null ? double.NaN : Math.Sqrt(vector.Sum(v => (double)v * v)), rows, Buckets(rows, options.BucketWidth), visits, attribution, retarget);
    }

    /// <summary>A seeded Gaussian direction with the Euclidean norm of <paramref name="vector"/>.</summary>
    private static float[] RandomLike(float[] vector, ref Randomness.Rng rng)
    {
        var norm = Math.Sqrt(vector.Sum(v => (double)v * v));
        var random = new double[vector.Length];
        var sum = 0.0;
        for (var i = 0; i < random.Length; i++)
        {
            random[i] = rng.NextGaussian();
            sum += random[i] * random[i];
        }

        var scale = sum > 0 ? norm / Math.Sqrt(sum) : 0;
        return [.. random.Select(v => (float)(v * scale))];
    }

    /// <summary>The last layer whose output is a convolutional map (its activation), or for an MLP the first hidden activation.</summary>
    internal static int DefaultLayer(Nn.Sequential network)
    {
        var spatial = -1;
        for (var i = 0; i < network.Layers.Count - 1; i++)
        {
            if (Activations.ShapeOf(network, i).Count == 3)
            {
                spatial = i;
            }
        }

        return spatial >= 0 ? spatial : Math.Min(1, network.Layers.Count - 1);
    }

    internal static double Median(IEnumerable<double> values)
    {
        var sorted = values.Where(v => !double.IsNaN(v)).Order().ToArray();
        return sorted.Length == 0 ? double.NaN : sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private static List<MazeLevel> Draw(ScenarioDefinition scenario, IReadOnlyDictionary<string, string>? set, SteeringOptions options, int count, ulong seed) =>
        [.. scenario.SampleLevels(options.Distribution, count, seed, set).Select(l => MazeLevel.Create(scenario, l, options.Goal, options.Landmark, set))];

    private static LevelOutcome Outcome(MazeLevel level, double[] table, int decision, int horizon)
    {
        var goal = level.ReachProbabilities(table, [level.GoalCell], [], horizon);
        var landmark = level.ReachProbabilities(table, [level.LandmarkCell], [], horizon);
        var first = decision < 0 ? double.NaN : level.ReachProbabilities(table, [level.GoalCell], [level.LandmarkCell], horizon)[decision];
        return new LevelOutcome(goal[level.Start], landmark[level.Start], first);
    }

    private static List<DistanceBucket> Buckets(List<SteeredLevel> rows, int width)
    {
        var buckets = new List<DistanceBucket>();
        foreach (var group in rows.GroupBy(r => r.LandmarkDistance / width).OrderBy(g => g.Key))
        {
            var decided = group.Where(r => r.DecisionSquare >= 0).ToList();
            buckets.Add(new DistanceBucket(group.Key * width, (group.Key * width) + width - 1, group.Count(), decided.Count,
                Median(decided.Select(r => r.Before.GoalAtDecision)), Median(decided.Select(r => r.After.GoalAtDecision)),
                Median(group.Select(r => r.Before.ReachGoal)), Median(group.Select(r => r.After.ReachGoal))));
        }

        return buckets;
    }

    private static RetargetResult Retarget(Nn.Sequential network, int layer, bool greedy, List<LevelActivations> recorded, List<MazeLevel> side, IReadOnlyList<int> channels, SteeringOptions options, int horizon)
    {
        var shape = Activations.ShapeOf(network, layer);
        var area = shape[1] * shape[2];

        // The "high value" of each channel: its largest activation on the attribution levels' start observations.
        var values = new float[channels.Count];
        foreach (var level in side)
        {
            var board = new byte[level.Cells.Length];
            level.Board(level.Start, board);
            var observation = new float[network.InputSize];
            level.World.Encode(board, observation);
            var act = new float[network.SizeAfter(layer + 1)];
            network.Predict(observation, 1, act, 0, layer + 1);
            for (var k = 0; k < channels.Count; k++)
            {
                var map = act.AsSpan(channels[k] * area, area);
                foreach (var v in map)
                {
                    values[k] = Math.Max(values[k], v);
                }
            }
        }

        for (var k = 0; k < values.Length; k++)
        {
            values[k] = (float)(values[k] * options.RetargetStrength);
        }

        var cellCount = recorded[0].Level.Cells.Length;
        var levels = new int[cellCount];
        var steered = new int[cellCount];
        var unsteered = new int[cellCount];
        var nearLevels = new int[cellCount];
        var nearSteered = new int[cellCount];
        var probability = new double[cellCount];
        int[] pairs = new int[3], pairSteered = new int[3], pairUnsteered = new int[3];
        var requested = options.RetargetCells?.ToHashSet();
        foreach (var activations in recorded)
        {
            var level = activations.Level;
            var path = level.ShortestPath(level.Start, level.LandmarkCell);
            var pathDistance = new int[cellCount];
            Array.Fill(pathDistance, int.MaxValue);
            foreach (var p in path)
            {
                var d = level.Distances(p);
                for (var c = 0; c < cellCount; c++)
                {
                    if (d[c] >= 0)
                    {
                        pathDistance[c] = Math.Min(pathDistance[c], d[c]);
                    }
                }
            }

            var baseTable = activations.Table(null, greedy);
            foreach (var target in level.OpenCells)
            {
                if (target == level.GoalCell || target == level.Start || (requested is not null && !options.RetargetAll && !requested.Contains(target)))
                {
                    continue;
                }

                var table = options.RetargetMode == RetargetMode.Clamp
                    ? activations.Table(Intervention.Overwrite(layer, channels.Select(c => (c * area) + target).ToArray(), values), greedy)
                    : activations.TablePatched(LevelActivations.Record(network, level.WithGoalAt(target), layer), channels, area, greedy);
                var p = level.ReachProbabilities(table, [target], [], horizon)[level.Start];
                var p0 = level.ReachProbabilities(baseTable, [target], [], horizon)[level.Start];
                var hit = p >= options.SuccessProbability;
                var hit0 = p0 >= options.SuccessProbability;
                levels[target]++;
                probability[target] += p;
                steered[target] += hit ? 1 : 0;
                unsteered[target] += hit0 ? 1 : 0;
                var kind = pathDistance[target] == 0 ? 0 : pathDistance[target] <= options.NearPath ? 1 : 2;
                if (kind < 2)
                {
                    nearLevels[target]++;
                    nearSteered[target] += hit ? 1 : 0;
                }

                pairs[kind]++;
                pairSteered[kind] += hit ? 1 : 0;
                pairUnsteered[kind] += hit0 ? 1 : 0;
            }

        }

        var cells = Enumerable.Range(0, cellCount).Where(c => levels[c] > 0)
            .Select(c => new RetargetCell(c, levels[c], steered[c], unsteered[c], nearLevels[c], nearSteered[c], probability[c] / levels[c])).ToList();
        RetargetRate Rate(int k) => new(pairs[k], pairs[k] == 0 ? double.NaN : (double)pairSteered[k] / pairs[k], pairs[k] == 0 ? double.NaN : (double)pairUnsteered[k] / pairs[k]);
        return new RetargetResult(channels, options.RetargetMode == RetargetMode.Clamp ? values : [], cells, Rate(0), Rate(1), Rate(2));
    }
}
