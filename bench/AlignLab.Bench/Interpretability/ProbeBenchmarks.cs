using AlignLab.Agents;
using AlignLab.Interpretability;
using AlignLab.Scenarios;
using BenchmarkDotNet.Attributes;

namespace AlignLab.Bench.Interpretability;

/// <summary>
/// What <c>alignlab probe</c> does per layer, on one thread (the worker pool set to 1): record a 13×13 CNN policy's middle layer (the second
/// convolution's ReLU, 16 × 13 × 13 = 2,704 features) over 10,000 deployment observations of CheeseInTheCorner,
/// then fit the cheese-cell probe and its shuffled-label control (logistic, L2 1e-3, 75/25 split). The network is
/// the cnn preset (3×3 convolutions 16, 16, a 64-unit layer) at its seeded initialisation: the full probe's work does
/// not depend on the weights' values (a fixed number of steps once it stops at 200); the shared probe's Newton steps do
/// a little, so the set-up prints them (the trained 13×13 policy's layers took 2–13). Drawing the observations is
/// set-up, not timed. Issue 14's target is under 10 s. <see cref="Capture"/> times the recording alone.
/// </summary>
[MemoryDiagnoser]
public class ProbeBenchmarks
{
    /// <summary>Observations recorded and probed.</summary>
    public const int Observations = 10_000;

    private TrainedNetwork _network = null!;
    private ObservationSet _set = null!;
    private ProbeTarget _target = null!;
    private int _layer;

    [GlobalSetup]
    public void Setup()
    {
        // One core, as the target says: the engine's products would otherwise use the worker pool.
        AlignLab.Nn.WorkerPool.SetThreads(1);
        var scenario = ScenarioRegistry.BuiltIn.Get("CheeseInTheCorner-v0");
        var set = new Dictionary<string, string> { ["size"] = "13" };
        var world = scenario.Build(new BuildOptions(Set: set));
        var definition = AgentRegistry.Get("ppo");
        var agent = definition.Create(world, new PpoOptions { Network = NetworkKind.Cnn, ConvChannels = [16, 16], Hidden = [64], Activation = AlignLab.Nn.Activation.Relu, Seed = 1 });
        _network = TrainedNetwork.FromAgent(scenario, set, agent);
        _set = ObservationSet.Draw(scenario, new ObservationSetOptions { Distribution = "deploy", Levels = Observations, Seed = 1, Set = set });
        _target = ProbeTargets.Compute(_set, "cheese");
        _layer = Activations.Resolve(_network.Network, "cact2");
        Console.WriteLine($"// layer {_layer}: {string.Join('×', Activations.ShapeOf(_network.Network, _layer))} features, {_set.Count:N0} observations");
        var shared = SharedProbe.FitWithControl(Activations.Record(_network.Network, _set.Observations, _set.Count, _layer), _target.Labels, new ProbeOptions { Seed = 1 });
        Console.WriteLine($"// shared probe: {shared.Probe.Accuracy} in {shared.Probe.Steps} Newton steps, control {shared.Control.Accuracy} in {shared.Control.Steps}");
    }

    /// <summary>Capture the layer, then fit the full (flattened-layer) probe and its control.</summary>
    [Benchmark]
    public double CaptureAndProbe()
    {
        var activations = Activations.Record(_network.Network, _set.Observations, _set.Count, _layer);
        var report = LinearProbe.FitWithControl(activations.Values, activations.Count, _target.Labels, new ProbeOptions { Seed = 1 });
        return report.Probe.Accuracy.Mean;
    }

    /// <summary>Capture the layer, then fit the shared (1×1 readout) cell probe and its control: <c>alignlab probe --probe shared</c>.</summary>
    [Benchmark]
    public double CaptureAndSharedProbe()
    {
        var activations = Activations.Record(_network.Network, _set.Observations, _set.Count, _layer);
        var report = SharedProbe.FitWithControl(activations, _target.Labels, new ProbeOptions { Seed = 1 });
        return report.Probe.Accuracy.Mean;
    }

    /// <summary>Capture the layer alone (the two convolutions and their ReLUs over 10,000 observations).</summary>
    [Benchmark]
    public int Capture() => Activations.Record(_network.Network, _set.Observations, _set.Count, _layer).Values.Length;
}
