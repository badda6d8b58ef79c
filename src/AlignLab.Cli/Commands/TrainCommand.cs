using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using AlignLab.Agents;
using AlignLab.Envs;
using AlignLab.Scenarios;
using AlignLab.Solve;

namespace AlignLab.Cli.Commands;

/// <summary>
/// <c>alignlab train ID --agent q|sarsa</c>: trains a tabular agent, then evaluates the learned
/// policy exactly with the solver: reward and intended scores and the observed outer gap.
/// </summary>
internal static class TrainCommand
{
    private static readonly string[] Agents = ["q", "sarsa"];

    public static Command Create()
    {
        var id = new Argument<string>("id") { Description = "Scenario id (Name-vN) or a scenario .yaml file." };
        var agent = new Option<string>("--agent") { Description = "Agent: q (Q-learning) or sarsa.", DefaultValueFactory = _ => "q" };
        var steps = new Option<int>("--steps") { Description = "Training steps.", DefaultValueFactory = _ => 50_000 };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the agent and the environment.", DefaultValueFactory = _ => 0UL };
        var level = new Option<int?>("--level") { Description = "Train on this level (default: the train distribution)." };
        var set = new Option<string[]>("--set") { Description = "Scenario parameter, key=value; repeatable." };
        var json = new Option<bool>("--json") { Description = "Print the results as one JSON object." };
        var stateKey = new Option<string>("--state") { Description = "Tabular state: board (the whole observed board) or cell (the agent's cell only, an abstraction).", DefaultValueFactory = _ => "board" };
        var command = new Command("train", "Train an agent, then evaluate the learned policy exactly (reward and intended scores, observed outer gap).") { id, agent, steps, seed, level, set, stateKey, json };
        command.SetAction(parse => CliErrors.Run(() =>
        {
            var name = parse.GetValue(agent)!;
            var algorithm = name switch
            {
                "q" => TabularAlgorithm.QLearning,
                "sarsa" => TabularAlgorithm.Sarsa,
                _ => throw new UsageException($"unknown agent '{name}'{Suggest.DidYouMean(name, Agents)}; agents: {string.Join(", ", Agents)}."),
            };
            if (parse.GetValue(steps) < 1)
            {
                throw new UsageException("--steps must be at least 1.");
            }

            var scenario = ScenarioRegistry.BuiltIn.Get(parse.GetValue(id)!);
            var world = scenario.Build(new BuildOptions(parse.GetValue(level), null, CliErrors.ParseSet(parse.GetValue(set))));
            var key = parse.GetValue(stateKey) switch
            {
                "board" => TabularStateKey.Board,
                "cell" => TabularStateKey.AgentCell,
                var other => throw new UsageException($"--state must be board or cell, not '{other}'."),
            };
            var options = new TabularOptions(algorithm, parse.GetValue(steps), Seed: parse.GetValue(seed), StateKey: key);
            var env = EnvironmentFactory.Make(world, options.Seed).Env;
            var learner = new TabularAgent(env.Spec.ActionCount, options, world.AgentSymbol);
            var quiet = parse.GetValue(json);
            learner.Train(env, p =>
            {
                if (!quiet)
                {
                    Console.WriteLine($"step {p.Step,9:N0}  episodes {p.Episodes,6:N0}  mean return {N(p.MeanReturn),8}  ε {p.Epsilon:0.000}");
                }
            });

            var solution = ExactSolution.Create(world);
            var names = env.Spec.ExtraNames;
            var values = solution.Evaluate((board, extras, probabilities) => learner.Policy(board, extras, names, probabilities));
            var (_, best, worst) = solution.IntendedUnderRewardOptimal();
            if (quiet)
            {
                Console.WriteLine(new JsonObject
                {
                    ["id"] = world.Id,
                    ["agent"] = name,
                    ["state"] = parse.GetValue(stateKey),
                    ["steps"] = options.Steps,
                    ["seed"] = options.Seed,
                    ["states_seen"] = learner.StatesSeen,
                    ["reward"] = values.Reward,
                    ["intended"] = values.Intended,
                    ["score_reward"] = Json(values.RewardScore),
                    ["score_intended"] = Json(values.IntendedScore),
                    ["observed_outer_gap"] = Json(values.ObservedOuterGap),
                    ["specification_gap_best"] = Json(1 - solution.Score(world.Intended, best)),
                    ["specification_gap_worst"] = Json(1 - solution.Score(world.Intended, worst)),
                }.ToJsonString());
                return 0;
            }

            Console.WriteLine();
            Console.WriteLine($"{world.Id}: {name} after {options.Steps:N0} steps (seed {options.Seed}), {learner.StatesSeen:N0} boards seen");
            Console.WriteLine($"learned policy, exact over {solution.StateCount:N0} states (greedy; uniform on unseen boards):");
            Console.WriteLine($"  reward    {N(values.Reward),9}   score {N(values.RewardScore)}   (optimal {N(solution.Optimal(world.Reward))}, random {N(solution.RandomValue(world.Reward))})");
            Console.WriteLine($"  intended  {N(values.Intended),9}   score {N(values.IntendedScore)}   (optimal {N(solution.Optimal(world.Intended))}, random {N(solution.RandomValue(world.Intended))})");
            Console.WriteLine($"  observed outer gap (score_reward − score_intended): {N(values.ObservedOuterGap)}");
            Console.WriteLine($"  for comparison, the specification gap of a perfect reward optimiser: {N(1 - solution.Score(world.Intended, best))} to {N(1 - solution.Score(world.Intended, worst))}");
            return 0;
        }));
        return command;
    }

    private static JsonValue? Json(double value) => double.IsFinite(value) ? JsonValue.Create(value) : null;

    private static string N(double value) => double.IsNaN(value) ? "n/a" : value.ToString("0.###", CultureInfo.InvariantCulture);
}
