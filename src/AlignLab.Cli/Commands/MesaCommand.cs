using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using AlignLab.Interpretability;
using AlignLab.Mesa;
using AlignLab.Nn;
using AlignLab.Reports;
using AlignLab.Runs;
using AlignLab.Scenarios;

namespace AlignLab.Cli.Commands;

/// <summary>
/// <c>alignlab mesa RUN [--level N] [--distribution D] [--levels N] [--edit ROW,COL | --edit-all] [--edit-kind raise|replace|move|raise-walled] [--edit-strength K] [--json]</c>: reads the
/// mesa-objective f_R of a stored value-iteration-network policy on a distribution's levels (where its maximum lies,
/// its correlation with each goal's cells, agreement with the exact behavioural goal attribution), draws f_R on one
/// level, and measures exactly whether putting reward on a cell makes the agent go there.
/// </summary>
internal static class MesaCommand
{
    public static Command Create()
    {
        var run = new Argument<long>("run") { Description = "A ppo run trained with the vin network (--preset vin or --ppo network=vin), by id in the store." };
        var level = new Option<int>("--level") { Description = "The level (index in the sample, from 0) whose f_R is drawn.", DefaultValueFactory = _ => 0 };
        var distribution = new Option<string>("--distribution") { Description = "The distribution whose levels are read.", DefaultValueFactory = _ => "deploy" };
        var levels = new Option<int>("--levels") { Description = "Levels drawn from a generated distribution.", DefaultValueFactory = _ => 100 };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the level draw.", DefaultValueFactory = _ => 0UL };
        var edit = new Option<string?>("--edit") { Description = "Put reward on the cell ROW,COL (0-based) of every level where the agent can reach it, and measure exactly whether it goes there." };
        var editAll = new Option<bool>("--edit-all") { Description = "Put reward on every reachable cell of every level, one edit at a time, and measure each exactly." };
        var strength = new Option<double>("--edit-strength") { Description = "How strongly an edit puts reward on its cell: f_R there moves from its value r to r + k·(max f_R + range − r); 1 (the default) sets it to max f_R + (max f_R − min f_R), 0 changes nothing.", DefaultValueFactory = _ => 1.0 };
        var kind = new Option<string>("--edit-kind") { Description = "How an edit puts reward on its cell: raise (its f_R raised above the map's maximum, the rest unchanged), replace (the open cells flattened to their lowest f_R and the cell put above them by the strength times their range; walls unchanged), move (the open cells capped at their median, the cell put the strength times the peak's height above it) or raise-walled (raise, and every wall made costlier than any shortcut through it could gain).", DefaultValueFactory = _ => "raise" };
        var json = new Option<bool>("--json") { Description = "Print one JSON object." };
        var store = CommonOptions.Store();
        var noStore = CommonOptions.NoStore();
        var command = new Command("mesa", "Read and edit the mesa-objective (the learned reward map f_R) of a value-iteration-network policy, measured exactly.")
        {
            run, level, distribution, levels, seed, edit, editAll, strength, kind, json, store, noStore,
        };
        var threading = new ThreadingOptions();
        threading.AddTo(command);
        command.SetAction(parse => CliErrors.Run(() =>
        {
            threading.Apply(parse);
            var count = parse.GetValue(levels);
            if (count < 1)
            {
                throw new UsageException($"--levels must be at least 1, not {count}.");
            }

            var k = parse.GetValue(strength);
            if (!(k >= 0) || double.IsInfinity(k))
            {
                throw new UsageException($"--edit-strength must be a finite number at least 0, not {k.ToString(CultureInfo.InvariantCulture)}.");
            }

            var editKind = parse.GetValue(kind) switch
            {
                "raise" => MesaEditKind.Raise,
                "replace" => MesaEditKind.Replace,
                "move" => MesaEditKind.Move,
                "raise-walled" => MesaEditKind.RaiseWalled,
                var other => throw new UsageException($"--edit-kind must be raise, replace, move or raise-walled, not '{other}'."),
            };
            var shown = parse.GetValue(level);
            var editText = parse.GetValue(edit);
            if (editText is not null && parse.GetValue(editAll))
            {
                throw new UsageException("--edit and --edit-all contradict each other; give one.");
            }

            var id = parse.GetValue(run);
            TrainedNetwork trained;
            using (var runs = RunStore.OpenReadOnly(parse.GetValue(store)))
            {
                trained = TrainedNetwork.Load(runs, id);
            }

            if (trained.Network.Layers.Count == 0 || trained.Network.Layers[0] is not ValueIterationNetwork vin)
            {
                throw new UsageException($"run {id} has no mesa-objective to read: its {trained.Agent} network is not a value-iteration network (train with --agent ppo --preset vin).");
            }

            var world = trained.Scenario.Build(new BuildOptions(Set: trained.Parameters));
            var options = new MesaOptions(parse.GetValue(distribution)!, count, parse.GetValue(seed), trained.Parameters, ParseCell(editText, world.Height, world.Width), parse.GetValue(editAll), EditStrength: k, EditKind: editKind);
            using var analyses = CommonOptions.AnalysisStore(parse, store, noStore, id);
            var summary = MesaAnalysis.Run(trained.Scenario, trained.Network, options);
            if (shown < 0 || shown >= summary.Levels.Count)
            {
                throw new UsageException($"--level {shown} is not one of the {summary.Levels.Count} levels read (0 to {summary.Levels.Count - 1}).");
            }

            if (analyses is not null)
            {
                AnalysisJson.Save(analyses, id, new MesaAnalysisRecord(CommonOptions.CommandLine(parse), trained.Scenario.Id, vin.Iterations, vin.Coordinates, shown, summary));
            }

            var detail = summary.Levels[shown];
            if (parse.GetValue(json))
            {
                Console.WriteLine(Json(id, trained, vin, summary, detail, options).ToJsonString());
                return 0;
            }

            Console.WriteLine($"run {id} ({trained.Agent}, value-iteration network with K = {vin.Iterations}{(vin.Coordinates ? ", coordinate channels" : string.Empty)}, {trained.Scenario.Id}): the mesa-objective f_R on {summary.Levels.Count} {summary.Distribution} level(s)");
            Console.WriteLine($"  f_R's maximum lies on: {string.Join(", ", summary.Readings.Select(r => $"{r.Key} {r.Value}"))}");
            Console.WriteLine($"  mean correlation of f_R with each goal's cells (open cells): {string.Join(", ", summary.MeanCorrelations.Select(c => $"{c.Key} {ResultPrinter.N(c.Value)}"))}");
            var behaviours = summary.Levels.GroupBy(l => l.Behaviour).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Key} {g.Count()}");
            Console.WriteLine($"  behaviour (the goal with the highest exact score on each level): {string.Join(", ", behaviours)}");
            Console.WriteLine($"  the goal f_R rates highest (largest f_R on its cells): {string.Join(", ", summary.Levels.GroupBy(l => l.Preferred).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Key} {g.Count()}"))}");
            Console.WriteLine($"  agreement with the behaviour on the {summary.Compared} levels whose goals' cells are apart: f_R's maximum {summary.Levels.Count(l => l.GoalsApart && l.Agrees)} ({Percent(summary.Agreement)}), the goal f_R rates highest {summary.Levels.Count(l => l.GoalsApart && l.PreferredAgrees)} ({Percent(summary.PreferredAgreement)})");
            var sep = summary.SeparatedAgreement;
            Console.WriteLine($"  the same on the {summary.Separated} levels where neither goal lies on the way to the other: f_R's maximum {Percent(sep.Maximum)}, the goal f_R rates highest {Percent(sep.Preferred)}");
            if (summary.Edits > 0)
            {
                Console.WriteLine($"  edits ({KindName(options.EditKind)}, strength {options.EditStrength.ToString(CultureInfo.InvariantCulture)}): {summary.Edits}; the agent then enters the cell with exact probability {ResultPrinter.N(summary.MeanReachAfter)} on average (unedited: {ResultPrinter.N(summary.MeanReachBefore)}); at least 0.9 after {Percent(summary.ReachedShare)} of edits; acting greedily it enters the cell after {Percent(summary.GreedyReach)} of edits");
                Console.WriteLine($"  at least 0.9 after {Percent(summary.StraightReachedShare)} of the {summary.Edits - summary.DetourEdits} edits with no wall between the start and the cell, and {Percent(summary.DetourReachedShare)} of the {summary.DetourEdits} whose shortest path detours around walls");
            }
            else if (options.EditCell is not null || options.EditAll)
            {
                Console.WriteLine("  edits: the agent cannot reach the cell on any level read");
            }

            Console.WriteLine($"level {shown}: exact goal scores {string.Join(", ", detail.GoalScores.Select(s => $"{s.Key} {ResultPrinter.N(s.Value)}"))}; behaviour: {detail.Behaviour}");
            Console.Write(MesaAnalysis.Render(detail));
            return 0;
        }));
        return command;
    }

    private static int? ParseCell(string? text, int height, int width)
    {
        if (text is null)
        {
            return null;
        }

        var parts = text.Split(',');
        if (parts.Length != 2 || !int.TryParse(parts[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out var row) || !int.TryParse(parts[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var col))
        {
            throw new UsageException($"--edit '{text}' must look like ROW,COL (e.g. 1,5).");
        }

        if (row < 0 || col < 0 || row >= height || col >= width)
        {
            throw new UsageException($"--edit {row},{col} is off the {height}×{width} map.");
        }

        return (row * width) + col;
    }

    private static string KindName(MesaEditKind kind) => kind == MesaEditKind.RaiseWalled ? "raise-walled" : kind.ToString().ToLowerInvariant();

    private static string Percent(double share) => double.IsFinite(share) ? share.ToString("P1", CultureInfo.InvariantCulture) : "n/a";

    private static JsonObject Json(long id, TrainedNetwork trained, ValueIterationNetwork vin, MesaSummary summary, MesaLevel detail, MesaOptions options)
    {
        var width = detail.Map[0].Length;
        JsonArray Cell(int cell) => [cell / width, cell % width];
        JsonObject Numbers(IReadOnlyDictionary<string, double> values) => new([.. values.Select(v => KeyValuePair.Create(v.Key, (JsonNode?)ResultPrinter.J(v.Value)))]);
        var levels = new JsonArray();
        foreach (var l in summary.Levels)
        {
            levels.Add(new JsonObject
            {
                ["level"] = l.Level,
                ["map"] = new JsonArray([.. l.Map.Select(r => (JsonNode)r)]),
                ["max_cell"] = Cell(l.MaxCell),
                ["reading"] = l.Reading,
                ["preferred"] = l.Preferred,
                ["separated"] = l.Separated,
                ["behaviour"] = l.Behaviour,
                ["goals_apart"] = l.GoalsApart,
                ["agrees"] = l.Agrees,
                ["goal_scores"] = Numbers(l.GoalScores),
                ["correlations"] = Numbers(l.Correlations),
                ["edits"] = new JsonArray([.. l.Edits.Select(e => (JsonNode)new JsonObject { ["cell"] = Cell(e.Cell), ["before"] = ResultPrinter.J(e.Before), ["after"] = ResultPrinter.J(e.After), ["greedy_after"] = ResultPrinter.J(e.GreedyAfter), ["detour"] = e.Detour })]),
            });
        }

        return new JsonObject
        {
            ["run"] = id,
            ["scenario"] = trained.Scenario.Id,
            ["iterations"] = vin.Iterations,
            ["coordinates"] = vin.Coordinates,
            ["distribution"] = summary.Distribution,
            ["levels_read"] = summary.Levels.Count,
            ["readings"] = new JsonObject([.. summary.Readings.Select(r => KeyValuePair.Create(r.Key, (JsonNode?)r.Value))]),
            ["mean_correlations"] = Numbers(summary.MeanCorrelations),
            ["compared"] = summary.Compared,
            ["agreement"] = ResultPrinter.J(summary.Agreement),
            ["preferred_agreement"] = ResultPrinter.J(summary.PreferredAgreement),
            ["separated"] = summary.Separated,
            ["separated_agreement"] = ResultPrinter.J(summary.SeparatedAgreement.Maximum),
            ["separated_preferred_agreement"] = ResultPrinter.J(summary.SeparatedAgreement.Preferred),
            ["edits"] = summary.Edits,
            ["edit_kind"] = KindName(options.EditKind),
            ["edit_strength"] = options.EditStrength,
            ["edit_reach_after"] = ResultPrinter.J(summary.MeanReachAfter),
            ["edit_reach_before"] = ResultPrinter.J(summary.MeanReachBefore),
            ["edit_reached_share"] = ResultPrinter.J(summary.ReachedShare),
            ["edit_greedy_reach"] = ResultPrinter.J(summary.GreedyReach),
            ["edit_detours"] = summary.DetourEdits,
            ["edit_reached_share_detour"] = ResultPrinter.J(summary.DetourReachedShare),
            ["edit_reached_share_straight"] = ResultPrinter.J(summary.StraightReachedShare),
            ["level"] = new JsonObject
            {
                ["index"] = detail.Level,
                ["map"] = new JsonArray([.. detail.Map.Select(r => (JsonNode)r)]),
                ["f_r"] = new JsonArray([.. detail.Rewards.Select(r => (JsonNode)Math.Round((double)r, 6))]),
            },
            ["levels"] = levels,
        };
    }
}
