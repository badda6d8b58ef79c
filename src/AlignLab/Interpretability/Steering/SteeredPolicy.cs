using AlignLab.Agents;
using AlignLab.Grid;
using AlignLab.Nn;
using AlignLab.Solve;

namespace AlignLab.Interpretability.Steering;

/// <summary>
/// A trained network with an <see cref="Intervention"/> at one layer, acting as a <see cref="BoardPolicy"/>: it encodes
/// the board one-hot as the environment does, runs the layers up to the intervention's, changes that output, runs the
/// rest, and writes the softmax of the logits (PPO) or probability 1 on the greedy action (DQN, lowest index among
/// ties), exactly as the unsteered agent's policy does. With no intervention, or a zero vector, its probabilities are
/// bit for bit the agent's own. Usable wherever a policy is evaluated exactly (<see cref="ExactSolution.Evaluate"/>,
/// <see cref="Diagnostics.DistributionEvaluator"/>). Not thread-safe.
/// </summary>
public sealed class SteeredPolicy
{
    private readonly Sequential _network;
    private readonly bool _greedy;
    private readonly GridWorld _world;
    private readonly Intervention? _intervention;
    private readonly float[] _observation;
    private readonly float[] _activation;
    private readonly float[] _logits;

    /// <summary>Steers <paramref name="network"/> (its policy network) on boards of <paramref name="world"/>; a null intervention leaves it unchanged.</summary>
    public SteeredPolicy(TrainedNetwork network, GridWorld world, Intervention? intervention)
        : this((network ?? throw new ArgumentNullException(nameof(network))).Network, network.Agent == "dqn", world, intervention)
    {
    }

    internal SteeredPolicy(Sequential network, bool greedy, GridWorld world, Intervention? intervention)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(world);
        if (network.InputSize != world.Channels * world.CellCount)
        {
            throw new ArgumentException($"The network takes {network.InputSize} inputs but the world's observation has {world.Channels * world.CellCount}.", nameof(network));
        }

        if (intervention is not null && intervention.Layer >= network.Layers.Count)
        {
            throw new ArgumentOutOfRangeException(nameof(intervention), $"Layer {intervention.Layer} is past the network's {network.Layers.Count} layers.");
        }

        _network = network;
        _greedy = greedy;
        _world = world;
        _intervention = intervention;
        _observation = new float[network.InputSize];
        _activation = new float[intervention is null ? 0 : network.SizeAfter(intervention.Layer + 1)];
        _logits = new float[network.OutputSize];
    }

    /// <summary>The action probabilities on <paramref name="board"/> (extras are not observed by the network).</summary>
    public void Policy(ReadOnlySpan<byte> board, ReadOnlySpan<double> extras, Span<double> probabilities)
    {
        if (board.Length != _world.CellCount || probabilities.Length != _logits.Length)
        {
            throw new ArgumentException($"Expected a board of {_world.CellCount} cells and {_logits.Length} probabilities.", nameof(probabilities));
        }

        _world.Encode(board, _observation);
        Logits(_network, _intervention, _observation, _activation, _logits);
        Probabilities(_logits, _greedy, probabilities);
    }

    /// <summary>The steered policy as a <see cref="BoardPolicy"/> delegate.</summary>
    public BoardPolicy AsBoardPolicy() => Policy;

    /// <summary>Runs one observation through the network with the intervention (none when null).</summary>
    internal static void Logits(Sequential network, Intervention? intervention, ReadOnlySpan<float> observation, Span<float> activation, Span<float> logits)
    {
        if (intervention is null)
        {
            network.Predict(observation, logits);
            return;
        }

        var layer = intervention.Layer;
        var last = layer == network.Layers.Count - 1;
        var size = network.SizeAfter(layer + 1);
        var act = last ? logits[..size] : activation[..size];
        network.Predict(observation, 1, act, 0, layer + 1);
        intervention.Apply(act);
        if (!last)
        {
            network.Predict(act, 1, logits, layer + 1, network.Layers.Count - layer - 1);
        }
    }

    /// <summary>Softmax of the logits (as PPO's policy computes it), or the greedy one-hot (as DQN's does).</summary>
    internal static void Probabilities(ReadOnlySpan<float> logits, bool greedy, Span<double> probabilities)
    {
        if (greedy)
        {
            var best = 0;
            for (var a = 1; a < logits.Length; a++)
            {
                if (logits[a] > logits[best])
                {
                    best = a;
                }
            }

            probabilities.Clear();
            probabilities[best] = 1.0;
            return;
        }

        PolicySoftmax.FromLogits(logits, probabilities);
    }
}
