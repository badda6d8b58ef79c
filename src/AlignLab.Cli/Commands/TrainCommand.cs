using System.CommandLine;
using System.Text.Json;
using AlignLab.Agents;
using AlignLab.Envs;
using AlignLab.Experiments;
using AlignLab.Runs;

namespace AlignLab.Cli.Commands;

/// <summary>
/// <c>alignlab train ID --agent q|sarsa|dqn|ppo</c>: trains an agent on the training
/// distribution, then measures it exactly: learning curves, specification gap, observed outer
/// gap, goal attribution on every distribution and the 2×2 verdict.
/// </summary>
internal static class TrainCommand
{
    private const string CurvePointsKey = "curve_points";
    private const string StopAtKey = "stop_at";
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
        var store = new Option<string>("--store") { Description = "Run store file (SQLite).", DefaultValueFactory = _ => RunStore.DefaultPath };
        var network = NetworkOption.Create();
        var resume = new Option<long?>("--resume") { Description = "Continue a killed run (ppo) from its last checkpoint in the store." };
        var ppoOverrides = PpoOption.Create();
        var curvePoints = new Option<int>("--curve-points") { Description = "Exact evaluations of the policy on the training distribution during training (the learning curve; ppo checkpoints at each).", DefaultValueFactory = _ => 8 };
        var stopAt = new Option<double?>("--stop-at") { Description = "ppo: stop at the first curve point whose exact train reward score reaches this value, and report the training time (time to threshold)." };
        var command = new Command("train", "Train an agent, then measure it exactly: specification gap, observed outer gap, goal attribution, verdict.") { id, agent, steps, seed, set, stateKey, network, ppoOverrides, curvePoints, stopAt, store, resume, json };
        id.Arity = ArgumentArity.ZeroOrOne;
        command.SetAction(parse => CliErrors.Run(() =>
        {
            if (parse.GetValue(resume) is { } runId)
            {
                using var stored = RunStore.Open(parse.GetValue(store));
                return Resume(stored, runId, parse.GetValue(json));
            }

            if (parse.GetValue(id) is null)
            {
                throw new UsageException("train needs a scenario id (or --resume RUN).");
            }

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
            if (parse.GetValue(curvePoints) < 1)
            {
                throw new UsageException($"--curve-points must be at least 1, not {parse.GetValue(curvePoints)}.");
            }

            if (parse.GetValue(stopAt) is { } target && (name != "ppo" || !double.IsFinite(target)))
            {
                throw new UsageException(name != "ppo" ? $"--stop-at applies to the ppo agent, not to '{name}'." : "--stop-at needs a finite score.");
            }

            var spec = PpoOption.Apply(
                NetworkOption.Apply(
                    new ExperimentSpec(parse.GetValue(id)!, name, budget, parse.GetValue(seed), CliErrors.ParseSet(parse.GetValue(set)), CurvePoints: parse.GetValue(curvePoints))
                    {
                        Tabular = tabular ? new TabularOptions(name == "q" ? TabularAlgorithm.QLearning : TabularAlgorithm.Sarsa, (int)budget, Seed: parse.GetValue(seed), StateKey: key) : null,
                        StopAtScore = parse.GetValue(stopAt),
                    },
                    parse.GetValue(network)!),
                parse.GetValue(ppoOverrides));
            var asJson = parse.GetValue(json);
            var ppo = name == "ppo" ? (spec.Ppo ?? Experiment.DefaultPpo) with { TotalTimesteps = budget, Seed = spec.Seed } : null;
            var dqn = name == "dqn" ? (spec.Dqn ?? new DqnOptions()) with { TotalTimesteps = budget, Seed = spec.Seed } : null;
            var hyper = spec.Tabular is { } t ? JsonSerializer.SerializeToNode(t)!.AsObject()
                : ppo is not null ? JsonSerializer.SerializeToNode(ppo)!.AsObject()
                : dqn is not null ? JsonSerializer.SerializeToNode(dqn)!.AsObject() : null;
            if (ppo is not null)
            {
                // --resume must chunk the run as it started (a checkpoint at every curve point) and stop as it would have.
                hyper![CurvePointsKey] = spec.CurvePoints;
                hyper[StopAtKey] = spec.StopAtScore;
            }

            // The store is opened only once the whole command line is known to be valid.
            using var runs = RunStore.Open(parse.GetValue(store));
            var run = runs.CreateRun(new RunConfig(spec.ScenarioId, name, spec.Seed, "train", spec.Set, hyper));
            if (!asJson)
            {
                Console.WriteLine($"run {run} in {runs.Path}");
            }

            return Finish(runs, run, Experiment.Run(spec with { Ppo = ppo, Dqn = dqn }, asJson ? null : Console.WriteLine, Checkpointer(runs, run, asJson)), asJson);
        }));
        return command;
    }

    /// <summary>Saves a checkpoint (agent, optimiser, batch and generators) and the new curve point after every chunk of PPO updates.</summary>
    private static Action<PpoAgent, VectorEnv, IReadOnlyList<CurveSample>> Checkpointer(RunStore runs, long run, bool quiet) => (agent, env, curve) =>
    {
        var point = curve[^1];
        runs.AppendMetrics(run, point.Step, new Dictionary<string, double> { [RunMetrics.Reward] = point.Reward, [RunMetrics.Intended] = point.Intended });
        var file = Path.GetTempFileName();
        try
        {
            agent.SaveCheckpoint(file, env);
            runs.SaveCheckpoint(run, agent.GlobalStep, File.ReadAllBytes(file), []);
        }
        finally
        {
            File.Delete(file);
        }

        if (!quiet)
        {
            Console.WriteLine($"checkpoint at step {agent.GlobalStep:N0} (update {agent.Iteration})");
        }
    };

    private static int Resume(RunStore runs, long run, bool asJson)
    {
        var info = runs.GetRun(run);
        if (info.Config.Agent != "ppo")
        {
            throw new UsageException($"run {run} trained '{info.Config.Agent}'; --resume continues ppo runs (tabular runs take seconds: start them again).");
        }

        if (info.Status == RunStatus.Finished)
        {
            throw new UsageException($"run {run} has already finished.");
        }

        var checkpoint = runs.LatestCheckpoint(run) ?? throw new UsageException($"run {run} has no checkpoint yet; start it again.");
        var ppo = info.Config.HyperParameters?.Deserialize<PpoOptions>() ?? throw new UsageException($"run {run} has no stored hyper-parameters.");
        var curve = runs.Metrics(run).Where(m => m.Step <= checkpoint.Step).GroupBy(m => m.Step).OrderBy(g => g.Key)
            .Select(g => new CurveSample(g.Key, g.Single(m => m.Name == RunMetrics.Reward).Value, g.Single(m => m.Name == RunMetrics.Intended).Value)).ToList();
        var stored = info.Config.HyperParameters!;
        var curvePoints = stored.TryGetPropertyValue(CurvePointsKey, out var points) && points is not null ? points.GetValue<int>() : 8;
        var stopAt = stored.TryGetPropertyValue(StopAtKey, out var stop) && stop is not null ? stop.GetValue<double>() : (double?)null;
        var spec = new ExperimentSpec(info.Config.ScenarioId, "ppo", ppo.TotalTimesteps, info.Config.Seed, info.Config.Parameters, CurvePoints: curvePoints) { Ppo = ppo, StopAtScore = stopAt };
        var file = Path.GetTempFileName();
        try
        {
            File.WriteAllBytes(file, checkpoint.Weights);
            if (!asJson)
            {
                Console.WriteLine($"resuming run {run} from step {checkpoint.Step:N0}");
            }

            return Finish(runs, run, Experiment.Run(spec, asJson ? null : Console.WriteLine, Checkpointer(runs, run, asJson), file, curve), asJson);
        }
        finally
        {
            File.Delete(file);
        }
    }

    private static int Finish(RunStore runs, long run, ExperimentResult result, bool asJson)
    {
        if (result.Spec.Agent != "ppo")
        {
            foreach (var point in result.Curve)
            {
                runs.AppendMetrics(run, point.Step, new Dictionary<string, double> { [RunMetrics.Reward] = point.Reward, [RunMetrics.Intended] = point.Intended });
            }
        }

        runs.SetResult(run, ExperimentReport.Result(result).ToJson());
        if (asJson)
        {
            var node = ResultPrinter.Json(result);
            node["run"] = run;
            Console.WriteLine(node.ToJsonString());
        }
        else
        {
            ResultPrinter.Print(result);
        }

        return 0;
    }
}
