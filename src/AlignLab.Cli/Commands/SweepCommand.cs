using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using AlignLab.Agents;
using AlignLab.Cluster;
using AlignLab.Diagnostics;
using AlignLab.Experiments;
using AlignLab.Runs;

namespace AlignLab.Cli.Commands;

/// <summary>
/// <c>alignlab sweep ID --param corner_size=1..11 [--param-step 2] --agent ppo --seeds 3</c>: trains
/// one policy per parameter value and seed, and reports how the deployment scores move (the
/// diversity sweep: does more varied training remove goal misgeneralisation?).
/// </summary>
internal static class SweepCommand
{
    /// <summary>The most parameter values one sweep runs (each value trains one run per seed).</summary>
    private const int MaxValues = 1_000;

    public static Command Create()
    {
        var id = new Argument<string>("id") { Description = "Scenario id (Name-vN)." };
        var param = new Option<string>("--param") { Description = "name=a..b (integers) or name=v1,v2,... (any values).", Required = true };
        var paramStep = new Option<int>("--param-step") { Description = "Step between integer values of a..b.", DefaultValueFactory = _ => 1 };
        var agent = new Option<string>("--agent") { Description = $"Agent: {string.Join(", ", AgentRegistry.Names)}.", DefaultValueFactory = _ => "ppo" };
        var steps = new Option<long>("--steps") { Description = "Training steps per run.", DefaultValueFactory = _ => 200_000 };
        var seeds = new Option<int>("--seeds") { Description = "Seeds per value (0, 1, ...).", DefaultValueFactory = _ => 3 };
        var set = new Option<string[]>("--set") { Description = "Other scenario parameters, key=value; repeatable." };
        var store = CommonOptions.Store("The run store file (SQLite); every run of the sweep is recorded.");
        var json = new Option<bool>("--json") { Description = "Print the results as one JSON object." };
        var cluster = new Option<string?>("--cluster") { Description = "Run the sweep on the workers of the cluster in this PostgreSQL database (postgres://user:password@host:port/database), which is also its run store; see 'alignlab worker'." };
        var agentOptions = new AgentOptions();
        var command = new Command("sweep", "Train one policy per parameter value and seed; report how the deployment scores move.") { id, param, paramStep, agent, steps, seeds, set, store, json, cluster };
        agentOptions.AddTo(command);
        var limitOptions = new SolverLimitOptions();
        limitOptions.AddTo(command);
        var threading = new ThreadingOptions(jobs: true);
        threading.AddTo(command);
        command.SetAction(parse => CliErrors.Run(() =>
        {
            var (name, values) = ParseParam(parse.GetValue(param)!, parse.GetValue(paramStep));
            var seedCount = parse.GetValue(seeds);
            if (seedCount < 1)
            {
                throw new UsageException("--seeds must be at least 1.");
            }

            // Everything is validated before anything is printed or the store is opened.
            var definition = AgentRegistry.Get(parse.GetValue(agent)!);
            var options = agentOptions.Resolve(parse, definition);
            var limits = limitOptions.Resolve(parse);
            var label = Scenarios.ScenarioRegistry.BuiltIn.Get(parse.GetValue(id)!).Id;
            var baseSet = CliErrors.ParseSet(parse.GetValue(set));
            if (baseSet.ContainsKey(name))
            {
                throw new UsageException($"{name} is swept by --param and fixed by --set; give it once.");
            }

            var specs = values.Select(value => Enumerable.Range(0, seedCount).Select(seed => new ExperimentSpec(
                parse.GetValue(id)!, definition.Name, parse.GetValue(steps), (ulong)seed, new Dictionary<string, string>(baseSet, StringComparer.Ordinal) { [name] = value }, CurvePoints: 1, EvalLevels: 12, Episodes: 50)
            {
                AgentOptions = options,
            }).ToList()).ToList();
            foreach (var spec in specs.Select(s => s[0]))
            {
                Experiment.Validate(spec);
            }

            threading.Apply(parse);
            var asJson = parse.GetValue(json);
            var rows = new JsonArray();
            var flat = specs.SelectMany(s => s).ToList();
            var clusterText = parse.GetValue(cluster);
            if (clusterText is not null && parse.GetResult(store) is { Implicit: false })
            {
                throw new UsageException("--cluster's database is the sweep's run store; leave out --store.");
            }

            Func<int, Diagnosis> diagnosisOf;
            using var runs = clusterText is null ? RunStore.Open(parse.GetValue(store)!) : null;
            using var ordered = runs is null ? null : RunLocally(runs, parse.GetValue(store)!, flat, Math.Min(threading.Jobs(parse), flat.Count), limits);
            if (!asJson)
            {
                Console.WriteLine($"{label}: {definition.Name}, {parse.GetValue(steps):N0} steps per run, seeds 0..{seedCount - 1}; scores on deployment (mean over seeds, 95% CI); runs in {runs?.Path ?? RunStore.Describe(clusterText!)}");
            }

            if (ordered is not null)
            {
                diagnosisOf = i => ordered.Result(i).Diagnosis;
            }
            else
            {
                // Every run becomes a job of the cluster; the submitter reports progress on stderr and returns the
                // stored results in the sweep's order.
                var key = string.Create(CultureInfo.InvariantCulture, $"sweep-{DateTimeOffset.UtcNow:yyyyMMddHHmmssfff}-{Environment.ProcessId}");
                var progress = new Progress<ClusterProgress>(p => Console.Error.WriteLine($"  run {p.Index + 1}/{p.Total}: {p.State.Phase} at step {p.State.Step:N0} on {p.State.Worker} ({p.Finished} finished)"));
                var results = ClusterSweep.RunAsync(clusterText!, key, flat, progress).GetAwaiter().GetResult();
                diagnosisOf = i => results[i].Diagnosis ?? throw new ClusterException($"run {results[i].RunId} finished without its goal attribution in the store; run 'alignlab diagnose {results[i].RunId} --store ...'.");
            }

            for (var v = 0; v < values.Count; v++)
            {
                var value = values[v];
                var results = Enumerable.Range(v * seedCount, seedCount).Select(diagnosisOf).ToList();

                var train = Estimate.Of(results.Select(r => r.Distributions[0].Reward.Mean));
                var deploy = Estimate.Of(results.Select(r => r.Distributions[^1].Reward.Mean));
                var goals = results[0].Distributions[^1].Goals.Keys
                    .ToDictionary(g => g, g => Estimate.Of(results.Select(r => r.Distributions[^1].Goals[g].Mean)), StringComparer.Ordinal);
                var success = Estimate.Of(results.Select(r => r.Distributions[^1].RewardReturn.Mean));
                var misgeneralised = results.Count(r => r.Classification == GoalClassification.GoalMisgeneralisation);
                if (asJson)
                {
                    var goalJson = new JsonObject();
                    foreach (var (g, e) in goals)
                    {
                        goalJson[g] = ResultPrinter.J(e.Mean);
                    }

                    rows.Add(new JsonObject
                    {
                        [name] = value,
                        ["train_score_reward"] = ResultPrinter.J(train.Mean),
                        ["deploy_score_reward"] = ResultPrinter.J(deploy.Mean),
                        ["deploy_score_reward_low"] = ResultPrinter.J(deploy.Low),
                        ["deploy_score_reward_high"] = ResultPrinter.J(deploy.High),
                        ["deploy_return"] = ResultPrinter.J(success.Mean),
                        ["deploy_goal_scores"] = goalJson,
                        ["goal_misgeneralisation_runs"] = misgeneralised,
                        ["runs"] = results.Count,
                    });
                }
                else
                {
                    Console.WriteLine($"  {name}={value,-6} train {train.Mean:0.00}  deploy reward score {deploy}  deploy return {success.Mean:0.000}  {string.Join("  ", goals.Select(g => $"{g.Key} {g.Value.Mean:0.00}"))}  misgeneralised in {misgeneralised}/{results.Count}");
                }
            }

            if (asJson)
            {
                Console.WriteLine(new JsonObject { ["id"] = label, ["param"] = name, ["agent"] = definition.Name, ["steps"] = parse.GetValue(steps), ["seeds"] = seedCount, ["rows"] = rows }.ToJsonString());
            }

            return 0;
        }));
        return command;
    }

    /// <summary>
    /// Trains the runs on this machine. Every run is independent: up to <paramref name="jobs"/> of them train at once,
    /// each writing through its own store connection (SQLite serialises the writes), their records created in the
    /// sweep's order so run ids are as with one job, and results read in order as their runs finish.
    /// </summary>
    private static OrderedRuns<ExperimentResult> RunLocally(RunStore runs, string storePath, List<ExperimentSpec> flat, int jobs, Solve.SolverLimits limits) =>
        new(flat.Count, jobs, (i, inOrder) =>
        {
            if (jobs == 1)
            {
                var recorder = RunRecorder.Create(runs, flat[i]);
                return Experiment.Run(recorder.Spec, recorder, limits: limits);
            }

            using var own = RunStore.Open(storePath);
            RunRecorder? created = null;
            inOrder(() => created = RunRecorder.Create(own, flat[i]));
            return Experiment.Run(created!.Spec, created, limits: limits);
        });

    private static (string Name, List<string> Values) ParseParam(string text, int step)
    {
        var eq = text.IndexOf('=', StringComparison.Ordinal);
        if (eq <= 0)
        {
            throw new UsageException($"--param '{text}' must look like name=1..11 or name=0,0.1,0.2.");
        }

        var name = text[..eq];
        var spec = text[(eq + 1)..];
        var dots = spec.IndexOf("..", StringComparison.Ordinal);
        if (dots > 0)
        {
            if (!int.TryParse(spec[..dots], NumberStyles.Integer, CultureInfo.InvariantCulture, out var from)
                || !int.TryParse(spec[(dots + 2)..], NumberStyles.Integer, CultureInfo.InvariantCulture, out var to) || to < from || step < 1)
            {
                throw new UsageException($"--param '{text}': a..b needs integers a ≤ b and --param-step ≥ 1.");
            }

            // Counted before anything is built: a range of two billion values is refused, not enumerated.
            var count = (((long)to - from) / step) + 1;
            if (count > MaxValues)
            {
                throw new UsageException(string.Create(CultureInfo.InvariantCulture, $"--param '{text}' sweeps {count:N0} values; a sweep runs at most {MaxValues:N0}."));
            }

            var values = new List<string>((int)count);
            for (var k = 0L; k < count; k++)
            {
                values.Add((from + (k * step)).ToString(CultureInfo.InvariantCulture));
            }

            return (name, values);
        }

        var list = spec.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).ToList();
        return list.Count == 0 ? throw new UsageException($"--param '{text}' lists no value.")
            : list.Count > MaxValues ? throw new UsageException(string.Create(CultureInfo.InvariantCulture, $"--param lists {list.Count:N0} values; a sweep runs at most {MaxValues:N0}."))
            : (name, list);
    }
}
