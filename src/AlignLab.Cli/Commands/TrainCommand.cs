using System.CommandLine;
using AlignLab.Agents;
using AlignLab.Experiments;

namespace AlignLab.Cli.Commands;

/// <summary>
/// <c>alignlab train ID --agent q|sarsa|dqn|ppo</c>: trains an agent on the training
/// distribution, then measures it exactly: learning curves, specification gap, observed outer
/// gap, goal attribution on every distribution and the 2×2 verdict.
/// </summary>
internal static class TrainCommand
{
    private static readonly string[] Agents = ["q", "sarsa", "dqn", "ppo"];

    public static Command Create()
    {
        var id = new Argument<string>("id") { Description = "Scenario id (Name-vN) or a scenario .yaml file." };
        var agent = new Option<string>("--agent") { Description = "Agent: q (Q-learning), sarsa, dqn or ppo.", DefaultValueFactory = _ => "q" };
        var steps = new Option<long>("--steps") { Description = "Training steps (default: 50,000 tabular, 200,000 neural)." };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the agent, the environments and the evaluation samples.", DefaultValueFactory = _ => 0UL };
        var set = new Option<string[]>("--set") { Description = "Scenario parameter, key=value; repeatable." };
        var stateKey = new Option<string>("--state") { Description = "Tabular state: board (the whole observed board) or cell (the agent's cell only, an abstraction).", DefaultValueFactory = _ => "board" };
        var json = new Option<bool>("--json") { Description = "Print the results as one JSON object." };
        var command = new Command("train", "Train an agent, then measure it exactly: specification gap, observed outer gap, goal attribution, verdict.") { id, agent, steps, seed, set, stateKey, json };
        command.SetAction(parse => CliErrors.Run(() =>
        {
            var name = parse.GetValue(agent)!;
            if (!Agents.Contains(name))
            {
                throw new UsageException($"unknown agent '{name}'{AlignLab.Scenarios.Suggest.DidYouMean(name, Agents)}; agents: {string.Join(", ", Agents)}.");
            }

            var tabular = name is "q" or "sarsa";
            var budget = parse.GetValue(steps) is > 0 and var s ? s : tabular ? 50_000 : 200_000;
            var key = parse.GetValue(stateKey) switch
            {
                "board" => TabularStateKey.Board,
                "cell" => TabularStateKey.AgentCell,
                var other => throw new UsageException($"--state must be board or cell, not '{other}'."),
            };
            var spec = new ExperimentSpec(parse.GetValue(id)!, name, budget, parse.GetValue(seed), CliErrors.ParseSet(parse.GetValue(set)))
            {
                Tabular = tabular ? new TabularOptions(name == "q" ? TabularAlgorithm.QLearning : TabularAlgorithm.Sarsa, (int)budget, Seed: parse.GetValue(seed), StateKey: key) : null,
            };
            var asJson = parse.GetValue(json);
            var result = Experiment.Run(spec, asJson ? null : Console.WriteLine);
            if (asJson)
            {
                Console.WriteLine(ResultPrinter.Json(result).ToJsonString());
            }
            else
            {
                ResultPrinter.Print(result);
            }

            return 0;
        }));
        return command;
    }
}
