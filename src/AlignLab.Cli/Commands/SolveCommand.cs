using System.CommandLine;
using System.Text.Json.Nodes;
using AlignLab.Reports;
using AlignLab.Scenarios;
using AlignLab.Solve;

namespace AlignLab.Cli.Commands;

/// <summary>
/// <c>alignlab solve ID</c>: solves the scenario exactly and prints the state count, the optimal
/// reward and intended values, the specification gap and a reward-optimal episode.
/// </summary>
internal static class SolveCommand
{
    public static Command Create()
    {
        var id = new Argument<string>("id") { Description = "Scenario id (Name-vN) or a scenario .yaml file." };
        var level = new Option<int?>("--level") { Description = "Solve only this level (default: every level of --distribution)." };
        var distribution = new Option<string?>("--distribution") { Description = "Distribution whose levels to solve (default train)." };
        var set = new Option<string[]>("--set") { Description = "Scenario parameter, key=value; repeatable." };
        var json = new Option<bool>("--json") { Description = "Print the results as one JSON object." };
        var command = new Command("solve", "Solve a scenario exactly: optimal values, specification gap (outer alignment), EPIC distance.") { id, level, distribution, set, json };
        var limitOptions = new SolverLimitOptions();
        limitOptions.AddTo(command);
        var threading = new ThreadingOptions();
        threading.AddTo(command);
        command.SetAction(parse => CliErrors.Run(() =>
        {
            threading.Apply(parse);
            var scenario = ScenarioRegistry.BuiltIn.Get(parse.GetValue(id)!);
            var options = new BuildOptions(parse.GetValue(level), parse.GetValue(distribution), CliErrors.ParseSet(parse.GetValue(set)));
            scenario.Build(options);
            var report = SpecificationGap.Analyze(scenario, options, limitOptions.Resolve(parse));
            if (parse.GetValue(json))
            {
                Console.WriteLine(Json(report).ToJsonString());
                return 0;
            }

            Console.WriteLine($"{report.Id} ({report.Distribution}): exact solution, horizon {scenario.MaxSteps}, undiscounted");
            foreach (var l in report.Levels)
            {
                Console.WriteLine();
                Console.WriteLine($"level {l.Level}: {l.States:N0} states ({l.Model}, model {SolverLimits.FormatBytes(l.ModelBytes)}), built in {l.BuildTime.TotalMilliseconds:F0} ms, solved in {l.SolveTime.TotalMilliseconds:F0} ms ({l.Backups:N0} state-action backups)");
                Console.WriteLine($"  reward    optimal {N(l.RewardOptimal)}   random {N(l.RewardRandom)}");
                Console.WriteLine($"  intended  optimal {N(l.IntendedOptimal)}   random {N(l.IntendedRandom)}");
                Console.WriteLine($"  intended of reward-optimal policies: best {N(l.IntendedBest)}, worst {N(l.IntendedWorst)}");
                Console.WriteLine($"  score_intended(π*_reward): {Range(l.ScoreWorst, l.ScoreBest)}");
                Console.WriteLine($"  specification gap: {Range(l.GapBest, l.GapWorst)}    EPIC(reward, intended): {N(l.Epic)}");
                Console.WriteLine($"  a reward-optimal episode (worst for intended): {Compress(l.WorstEpisode.Actions)}");
                Console.WriteLine("  cells visited (count; + is 10 or more):");
                foreach (var row in l.WorstEpisode.VisitMap.TrimEnd('\n').Split('\n'))
                {
                    Console.WriteLine($"    {row}");
                }
            }

            Console.WriteLine();
            Console.WriteLine($"specification gap on {report.Distribution}: {Range(report.GapBest, report.GapWorst)} (0 = a perfect reward optimiser does what we intend; 1 = no better than random)");
            return 0;
        }));
        return command;
    }

    internal static JsonObject Json(SpecificationReport report)
    {
        var levels = new JsonArray();
        foreach (var l in report.Levels)
        {
            levels.Add(new JsonObject
            {
                ["level"] = l.Level,
                ["states"] = l.States,
                ["model"] = l.Model,
                ["build_ms"] = l.BuildTime.TotalMilliseconds,
                ["solve_ms"] = l.SolveTime.TotalMilliseconds,
                ["backups"] = l.Backups,
                ["model_bytes"] = l.ModelBytes,
                ["reward_optimal"] = J(l.RewardOptimal),
                ["reward_random"] = J(l.RewardRandom),
                ["intended_optimal"] = J(l.IntendedOptimal),
                ["intended_random"] = J(l.IntendedRandom),
                ["intended_of_reward_optimal_best"] = J(l.IntendedBest),
                ["intended_of_reward_optimal_worst"] = J(l.IntendedWorst),
                ["score_intended_best"] = J(l.ScoreBest),
                ["score_intended_worst"] = J(l.ScoreWorst),
                ["specification_gap_best"] = J(l.GapBest),
                ["specification_gap_worst"] = J(l.GapWorst),
                ["epic"] = J(l.Epic),
                ["worst_episode_actions"] = l.WorstEpisode.Actions,
            });
        }

        return new JsonObject
        {
            ["id"] = report.Id,
            ["distribution"] = report.Distribution,
            ["specification_gap_best"] = J(report.GapBest),
            ["specification_gap_worst"] = J(report.GapWorst),
            ["epic"] = J(report.Epic),
            ["levels"] = levels,
        };
    }

    private static JsonValue? J(double value) => double.IsFinite(value) ? JsonValue.Create(Math.Round(value, 10)) : null;

    private static string N(double value) => Numbers.Format(value, 4);

    private static string Range(double low, double high) =>
        double.IsNaN(low) || double.IsNaN(high) ? "n/a (every policy scores the same)"
        : Math.Abs(high - low) < 1e-9 ? N(low) : $"{N(low)} to {N(high)}";

    private static string Compress(string actions)
    {
        var parts = new List<string>();
        var i = 0;
        while (i < actions.Length)
        {
            // Find the shortest repeating unit (length 1..8) starting here that repeats at least 3 times.
            var best = (Unit: actions[i].ToString(), Count: 1);
            for (var len = 1; len <= 8 && i + len <= actions.Length; len++)
            {
                var unit = actions.Substring(i, len);
                var count = 1;
                while (i + ((count + 1) * len) <= actions.Length && actions.Substring(i + (count * len), len) == unit)
                {
                    count++;
                }

                if (count >= 3 && count * len > best.Count * best.Unit.Length)
                {
                    best = (unit, count);
                }
            }

            parts.Add(best.Count >= 3 ? $"({best.Unit})×{best.Count}" : best.Unit);
            i += best.Unit.Length * best.Count;
        }

        return string.Concat(parts);
    }
}
