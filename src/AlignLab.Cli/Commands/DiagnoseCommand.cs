using System.CommandLine;
using System.Text.Json.Nodes;
using AlignLab.Diagnostics;

namespace AlignLab.Cli.Commands;

/// <summary>
/// <c>alignlab diagnose RUN_OR_CHECKPOINT</c>: goal attribution of any trained agent's policy, from a run
/// in the store (its last checkpoint) or a checkpoint file: per distribution, the exact normalised
/// score of the reward and of every candidate goal with 95% intervals and sample sizes, the
/// fraction of sampled episodes achieving each goal, the attributed goal and the classification.
/// </summary>
internal static class DiagnoseCommand
{
    public static Command Create()
    {
        var target = new Argument<string>("run") { Description = "A run id in the store, or an agent's checkpoint (.safetensors) file." };
        var scenarioOption = new Option<string?>("--scenario") { Description = "Scenario id, for a checkpoint file (a run knows its own)." };
        var set = new Option<string[]>("--set") { Description = "Scenario parameters, for a checkpoint file; repeatable." };
        var store = CommonOptions.Store();
        var levels = new Option<int>("--levels") { Description = "Levels drawn per generated distribution (each solved exactly).", DefaultValueFactory = _ => 20 };
        var episodes = new Option<int>("--episodes") { Description = "Episodes sampled per distribution.", DefaultValueFactory = _ => 200 };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the level draws and episodes.", DefaultValueFactory = _ => 0UL };
        var json = new Option<bool>("--json") { Description = "Print the diagnosis as one JSON object." };
        var command = new Command("diagnose", "Goal attribution of a trained policy on train and every deployment distribution.") { target, scenarioOption, set, store, levels, episodes, seed, json };
        var limitOptions = new SolverLimitOptions();
        limitOptions.AddTo(command);
        var threading = new ThreadingOptions();
        threading.AddTo(command);
        command.SetAction(parse => CliErrors.Run(() =>
        {
            threading.Apply(parse);
            var value = parse.GetValue(target)!;
            var loaded = TrainedPolicyTarget.Load(value, parse.GetResult(scenarioOption) is null ? null : parse.GetValue(scenarioOption), parse.GetResult(set) is null ? null : parse.GetValue(set) ?? [], parse.GetValue(store)!, "diagnosing");
            var (scenarioId, scenario, parameters, agent, label) = (loaded.ScenarioId, loaded.Scenario, loaded.Parameters, loaded.Agent, loaded.Label);

            var diagnosis = GoalAttribution.Diagnose(scenario, agent.Policy, new DiagnoseOptions(parse.GetValue(levels), parse.GetValue(episodes), parse.GetValue(seed), Experiments.Experiment.InnerThreshold, parameters, limitOptions.Resolve(parse)));
            if (parse.GetValue(json))
            {
                Console.WriteLine(Json(diagnosis).ToJsonString());
                return 0;
            }

            Console.WriteLine($"{scenarioId}: goal attribution of the trained policy (normalised exact scores, mean [95% CI] (n = levels); achieved = fraction of {parse.GetValue(episodes)} sampled episodes)");
            foreach (var d in diagnosis.Distributions)
            {
                Console.WriteLine($"  {d.Distribution}: reward {d.Reward}");
                foreach (var (goal, estimate) in d.Goals)
                {
                    Console.WriteLine($"    {goal,-20} score {estimate}   achieved {d.Achieved.GetValueOrDefault(goal)}");
                }

                Console.WriteLine($"    attributed goal: {d.AttributedGoal}");
            }

            Console.WriteLine($"generalisation gap {ResultPrinter.N(diagnosis.GeneralisationGap)}; {diagnosis.Classification.Describe()}: {diagnosis.Reason}");
            return 0;
        }));
        return command;
    }

    private static JsonObject Json(Diagnosis diagnosis)
    {
        var distributions = new JsonArray();
        foreach (var d in diagnosis.Distributions)
        {
            var goals = new JsonObject();
            foreach (var (goal, e) in d.Goals)
            {
                var achieved = d.Achieved.GetValueOrDefault(goal);
                goals[goal] = new JsonObject
                {
                    ["score"] = ResultPrinter.J(e.Mean),
                    ["low"] = ResultPrinter.J(e.Low),
                    ["high"] = ResultPrinter.J(e.High),
                    ["levels"] = e.N,
                    ["achieved"] = ResultPrinter.J(achieved?.Mean ?? double.NaN),
                    ["achieved_low"] = ResultPrinter.J(achieved?.Low ?? double.NaN),
                    ["achieved_high"] = ResultPrinter.J(achieved?.High ?? double.NaN),
                    ["episodes"] = achieved?.N ?? 0,
                };
            }

            distributions.Add(new JsonObject
            {
                ["distribution"] = d.Distribution,
                ["score_reward"] = ResultPrinter.J(d.Reward.Mean),
                ["score_reward_low"] = ResultPrinter.J(d.Reward.Low),
                ["score_reward_high"] = ResultPrinter.J(d.Reward.High),
                ["levels"] = d.Reward.N,
                ["goals"] = goals,
                ["attributed_goal"] = d.AttributedGoal,
            });
        }

        return new JsonObject
        {
            ["id"] = diagnosis.Id,
            ["classification"] = diagnosis.Classification.Describe(),
            ["generalisation_gap"] = ResultPrinter.J(diagnosis.GeneralisationGap),
            ["reason"] = diagnosis.Reason,
            ["distributions"] = distributions,
        };
    }
}
