using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using AlignLab.Agents;
using AlignLab.Errors;
using AlignLab.Reports;
using AlignLab.RewardModels;
using AlignLab.Rlhf;
using AlignLab.Runs;
using AlignLab.Scenarios;
using AlignLab.Solve;

namespace AlignLab.Cli.Commands;

/// <summary>
/// <c>alignlab rlhf ID</c>: learn the reward from preferences (or principles) and measure the learned reward's exact
/// specification gap, for every combination of the labellers, selection modes, comparison counts and seeds given.
/// </summary>
internal static class RlhfCommand
{
    /// <summary>The gap under which a learned reward counts as recovering the intended objective (the issue's target).</summary>
    internal const double Target = 0.1;

    public static Command Create()
    {
        var id = new Argument<string>("id") { Description = "Scenario id (Name-vN) or a scenario .yaml file." };
        var level = new Option<int?>("--level") { Description = "Learn and solve on this level only (default: the train distribution's levels as one world)." };
        var set = new Option<string[]>("--set") { Description = "Scenario parameter, key=value; repeatable." };
        var labeller = new Option<string>("--labeller") { Description = "Who labels: intended, observed, constitution or constitution:FILE; a comma-separated list runs each (default intended).", DefaultValueFactory = _ => "intended" };
        var comparisons = new Option<string>("--comparisons") { Description = "Labelled comparisons; a comma-separated list runs each (default 1000).", DefaultValueFactory = _ => "1000" };
        var select = new Option<string>("--select") { Description = "Query selection: random or active (ensemble disagreement); a comma-separated list runs each (default random).", DefaultValueFactory = _ => "random" };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the first run (default 1).", DefaultValueFactory = _ => 1 };
        var seeds = new Option<int>("--seeds") { Description = "Seeds per setting: seed, seed+1, ... (default 1).", DefaultValueFactory = _ => 1 };
        var behaviour = new Option<long?>("--behaviour") { Description = "Draw the segments from this stored training run's latest policy (a run id in --store) instead of uniformly random play." };
        var segment = new Option<int>("--segment") { Description = "Steps per segment; 0 = whole episodes (default 25).", DefaultValueFactory = _ => 25 };
        var rounds = new Option<int>("--rounds") { Description = "Query rounds of active selection after the initial 10% (default 5).", DefaultValueFactory = _ => 5 };
        var model = new Option<string>("--model") { Description = "Reward model: auto (MLP, or linear where the exact model needs a cellwise reward), mlp, linear, or features (one readable linear map over the constitution rules' observable features; prints its weights) (default auto).", DefaultValueFactory = _ => "auto" };
        var epochs = new Option<int>("--epochs") { Description = "Passes of each reward model over its comparisons (default 10).", DefaultValueFactory = _ => 10 };
        var hidden = new Option<string>("--hidden") { Description = "Hidden layer sizes of the MLP reward model, comma-separated (default 64,64).", DefaultValueFactory = _ => "64,64" };
        var agent = new Option<string?>("--agent") { Description = "RLHF by learning: also train this agent (q, sarsa, dqn, ppo, random) on the learned reward, refitting it from the agent's own segments each iteration; its policy is evaluated exactly on the original world." };
        var steps = new Option<long>("--steps") { Description = "RLHF by learning: the agent's training steps per iteration (default 20000).", DefaultValueFactory = _ => 20_000 };
        var iterations = new Option<int>("--iterations") { Description = "RLHF by learning: iterations of collect, refit and train (default 3).", DefaultValueFactory = _ => 3 };
        var exploration = new Option<double>("--exploration") { Description = "RLHF by learning: share ε of uniformly random actions mixed into the agent's policy when later iterations draw their segments (imitation's exploration_frac; default 0).", DefaultValueFactory = _ => 0 };
        var agentOptions = new Option<string[]>("--agent-option") { Description = "RLHF by learning: one of the agent's options, name=value in kebab case; repeatable." };
        var json = new Option<bool>("--json") { Description = "Print the results as one JSON object." };
        var store = CommonOptions.Store("The run store each run is recorded in (its settings and exact results; `alignlab report RUN...` draws them).");
        var command = new Command("rlhf", "Learn the reward from preferences (RLHF) or from written principles, and measure the learned reward's exact specification gap.")
        {
            id, level, set, labeller, comparisons, select, seed, seeds, behaviour, segment, rounds, model, epochs, hidden, agent, steps, iterations, exploration, agentOptions, json, store,
        };
        var limitOptions = new SolverLimitOptions();
        limitOptions.AddTo(command);
        var threading = new ThreadingOptions();
        threading.AddTo(command);
        command.SetAction(parse => CliErrors.Run(() =>
        {
            threading.Apply(parse);
            var labellers = List(parse.GetValue(labeller)!, "--labeller", s => s);
            var counts = List(parse.GetValue(comparisons)!, "--comparisons", ParseCount);
            var modes = List(parse.GetValue(select)!, "--select", ParseSelection);
            var seedCount = parse.GetValue(seeds);
            if (seedCount is < 1 or > 1000)
            {
                throw new UserInputException($"--seeds must be in [1, 1000], got {seedCount}.");
            }

            var baseOptions = new RlhfOptions
            {
                SegmentLength = parse.GetValue(segment),
                Rounds = parse.GetValue(rounds),
                Model = ParseModel(parse.GetValue(model)!),
                RewardModel = new RewardModelOptions { Epochs = parse.GetValue(epochs), Hidden = [.. Items(parse.GetValue(hidden)!, "--hidden", ParseHidden)] },
            };
            foreach (var n in counts)
            {
                (baseOptions with { Comparisons = n }).Validate();
            }

            var scenario = ScenarioRegistry.BuiltIn.Get(parse.GetValue(id)!);
            var parameters = CliErrors.ParseSet(parse.GetValue(set));
            var levelIndex = parse.GetValue(level);
            var world = scenario.Build(new BuildOptions(levelIndex, null, parameters));
            var scenarioText = File.Exists(parse.GetValue(id)!) ? File.ReadAllText(parse.GetValue(id)!) : null;
            var labellerObjects = labellers.Select(l => (Spec: l, Labeller: Labellers.Create(l, scenario, world))).ToList();
            using var runs = RunStore.Open(parse.GetValue(store));
            var stored = new List<long>();
            var behaviourRun = parse.GetValue(behaviour);
            var behaviourPolicy = behaviourRun is { } b ? StoredPolicy.Load(runs, b, scenario, world) : null;
            var solution = ExactSolution.Create(world, limitOptions.Resolve(parse));
            var specified = solution.Gap(world.Reward);
            var quiet = parse.GetValue(json);
            if (!quiet)
            {
                Console.WriteLine($"{world.Id}: {solution.StateCount:N0} states ({solution.ModelKind}); specified reward's gap {N(specified.GapWorst)} (best tie {N(specified.GapBest)}); the intended objective's gap is 0 by definition.");
                if (parse.GetValue(agent) is null)
                {
                    Console.WriteLine($"Learned reward's exact specification gap (worst optimal tie), seeds {string.Join(", ", Enumerable.Range(0, seedCount).Select(k => parse.GetValue(seed) + (ulong)k))}:");
                }
            }

            var rows = new List<Row>();
            var learnedByAgent = new List<RlhfTrainingResult>();
            RlhfTrainingOptions? training = null;
            if (parse.GetValue(agent) is { } agentName)
            {
                if (behaviourRun is not null)
                {
                    throw new UsageException("--behaviour and --agent both choose where segments come from; RLHF by learning draws them from the agent it trains.");
                }

                var definition = AgentRegistry.Get(agentName);
                training = new RlhfTrainingOptions
                {
                    Agent = definition.Name,
                    AgentOptions = definition.Override(null, parse.GetValue(agentOptions) ?? []),
                    StepsPerIteration = parse.GetValue(steps),
                    Iterations = parse.GetValue(iterations),
                    Exploration = parse.GetValue(exploration),
                };
                training.Validate();
                if (!quiet)
                {
                    Console.WriteLine($"RLHF by learning: {definition.Name} trains {training.StepsPerIteration:N0} steps per iteration on the learned reward, {training.Iterations} iterations; scores are exact, on the original world.");
                }
            }
            foreach (var (spec, labellerObject) in labellerObjects)
            {
                foreach (var mode in modes)
                {
                    foreach (var n in counts)
                    {
                        var results = new List<RlhfResult>();
                        for (var k = 0; k < seedCount; k++)
                        {
                            var options = baseOptions with { Comparisons = n, Selection = mode, Seed = parse.GetValue(seed) + (ulong)k };
                            var config = RlhfRecord.Config(parse.GetValue(id)!, scenarioText, parameters.Count == 0 ? null : parameters, spec, levelIndex, options);
                            if (behaviourRun is not null)
                            {
                                config.Settings!["behaviour_run"] = behaviourRun;
                            }

                            if (training is not null)
                            {
                                config.Settings!["agent"] = training.Agent;
                                config.Settings["steps_per_iteration"] = training.StepsPerIteration;
                                config.Settings["iterations"] = training.Iterations;
                                config.Settings["exploration"] = training.Exploration;
                                config.Settings["agent_options"] = string.Join(' ', parse.GetValue(agentOptions) ?? []);
                            }

                            var runId = runs.CreateRun(config);
                            stored.Add(runId);
                            try
                            {
                                if (training is not null)
                                {
                                    var trained = RlhfTraining.Run(solution, labellerObject, training with { Rlhf = options }, quiet ? null : it => PrintIteration(spec, options.Seed, it));
                                    runs.SetResult(runId, RlhfRecord.From(trained, spec, labellerObject, levelIndex, specified).ToJson());
                                    learnedByAgent.Add(trained);
                                    continue;
                                }

                                var result = RlhfExperiment.Run(solution, labellerObject, options, behaviourPolicy);
                                runs.SetResult(runId, RlhfRecord.From(result, spec, labellerObject, levelIndex, specified).ToJson());
                                results.Add(result);
                            }
                            catch
                            {
                                runs.SetStatus(runId, RunStatus.Failed);
                                throw;
                            }
                        }

                        if (training is not null)
                        {
                            continue;
                        }

                        var row = new Row(spec, mode, n, results);
                        rows.Add(row);
                        if (!quiet)
                        {
                            Print(row);
                        }
                    }
                }
            }

            if (quiet)
            {
                var node = Json(world.Id, solution, specified, rows);
                if (learnedByAgent.Count > 0)
                {
                    node["by_learning"] = new JsonArray([.. learnedByAgent.Select(TrainingJson)]);
                }

                node["runs"] = new JsonArray([.. stored.Select(r => (JsonNode)r)]);
                Console.WriteLine(node.ToJsonString());
            }
            else
            {
                var list = string.Join(' ', stored);
                Console.WriteLine($"Stored as run{(stored.Count == 1 ? string.Empty : "s")} {list} in {runs.Path}; chart and table: alignlab report {list}{(parse.GetValue(store) == RunStore.DefaultPath ? string.Empty : $" --store {RunStore.Describe(parse.GetValue(store)!)}")}");
            }

            return 0;
        }));
        return command;
    }

    private sealed record Row(string Labeller, QuerySelectionMode Selection, int Comparisons, IReadOnlyList<RlhfResult> Runs)
    {
        public double Median => Numbers.Median(Runs.Select(r => r.Gap.GapWorst));

        public int BelowTarget => Runs.Count(r => r.Gap.GapWorst < Target);
    }

    private static void Print(Row row)
    {
        var gaps = string.Join(" ", row.Runs.Select(r => N(r.Gap.GapWorst).PadLeft(7)));
        var accuracy = row.Runs.Select(r => r.ValidationAccuracy).Where(double.IsFinite).DefaultIfEmpty(double.NaN).Average();
        var agreement = row.Runs.Select(r => r.AgreementWithIntended).Where(double.IsFinite).DefaultIfEmpty(double.NaN).Average();
        var seconds = row.Runs.Average(r => (r.LearnTime + r.SolveTime).TotalSeconds);
        Console.WriteLine(FormattableString.Invariant(
            $"  {row.Labeller,-14} {Name(row.Selection),-6} {row.Comparisons,6:N0}  gaps {gaps}  median {N(row.Median),7}  < {Target}: {row.BelowTarget}/{row.Runs.Count}  val. acc. {N(accuracy)}  labels agree with intended {N(agreement)}  {seconds:0.0} s/run ({row.Runs[0].Model.ToString().ToLowerInvariant()})"));
        foreach (var run in row.Runs.Where(r => r.Readable is not null).Take(1))
        {
            Console.WriteLine($"    learned weights (seed {run.Options.Seed}), largest first:");
            foreach (var line in run.Readable!.Describe().Split('\n', StringSplitOptions.RemoveEmptyEntries).Take(12))
            {
                Console.WriteLine($"      {line}");
            }
        }

        foreach (var run in row.Runs.Where(r => r.PrincipleCounts is not null).Take(1))
        {
            Console.WriteLine($"    labels decided by each principle (seed {run.Options.Seed}): {string.Join(", ", run.PrincipleCounts!.Select((c, i) => i == run.PrincipleCounts!.Count - 1 ? $"tie {c}" : $"#{i + 1} {c}"))}");
        }
    }

    private static void PrintIteration(string labeller, ulong seed, RlhfIteration it) =>
        Console.WriteLine(FormattableString.Invariant(
            $"  {labeller,-14} seed {seed,-4} iteration {it.Iteration}: {it.Comparisons,6:N0} comparisons  learned gap {N(it.Gap.GapWorst),7}  agent after {it.AgentSteps:N0} steps: reward score {N(it.Agent.RewardScore)}, intended score {N(it.Agent.IntendedScore)}"));

    private static JsonNode TrainingJson(RlhfTrainingResult r) => new JsonObject
    {
        ["labeller"] = r.Labeller,
        ["seed"] = r.Options.Rlhf.Seed,
        ["agent"] = r.Options.Agent,
        ["iterations"] = new JsonArray([.. r.Iterations.Select(it => (JsonNode)new JsonObject
        {
            ["iteration"] = it.Iteration,
            ["comparisons"] = it.Comparisons,
            ["gap_worst"] = J(it.Gap.GapWorst),
            ["validation_accuracy"] = J(it.ValidationAccuracy),
            ["agent_steps"] = it.AgentSteps,
            ["agent_reward_score"] = J(it.Agent.RewardScore),
            ["agent_intended_score"] = J(it.Agent.IntendedScore),
        })]),
    };

    private static JsonObject Json(string id, ExactSolution solution, RewardGap specified, IReadOnlyList<Row> rows) => new()
    {
        ["id"] = id,
        ["states"] = solution.StateCount,
        ["model"] = solution.ModelKind,
        ["specified_gap_worst"] = J(specified.GapWorst),
        ["specified_gap_best"] = J(specified.GapBest),
        ["target"] = Target,
        ["settings"] = new JsonArray([.. rows.Select(r => (JsonNode)new JsonObject
        {
            ["labeller"] = r.Labeller,
            ["select"] = Name(r.Selection),
            ["comparisons"] = r.Comparisons,
            ["median_gap"] = J(r.Median),
            ["below_target"] = r.BelowTarget,
            ["runs"] = new JsonArray([.. r.Runs.Select(RunJson)]),
        })]),
    };

    private static JsonNode RunJson(RlhfResult r)
    {
        var node = new JsonObject
        {
            ["seed"] = r.Options.Seed,
            ["reward_model"] = r.Model.ToString().ToLowerInvariant(),
            ["gap_worst"] = J(r.Gap.GapWorst),
            ["gap_best"] = J(r.Gap.GapBest),
            ["intended_best"] = J(r.Gap.IntendedBest),
            ["intended_worst"] = J(r.Gap.IntendedWorst),
            ["epic"] = J(r.Gap.Epic),
            ["validation_accuracy"] = J(r.ValidationAccuracy),
            ["validation_loss"] = J(r.ValidationLoss),
            ["label_agreement_with_intended"] = J(r.AgreementWithIntended),
            ["learn_ms"] = Math.Round(r.LearnTime.TotalMilliseconds),
            ["solve_ms"] = Math.Round(r.SolveTime.TotalMilliseconds),
        };
        if (r.PrincipleCounts is not null)
        {
            node["principle_counts"] = new JsonArray([.. r.PrincipleCounts.Select(c => (JsonNode)c)]);
        }

        return node;
    }

    private static List<T> List<T>(string text, string option, Func<string, T> parse) => [.. Items(text, option, parse).Distinct()];

    private static List<T> Items<T>(string text, string option, Func<string, T> parse)
    {
        var items = text.Split(',', StringSplitOptions.TrimEntries);
        if (items.Any(string.IsNullOrEmpty))
        {
            throw new UserInputException($"{option}: '{text}' has an empty item; give a comma-separated list.");
        }

        return [.. items.Select(parse)];
    }

    private static int ParseCount(string text) =>
        int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n >= 1
            ? n
            : throw new UserInputException($"--comparisons: '{text}' is not a whole number ≥ 1.");

    private static int ParseHidden(string text) =>
        int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n is >= 1 and <= 4096
            ? n
            : throw new UserInputException($"--hidden: '{text}' is not a layer size in [1, 4096].");

    private static QuerySelectionMode ParseSelection(string text) => text switch
    {
        "random" => QuerySelectionMode.Random,
        "active" => QuerySelectionMode.Active,
        _ => throw new UserInputException($"--select: unknown mode '{text}'{Suggest.DidYouMean(text, ["random", "active"])}; modes: random, active."),
    };

    private static RewardModelKind ParseModel(string text) => text switch
    {
        "auto" => RewardModelKind.Auto,
        "mlp" => RewardModelKind.Mlp,
        "linear" => RewardModelKind.Linear,
        "features" => RewardModelKind.Features,
        _ => throw new UserInputException($"--model: unknown reward model '{text}'{Suggest.DidYouMean(text, ["auto", "mlp", "linear", "features"])}; models: auto, mlp, linear, features."),
    };

    private static string Name(QuerySelectionMode mode) => mode == QuerySelectionMode.Active ? "active" : "random";

    private static JsonValue? J(double value) => double.IsFinite(value) ? JsonValue.Create(Math.Round(value, 10)) : null;

    private static string N(double value) => Numbers.Format(value, 4);
}
