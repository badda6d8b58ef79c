using System.CommandLine;
using System.Globalization;
using AlignLab.Interpretability;
using AlignLab.Runs;

namespace AlignLab.Cli.Commands;

/// <summary>
/// <c>alignlab activations RUN --layer L --distribution D --out FILE.safetensors</c>: records one layer of a trained PPO
/// or DQN network over observations of levels drawn from a distribution, with the labels probes need.
/// </summary>
internal static class ActivationsCommand
{
    public static Command Create()
    {
        var run = new Argument<long>("run") { Description = "A ppo or dqn run id in the store (its latest checkpoint)." };
        var layer = new Option<string>("--layer") { Description = "The layer: its name (e.g. cact1, fc1) or 1-based position.", Required = true };
        var distribution = new Option<string>("--distribution") { Description = "The distribution the levels are drawn from.", DefaultValueFactory = _ => "deploy" };
        var levels = new Option<int>("--levels") { Description = "Observations to record (one per drawn level).", DefaultValueFactory = _ => 2000 };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the level draws.", DefaultValueFactory = _ => 0UL };
        var anywhere = new Option<bool>("--anywhere") { Description = "Put the agent on a uniformly drawn open cell instead of its start cell." };
        var output = new Option<string>("--out") { Description = "The safetensors file to write.", Required = true };
        var store = CommonOptions.Store();
        var command = new Command("activations", "Record a layer of a trained ppo or dqn network over observations of a distribution (safetensors, with probe labels).") { run, layer, distribution, levels, seed, anywhere, output, store };
        var threading = new ThreadingOptions();
        threading.AddTo(command);
        command.SetAction(parse => CliErrors.Run(() =>
        {
            threading.Apply(parse);
            var id = parse.GetValue(run);
            TrainedNetwork trained;
            using (var runs = RunStore.OpenReadOnly(parse.GetValue(store)))
            {
                trained = TrainedNetwork.Load(runs, id);
            }

            var layerIndex = Activations.Resolve(trained.Network, parse.GetValue(layer)!);
            var options = new ObservationSetOptions
            {
                Distribution = parse.GetValue(distribution)!,
                Levels = parse.GetValue(levels),
                Seed = parse.GetValue(seed),
                Set = trained.Parameters,
                RandomAgentCell = parse.GetValue(anywhere),
            };
            var observations = ObservationSet.Draw(trained.Scenario, options);
            var activations = Activations.Record(trained.Network, observations.Observations, observations.Count, layerIndex);
            var path = parse.GetValue(output)!;
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["run"] = id.ToString(CultureInfo.InvariantCulture),
                ["agent"] = trained.Agent,
                ["scenario"] = trained.Scenario.Id,
                ["parameters"] = string.Join(",", (trained.Parameters ?? new Dictionary<string, string>()).Select(p => $"{p.Key}={p.Value}")),
                ["seed"] = options.Seed.ToString(CultureInfo.InvariantCulture),
                ["agent_cell_drawn"] = options.RandomAgentCell ? "true" : "false",
            };
            try
            {
                ActivationFile.Save(path, activations, observations, metadata);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new UsageException($"cannot write '{path}': {e.Message}");
            }

            Console.WriteLine($"{path}: layer {activations.Layer} [{observations.Count}, {string.Join(", ", activations.Shape)}] of run {id} ({trained.Agent}) on {observations.Count} {options.Distribution} levels of {trained.Scenario.Id}; labels agent_cell{string.Concat(observations.World.Goals.Select(g => $", {g.Name}_cell, {g.Name}_distance"))}");
            return 0;
        }));
        return command;
    }
}
