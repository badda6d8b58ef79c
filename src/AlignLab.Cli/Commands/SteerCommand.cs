using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using AlignLab.Errors;
using AlignLab.Interpretability;
using AlignLab.Interpretability.Steering;
using AlignLab.Reports;
using AlignLab.Runs;

namespace AlignLab.Cli.Commands;

/// <summary>
/// <c>alignlab steer RUN [--layer L] [--vector goal|level|random|none] [--coefficient C] [--retarget ROW,COL | --retarget-all]</c>:
/// subtracts the goal vector from a trained maze policy and measures exactly, on every level, P(reach the goal object),
/// P(reach the corner) and P(goal first | decision square) before and after; with retargeting, finds the goal-tracking
/// channels by resampling and reports how often writing them at a target cell brings the agent there.
/// </summary>
internal static class SteerCommand
{
    public static Command Create()
    {
        var run = new Argument<long>("run") { Description = "A ppo or dqn run id in the store (its latest checkpoint)." };
        var layer = new Option<string?>("--layer") { Description = "The layer intervened on: a name (e.g. cact2) or 1-based position. Default: the last convolutional activation." };
        var vector = new Option<string>("--vector") { Description = "goal (the mean goal vector over separate levels), level (each level's own vector), random (the control: a random direction of each level's vector's norm) or none.", DefaultValueFactory = _ => "goal" };
        var coefficient = new Option<double>("--coefficient") { Description = "activation + C · vector; the default −1 subtracts the vector (Turner et al.).", DefaultValueFactory = _ => -1.0 };
        var retarget = new Option<string?>("--retarget") { Description = "ROW,COL: retarget to this cell on every level where it is open." };
        var retargetAll = new Option<bool>("--retarget-all") { Description = "Retarget to every open cell of every level (a heatmap over the whole maze)." };
        var mode = new Option<string>("--retarget-mode") { Description = "patch (the goal channels' maps from the same maze with the goal object at the target) or clamp (a high value at the target cell).", DefaultValueFactory = _ => "patch" };
        var channels = new Option<int>("--channels") { Description = "Channels retargeted: 0 for those the attribution finds above its baseline, k for the k with the largest effect.", DefaultValueFactory = _ => 0 };
        var channelList = new Option<string?>("--channel-list") { Description = "Retarget exactly these channels (comma-separated), e.g. as a control; overrides --channels." };
        var strength = new Option<double>("--strength") { Description = "With clamp: the value written at the target, as a multiple of each goal channel's largest activation.", DefaultValueFactory = _ => 1.0 };
        var distribution = new Option<string>("--distribution") { Description = "The generated distribution the levels are drawn from.", DefaultValueFactory = _ => "deploy" };
        var levels = new Option<int>("--levels") { Description = "Levels evaluated exactly (and, drawn separately, levels for the mean vector and the attribution).", DefaultValueFactory = _ => 100 };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the level draws and the attribution.", DefaultValueFactory = _ => 0UL };
        var figures = new Option<string?>("--figures") { Description = "Write the figures (SVG: visits with and without the vector, medians by distance, retargeting heatmap) into this folder." };
        var json = new Option<bool>("--json") { Description = "Print one JSON object." };
        var store = CommonOptions.Store();
        var noStore = CommonOptions.NoStore();
        var command = new Command("steer", "Steer a trained maze policy: subtract the goal (cheese) vector, or retarget it to a cell, and measure the effect exactly on every level.")
        {
            run, layer, vector, coefficient, retarget, retargetAll, mode, channels, channelList, strength, distribution, levels, seed, figures, json, store, noStore,
        };
        var threading = new ThreadingOptions();
        threading.AddTo(command);
        command.SetAction(parse => CliErrors.Run(() =>
        {
            threading.Apply(parse);
            var id = parse.GetValue(run);
            var kind = parse.GetValue(vector) switch
            {
                "goal" => GoalVectorKind.Goal,
                "level" => GoalVectorKind.Level,
                "random" => GoalVectorKind.Random,
                "none" => GoalVectorKind.None,
                var other => throw new UserInputException($"--vector must be goal, level, random or none, not '{other}'."),
            };
            var retargetMode = parse.GetValue(mode) switch
            {
                "patch" => RetargetMode.Patch,
                "clamp" => RetargetMode.Clamp,
                var other => throw new UserInputException($"--retarget-mode must be patch or clamp, not '{other}'."),
            };
            var retargetText = parse.GetValue(retarget);
            var all = parse.GetValue(retargetAll);
            if (retargetText is not null && all)
            {
                throw new UserInputException("give either --retarget ROW,COL or --retarget-all, not both.");
            }

            TrainedNetwork trained;
            using (var runs = RunStore.OpenReadOnly(parse.GetValue(store)))
            {
                trained = TrainedNetwork.Load(runs, id);
            }

            var width = trained.Network.InputShape[^1];
            var height = trained.Network.InputShape.Count == 3 ? trained.Network.InputShape[1] : 0;
            IReadOnlyList<int>? cells = retargetText is null ? null : [ParseCell(retargetText, height, width)];
            var options = new SteeringOptions
            {
                Layer = parse.GetValue(layer),
                Vector = kind,
                Coefficient = parse.GetValue(coefficient),
                Distribution = parse.GetValue(distribution)!,
                Levels = parse.GetValue(levels),
                VectorLevels = parse.GetValue(levels),
                Seed = parse.GetValue(seed),
                RetargetCells = cells,
                RetargetAll = all,
                RetargetMode = retargetMode,
                RetargetChannels = parse.GetValue(channels),
                RetargetChannelList = parse.GetValue(channelList) is { } text ? ParseChannels(text) : null,
                RetargetStrength = parse.GetValue(strength),
            };
            using var analyses = CommonOptions.AnalysisStore(parse, store, noStore, id);
            var result = SteeringExperiment.Run(trained, options);
            if (analyses is not null)
            {
                AnalysisJson.Save(analyses, id, new SteeringAnalysis(CommonOptions.CommandLine(parse), trained.Scenario.Id, trained.Agent, result));
            }

            var written = parse.GetValue(figures) is { } folder ? WriteFigures(result, folder) : [];
            if (parse.GetValue(json))
            {
                Console.WriteLine(Json(id, trained, result).ToJsonString());
                return 0;
            }

            Print(id, trained, result);
            foreach (var path in written)
            {
                Console.WriteLine($"  wrote {path}");
            }

            return 0;
        }));
        return command;
    }

    private static IReadOnlyList<string> WriteFigures(SteeringResult result, string folder)
    {
        try
        {
            return SteeringCharts.WriteAll(result, folder);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UserInputException($"--figures {folder}: {e.Message}");
        }
    }

    private static int[] ParseChannels(string text)
    {
        var parts = text.Split(',');
        var channels = new int[parts.Length];
        for (var i = 0; i < parts.Length; i++)
        {
            if (!int.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out channels[i]))
            {
                throw new UserInputException($"--channel-list must be channel numbers separated by commas (e.g. 1,11,13), not '{text}'.");
            }
        }

        return channels;
    }

    private static int ParseCell(string text, int height, int width)
    {
        var parts = text.Split(',');
        if (parts.Length != 2
            || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var row)
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var col))
        {
            throw new UserInputException($"--retarget must be ROW,COL (e.g. 1,3), not '{text}'.");
        }

        if (height == 0)
        {
            throw new UserInputException("--retarget needs a CNN policy (its layers are maps of the maze).");
        }

        if (row >= height || col >= width)
        {
            throw new UserInputException($"--retarget {text} is outside the {height}×{width} maze (rows 0..{height - 1}, columns 0..{width - 1}).");
        }

        return (row * width) + col;
    }

    private static void Print(long id, TrainedNetwork trained, SteeringResult result)
    {
        var o = result.Options;
        var vectorText = o.Vector switch
        {
            GoalVectorKind.Goal => $"the mean goal vector over {o.VectorLevels} other levels (norm {ResultPrinter.N(result.VectorNorm)}), coefficient {ResultPrinter.N(o.Coefficient)}",
            GoalVectorKind.Level => $"each level's own goal vector, coefficient {ResultPrinter.N(o.Coefficient)}",
            GoalVectorKind.Random => $"the control: a random direction of each level's goal vector's norm, coefficient {ResultPrinter.N(o.Coefficient)}",
            _ => "no vector",
        };
        Console.WriteLine($"run {id} ({trained.Agent}, {trained.Scenario.Id}): steering at layer {result.Layer} with {vectorText}; exact on {result.Levels.Count} {o.Distribution} levels ({result.DecisionLevels} with a decision square)");
        Console.WriteLine($"  {"",-36} {"before",8} {"after",8}");
        Console.WriteLine($"  {"mean P(reach " + o.Goal + ")",-36} {ResultPrinter.N(result.Levels.Average(l => l.Before.ReachGoal)),8} {ResultPrinter.N(result.Levels.Average(l => l.After.ReachGoal)),8}");
        Console.WriteLine($"  {"mean P(reach " + o.Landmark + ")",-36} {ResultPrinter.N(result.Levels.Average(l => l.Before.ReachLandmark)),8} {ResultPrinter.N(result.Levels.Average(l => l.After.ReachLandmark)),8}");
        Console.WriteLine($"  {"median P(" + o.Goal + " | decision square)",-36} {ResultPrinter.N(result.MedianDecisionBefore),8} {ResultPrinter.N(result.MedianDecisionAfter),8}");
        Console.WriteLine($"  by the {o.Goal}'s distance from the {o.Landmark} (Manhattan, cells): median P({o.Goal} | decision square) and median P(reach {o.Goal})");
        Console.WriteLine($"  {"distance",-10} {"levels",6} {"with DS",7} {"DS before",9} {"DS after",9} {"reach before",12} {"reach after",11}");
        foreach (var b in result.Buckets)
        {
            Console.WriteLine($"  {$"{b.Low}–{b.High}",-10} {b.Levels,6} {b.DecisionLevels,7} {ResultPrinter.N(b.MedianBefore),9} {ResultPrinter.N(b.MedianAfter),9} {ResultPrinter.N(b.ReachGoalBefore),12} {ResultPrinter.N(b.ReachGoalAfter),11}");
        }

        if (result.Attribution is { } a)
        {
            Console.WriteLine($"  channel attribution ({a.Samples} resamples of the {o.Goal}'s position): {a.GoalChannels.Count} of {a.ChannelEffects.Count} channels above the random-direction baseline's {o.Attribution.Quantile:0.##} quantile ({ResultPrinter.N(a.Threshold)} mean TV)");
            Console.WriteLine($"  goal channels (effect): {string.Join(", ", a.GoalChannels.Select(c => $"{c} ({ResultPrinter.N(a.ChannelEffects[c])})"))}");
        }

        if (result.Retarget is { } r)
        {
            Console.WriteLine($"  retargeted channels: {string.Join(", ", r.Channels)}");
            Console.WriteLine(o.RetargetMode == RetargetMode.Clamp
                ? $"  retargeting by clamping the goal channels at the target to {string.Join(", ", r.Values.Select(v => ResultPrinter.N(v)))}"
                : "  retargeting by patching the goal channels with their maps for the goal object at the target");
            Console.WriteLine($"  retargeting (target reached with P ≥ {ResultPrinter.N(o.SuccessProbability)}; steered vs unsteered, pooled over level × target pairs):");
            Console.WriteLine($"  {"targets",-32} {"pairs",6} {"steered",8} {"unsteered",9}");
            Rate("on the path to the " + o.Landmark, r.OnPath);
            Rate($"1–{o.NearPath} moves off that path", r.NearPath);
            Rate($"within {o.NearPath} moves (both)", r.WithinNearPath);
            Rate($"further than {o.NearPath} moves", r.FarFromPath);
            Console.WriteLine("  success rate per target cell over levels (0–9 = tenths, X = all, . = never a target):");
            var byCell = r.Cells.ToDictionary(c => c.Cell);
            for (var row = 0; row < result.Height; row++)
            {
                var line = new StringBuilder("    ");
                for (var col = 0; col < result.Width; col++)
                {
                    line.Append(byCell.TryGetValue((row * result.Width) + col, out var cell) ? Digit((double)cell.Steered / cell.Levels) : '.');
                }

                Console.WriteLine(line);
            }
        }

        static void Rate(string name, RetargetRate rate) =>
            Console.WriteLine($"  {name,-32} {rate.Pairs,6} {ResultPrinter.N(rate.Steered),8} {ResultPrinter.N(rate.Unsteered),9}");
    }

    private static char Digit(double rate) => rate >= 1 ? 'X' : (char)('0' + (int)Math.Floor(rate * 10));

    private static JsonObject Json(long id, TrainedNetwork trained, SteeringResult result)
    {
        var o = result.Options;
        static JsonNode? J(double v) => ResultPrinter.J(v);
        var json = new JsonObject
        {
            ["run"] = id,
            ["scenario"] = trained.Scenario.Id,
            ["agent"] = trained.Agent,
            ["layer"] = result.Layer,
            ["vector"] = o.Vector.ToString().ToLowerInvariant(),
            ["coefficient"] = J(o.Coefficient),
            ["vector_norm"] = J(result.VectorNorm),
            ["distribution"] = o.Distribution,
            ["seed"] = o.Seed,
            ["levels"] = result.Levels.Count,
            ["decision_levels"] = result.DecisionLevels,
            ["reach_goal_before"] = J(result.Levels.Average(l => l.Before.ReachGoal)),
            ["reach_goal_after"] = J(result.Levels.Average(l => l.After.ReachGoal)),
            ["reach_landmark_before"] = J(result.Levels.Average(l => l.Before.ReachLandmark)),
            ["reach_landmark_after"] = J(result.Levels.Average(l => l.After.ReachLandmark)),
            ["median_goal_at_decision_before"] = J(result.MedianDecisionBefore),
            ["median_goal_at_decision_after"] = J(result.MedianDecisionAfter),
            ["buckets"] = new JsonArray([.. result.Buckets.Select(b => (JsonNode)new JsonObject
            {
                ["low"] = b.Low,
                ["high"] = b.High,
                ["levels"] = b.Levels,
                ["decision_levels"] = b.DecisionLevels,
                ["median_goal_at_decision_before"] = J(b.MedianBefore),
                ["median_goal_at_decision_after"] = J(b.MedianAfter),
                ["median_reach_goal_before"] = J(b.ReachGoalBefore),
                ["median_reach_goal_after"] = J(b.ReachGoalAfter),
            })]),
            ["per_level"] = new JsonArray([.. result.Levels.Select(l => (JsonNode)new JsonObject
            {
                ["goal_cell"] = l.GoalCell,
                ["landmark_distance"] = l.LandmarkDistance,
                ["decision_square"] = l.DecisionSquare,
                ["reach_goal"] = new JsonArray(J(l.Before.ReachGoal), J(l.After.ReachGoal)),
                ["reach_landmark"] = new JsonArray(J(l.Before.ReachLandmark), J(l.After.ReachLandmark)),
                ["goal_at_decision"] = new JsonArray(J(l.Before.GoalAtDecision), J(l.After.GoalAtDecision)),
            })]),
        };
        if (result.Attribution is { } a)
        {
            json["attribution"] = new JsonObject
            {
                ["samples"] = a.Samples,
                ["threshold"] = J(a.Threshold),
                ["goal_channels"] = new JsonArray([.. a.GoalChannels.Select(c => (JsonNode)c)]),
                ["channel_effects"] = new JsonArray([.. a.ChannelEffects.Select(e => J(e))]),
            };
        }

        if (result.Retarget is { } r)
        {
            static JsonObject Rate(RetargetRate rate) => new() { ["pairs"] = rate.Pairs, ["steered"] = ResultPrinter.J(rate.Steered), ["unsteered"] = ResultPrinter.J(rate.Unsteered) };
            json["retarget"] = new JsonObject
            {
                ["mode"] = o.RetargetMode.ToString().ToLowerInvariant(),
                ["channels"] = new JsonArray([.. r.Channels.Select(c => (JsonNode)c)]),
                ["values"] = new JsonArray([.. r.Values.Select(v => J(v))]),
                ["on_path"] = Rate(r.OnPath),
                ["near_path"] = Rate(r.NearPath),
                ["within_near_path"] = Rate(r.WithinNearPath),
                ["far_from_path"] = Rate(r.FarFromPath),
                ["cells"] = new JsonArray([.. r.Cells.Select(c => (JsonNode)new JsonObject
                {
                    ["row"] = c.Cell / result.Width,
                    ["col"] = c.Cell % result.Width,
                    ["levels"] = c.Levels,
                    ["steered"] = c.Steered,
                    ["unsteered"] = c.Unsteered,
                    ["mean_probability"] = J(c.MeanProbability),
                })]),
            };
        }

        return json;
    }
}
