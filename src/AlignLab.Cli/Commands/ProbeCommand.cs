using System.CommandLine;
using System.Text.Json.Nodes;
using AlignLab.Errors;
using AlignLab.Interpretability;
using AlignLab.Reports;
using AlignLab.Runs;

namespace AlignLab.Cli.Commands;

/// <summary>
/// <c>alignlab probe RUN --target NAME [--layer L|all] [--probe shared|full]</c>: fits a linear probe for a target computed
/// from the true state on a layer's activations (seeded held-out split), with the control on shuffled labels, and prints
/// held-out accuracy with Wilson 95% intervals. The shared probe (one weight vector over positions, a softmax over cells)
/// reads cell targets from spatial layers; the full probe reads any target from any layer.
/// </summary>
internal static class ProbeCommand
{
    public static Command Create()
    {
        var run = new Argument<long>("run") { Description = "A ppo or dqn run id in the store (its latest checkpoint)." };
        var target = new Option<string>("--target") { Description = "What to read: agent, GOAL (its cell, e.g. cheese), GOAL-step (first move towards it, e.g. corner-step), GOAL-within-K.", Required = true };
        var layer = new Option<string>("--layer") { Description = "A layer name or 1-based position, or 'all' (every layer but the flatten).", DefaultValueFactory = _ => "all" };
        var distribution = new Option<string>("--distribution") { Description = "The distribution the levels are drawn from.", DefaultValueFactory = _ => "deploy" };
        var levels = new Option<int>("--levels") { Description = "Observations (one per drawn level).", DefaultValueFactory = _ => 2000 };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the level draws, the held-out split and the control's shuffle.", DefaultValueFactory = _ => 0UL };
        var anywhere = new Option<bool>("--anywhere") { Description = "Put the agent on a uniformly drawn open cell instead of its start cell." };
        var readout = new Option<ProbeReadout>("--probe") { Description = "shared: one weight vector over all positions of a C×H×W layer, a softmax over cells (cell targets, spatial layers; with --layer all the dense layers are skipped); full: weights over the whole flattened layer (any target, any layer).", DefaultValueFactory = _ => ProbeReadout.Full };
        var kind = new Option<ProbeKind>("--kind") { Description = "logistic (multinomial) or ridge (onto the one-hot class).", DefaultValueFactory = _ => ProbeKind.Logistic };
        var l2 = new Option<double>("--l2") { Description = "L2 penalty on the standardised weights.", DefaultValueFactory = _ => 1e-3 };
        var iterations = new Option<int>("--iterations") { Description = "Most steps per fit: accelerated gradient steps (full probe), Newton steps (shared probe).", DefaultValueFactory = _ => 200 };
        var testFraction = new Option<double>("--test-fraction") { Description = "Fraction held out.", DefaultValueFactory = _ => 0.25 };
        var json = new Option<bool>("--json") { Description = "Print one JSON object." };
        var store = CommonOptions.Store();
        var noStore = CommonOptions.NoStore();
        var maps = new Option<bool>("--maps") { Description = "Also fit a probe at each position of every convolutional layer (the probe maps the report draws over the maze)." };
        var command = new Command("probe", "Linear probes of a trained ppo or dqn network for a target computed from the true state, layer by layer, next to a shuffled-label control.")
        {
            run, target, layer, distribution, levels, seed, anywhere, readout, kind, l2, iterations, testFraction, json, store, noStore, maps,
        };
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

            using var analyses = CommonOptions.AnalysisStore(parse, store, noStore, id);

            var network = trained.Network;
            var layerText = parse.GetValue(layer)!;
            var probeReadout = parse.GetValue(readout);
            var shared = probeReadout == ProbeReadout.Shared;
            int[] layers = layerText == "all"
                ? [.. Activations.ProbeLayers(network).Where(i => !shared || Activations.ShapeOf(network, i).Count == 3)]
                : new[] { Activations.Resolve(network, layerText) };
            var observations = ObservationSet.Draw(trained.Scenario, new ObservationSetOptions
            {
                Distribution = parse.GetValue(distribution)!,
                Levels = parse.GetValue(levels),
                Seed = parse.GetValue(seed),
                Set = trained.Parameters,
                RandomAgentCell = parse.GetValue(anywhere),
            });
            var probeTarget = ProbeTargets.Compute(observations, parse.GetValue(target)!);
            if (shared && !probeTarget.IsCell)
            {
                throw new UserInputException($"the shared probe reads cell targets (agent, GOAL, GOAL-next); '{probeTarget.Name}' is {probeTarget.Description}: use --probe full.");
            }

            var options = new ProbeOptions
            {
                Kind = parse.GetValue(kind),
                L2 = parse.GetValue(l2),
                Iterations = parse.GetValue(iterations),
                TestFraction = parse.GetValue(testFraction),
                Seed = parse.GetValue(seed),
            };
            var rows = new List<(string Layer, IReadOnlyList<int> Shape, ProbeReport Report, IReadOnlyList<double>? Map)>();
            var world = observations.World;
            IReadOnlyList<int> inputShape = shared ? [world.Channels, world.Height, world.Width] : [.. network.InputShape];
            var input = shared
                ? SharedProbe.FitWithControl(observations.Observations, observations.Count, inputShape, probeTarget.Labels, options, "the input")
                : LinearProbe.FitWithControl(observations.Observations, observations.Count, probeTarget.Labels, options);
            rows.Add(("input", inputShape, input, null));
            ActivationSet? previous = null;
            foreach (var index in layers)
            {
                // Each layer continues from the one recorded before it, so every layer runs once.
                var activations = previous is { } p && p.LayerIndex < index
                    ? Activations.Record(network, p, index)
                    : Activations.Record(network, observations.Observations, observations.Count, index);
                previous = activations;
                var report = shared
                    ? SharedProbe.FitWithControl(activations, probeTarget.Labels, options)
                    : LinearProbe.FitWithControl(activations.Values, activations.Count, probeTarget.Labels, options);
                var map = parse.GetValue(maps) && activations.Shape.Count == 3 ? ProbeMaps.PerPosition(activations, probeTarget.Labels, options) : null;
                rows.Add((activations.Layer, activations.Shape, report, map));
            }

            if (analyses is not null)
            {
                AnalysisJson.Save(analyses, id, new ProbeAnalysis(
                    CommonOptions.CommandLine(parse), trained.Scenario.Id, observations.Distribution, observations.Count, probeTarget.Name, probeTarget.Description, options.Kind,
                    [.. rows.Select(r => new ProbeLayerRecord(r.Layer, r.Shape, r.Report, r.Map))], ProbeMaps.Maze(observations), probeReadout));
            }

            if (parse.GetValue(json))
            {
                var array = new JsonArray();
                foreach (var (name, shape, report, _) in rows)
                {
                    array.Add(new JsonObject
                    {
                        ["layer"] = name,
                        ["shape"] = new JsonArray([.. shape.Select(s => (JsonNode)s)]),
                        ["accuracy"] = ResultPrinter.J(report.Probe.Accuracy.Mean),
                        ["low"] = ResultPrinter.J(report.Probe.Accuracy.Low),
                        ["high"] = ResultPrinter.J(report.Probe.Accuracy.High),
                        ["test"] = report.Probe.Accuracy.N,
                        ["train"] = report.Probe.Train,
                        ["classes"] = report.Probe.Classes,
                        ["chance"] = ResultPrinter.J(report.Probe.Chance),
                        ["control"] = ResultPrinter.J(report.Control.Accuracy.Mean),
                        ["control_low"] = ResultPrinter.J(report.Control.Accuracy.Low),
                        ["control_high"] = ResultPrinter.J(report.Control.Accuracy.High),
                        ["steps"] = report.Probe.Steps,
                        ["control_steps"] = report.Control.Steps,
                    });
                }

                Console.WriteLine(new JsonObject
                {
                    ["run"] = id,
                    ["scenario"] = trained.Scenario.Id,
                    ["distribution"] = observations.Distribution,
                    ["observations"] = observations.Count,
                    ["target"] = probeTarget.Name,
                    ["target_meaning"] = probeTarget.Description,
                    ["kind"] = options.Kind.ToString().ToLowerInvariant(),
                    ["probe"] = probeReadout.ToString().ToLowerInvariant(),
                    ["layers"] = array,
                }.ToJsonString());
                return 0;
            }

            Console.WriteLine($"run {id} ({trained.Agent}, {trained.Scenario.Id}): {probeReadout.ToString().ToLowerInvariant()} {options.Kind.ToString().ToLowerInvariant()} probe for '{probeTarget.Name}' ({probeTarget.Description}) on {observations.Count} {observations.Distribution} observations; held-out accuracy [Wilson 95%] next to the shuffled-label control");
            Console.WriteLine($"  {"layer",-8} {"shape",-12} {"probe",-28} {"control",-28} {"chance",-8} steps");
            foreach (var (name, shape, report, _) in rows)
            {
                Console.WriteLine($"  {name,-8} {string.Join("×", shape),-12} {report.Probe.Accuracy,-28} {report.Control.Accuracy,-28} {ResultPrinter.N(report.Probe.Chance),-8} {report.Probe.Steps}/{report.Control.Steps}");
            }

            if (shared && layerText == "all" && layers.Length < Activations.ProbeLayers(network).Count)
            {
                Console.WriteLine("  (the dense layers are not spatial: --probe full reads them)");
            }

            return 0;
        }));
        return command;
    }
}
