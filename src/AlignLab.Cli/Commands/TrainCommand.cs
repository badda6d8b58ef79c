using System.CommandLine;
using AlignLab.Agents;
using AlignLab.Experiments;
using AlignLab.Runs;

namespace AlignLab.Cli.Commands;

/// <summary>
/// <c>alignlab train ID --agent NAME</c>: trains any registered agent on the training distribution, then
/// measures it exactly: learning curves, specification gap, observed outer gap, goal attribution on every
/// distribution and the 2×2 verdict. The run, its checkpoints and its result go to the store;
/// <c>train --resume RUN</c> continues a killed run from its last checkpoint. With <c>--agent ppo --curriculum dr|plr|accel
/// --alpha A</c>, PPO trains through a curriculum (see <see cref="Curricula.CurriculumTrainer"/>).
/// </summary>
internal static class TrainCommand
{
    public static Command Create()
    {
        var id = new Argument<string>("id") { Description = "Scenario id (Name-vN) or a scenario .yaml file." };
        var agent = new Option<string>("--agent") { Description = $"Agent: {string.Join(", ", AgentRegistry.Names)}.", DefaultValueFactory = _ => "q" };
        var steps = new Option<long?>("--steps") { Description = "Training steps, at least 1 (default: the agent's, e.g. 50,000 tabular, 200,000 neural); PPO trains whole rollouts, so it rounds down to one." };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the agent, the environments and the evaluation samples.", DefaultValueFactory = _ => 0UL };
        var set = new Option<string[]>("--set") { Description = "Scenario parameter, key=value; repeatable." };
        var json = new Option<bool>("--json") { Description = "Print the results as one JSON object." };
        var store = CommonOptions.Store();
        var resume = new Option<long?>("--resume") { Description = "Continue a killed run from its last checkpoint in the store." };
        var curvePoints = new Option<int>("--curve-points") { Description = "Exact evaluations of the policy on the training distribution during training (the learning curve); a checkpoint is saved at each.", DefaultValueFactory = _ => 8 };
        var stopAt = new Option<double?>("--stop-at") { Description = "Stop at the first curve point whose exact train reward score reaches this value, and report the training time (time to threshold)." };
        var agentOptions = new AgentOptions();
        var command = new Command("train", "Train an agent, then measure it exactly: specification gap, observed outer gap, goal attribution, verdict.\nAgents:\n" + AgentOptions.Describe()) { id, agent, steps, seed, set, curvePoints, stopAt, store, resume, json };
        agentOptions.AddTo(command);
        var limitOptions = new SolverLimitOptions();
        limitOptions.AddTo(command);
        var threading = new ThreadingOptions();
        threading.AddTo(command);
        var curriculum = new CurriculumCliOptions(withKind: true);
        curriculum.AddTo(command);
        id.Arity = ArgumentArity.ZeroOrOne;
        command.SetAction(parse => CliErrors.Run(() =>
        {
            threading.Apply(parse);
            var asJson = parse.GetValue(json);
            if (parse.GetValue(resume) is { } runId)
            {
                Option[] training = [agent, steps, seed, set, curvePoints, stopAt, .. agentOptions.All, .. curriculum.All];
                if (parse.GetValue(id) is not null || training.Any(o => parse.GetResult(o) is { Implicit: false }))
                {
                    throw new UsageException($"--resume continues run {runId} with the scenario, agent and settings it was started with; give no scenario id or training options with it.");
                }

                using var stored = RunStore.Open(parse.GetValue(store));
                var reopened = RunRecorder.Open(stored, runId, Checkpointed(asJson));
                if (!asJson)
                {
                    Console.WriteLine($"resuming run {runId} from its last checkpoint");
                }

                return Print(reopened.RunId, Experiment.Resume(reopened, asJson ? null : Console.WriteLine, limitOptions.Resolve(parse)), asJson);
            }

            var scenario = parse.GetValue(id) ?? throw new UsageException("train needs a scenario id (or --resume RUN).");
            var definition = AgentRegistry.Get(parse.GetValue(agent)!);
            var spec = new ExperimentSpec(scenario, definition.Name, parse.GetValue(steps) ?? definition.DefaultSteps, parse.GetValue(seed), CliErrors.ParseSet(parse.GetValue(set)), CurvePoints: parse.GetValue(curvePoints))
            {
                AgentOptions = agentOptions.Resolve(parse, definition),
                StopAtScore = parse.GetValue(stopAt),
                Curriculum = parse.GetValue(curriculum.Kind!) is { } kind
                    ? curriculum.Resolve(parse, Curricula.CurriculumOptions.ParseKind(kind))
                    : curriculum.AnyGiven(parse) ? throw new UsageException("--alpha, --score and the other curriculum options need --curriculum dr|plr|accel.") : null,
            };
            Experiment.Validate(spec);

            // The store is opened only once the whole command line is known to be valid.
            using var runs = RunStore.Open(parse.GetValue(store));
            var recorder = RunRecorder.Create(runs, spec, Checkpointed(asJson));
            if (!asJson)
            {
                Console.WriteLine($"run {recorder.RunId} in {runs.Path}");
            }

            return Print(recorder.RunId, Experiment.Run(recorder.Spec, recorder, asJson ? null : Console.WriteLine, limitOptions.Resolve(parse)), asJson);
        }));
        return command;
    }

    private static Action<long>? Checkpointed(bool quiet) => quiet ? null : step => Console.WriteLine($"checkpoint at step {step:N0}");

    private static int Print(long run, ExperimentResult result, bool asJson)
    {
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
