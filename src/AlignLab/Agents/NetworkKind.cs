using AlignLab.Grid;
using AlignLab.Nn;

namespace AlignLab.Agents;

/// <summary>The family of network a neural agent (<see cref="PpoAgent"/>, <see cref="DqnAgent"/>) puts on the one-hot observation.</summary>
public enum NetworkKind
{
    /// <summary>A multi-layer perceptron on the flattened C·H·W one-hot vector (CleanRL's classic-control network).</summary>
    Mlp,

    /// <summary>
    /// A small convolutional network on the C×H×W one-hot grid: 3×3 convolutions with stride 1 and zero
    /// padding (the map keeps its size, so every cell keeps its own feature vector), each followed by the
    /// activation, then the flattened feature map into an MLP head. Translation-equivariant features make
    /// maze layouts the network has not seen look like ones it has.
    /// </summary>
    Cnn,
}

/// <summary>Builds the networks of the neural agents and counts their FLOPs.</summary>
internal static class AgentNetworks
{
    /// <summary>Kernel size of every convolution of a <see cref="NetworkKind.Cnn"/>.</summary>
    public const int KernelSize = 3;

    /// <summary>Builds an MLP or CNN from the one-hot observation of <paramref name="world"/> to <paramref name="outputs"/> values.</summary>
    public static Sequential Build(
        GridWorld world, NetworkKind kind, IReadOnlyList<int> convChannels, IReadOnlyList<int> hidden, Activation activation,
        int outputs, Random init, float outputGain = 1f)
    {
        int[] head = [.. hidden];
        return kind switch
        {
            NetworkKind.Mlp => Nets.Mlp(world.Channels * world.CellCount, head, outputs, activation, init, outputGain),
            NetworkKind.Cnn => Nets.Cnn(world.Channels, world.Height, world.Width, [.. convChannels], KernelSize, head, outputs, activation, init, outputGain),
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown network kind."),
        };
    }

    /// <summary>
    /// Builds PPO's actor (→ <paramref name="actions"/> logits, last-layer gain 0.01) and critic (→ V, gain 1). An
    /// MLP pair is two separate networks (CleanRL's ppo.py). A CNN pair shares every layer but the last, as
    /// CleanRL's ppo_atari.py does: the critic's Sequential holds the actor's own torso modules, so their
    /// parameters are the same objects and the torso can be run once for both heads.
    /// </summary>
    /// <returns>The two networks and how many leading layers they share (0 for an MLP pair).</returns>
    public static (Sequential Actor, Sequential Critic, int SharedLayers) BuildActorCritic(
        GridWorld world, NetworkKind kind, IReadOnlyList<int> convChannels, IReadOnlyList<int> hidden, Activation activation,
        int actions, Random init)
    {
        var critic = Build(world, kind, convChannels, hidden, activation, 1, init, outputGain: 1f);
        var actor = Build(world, kind, convChannels, hidden, activation, actions, init, outputGain: 0.01f);
        if (kind != NetworkKind.Cnn)
        {
            return (actor, critic, 0);
        }

        var shared = actor.Layers.Count - 1;
        var layers = new (string, Module)[actor.Layers.Count];
        for (var i = 0; i < shared; i++)
        {
            layers[i] = (actor.LayerNames[i], actor.Layers[i]);
        }

        layers[shared] = (critic.LayerNames[shared], critic.Layers[shared]);
        return (actor, new Sequential([.. actor.InputShape], layers), shared);
    }

    /// <summary>The shape of a batch of <paramref name="batch"/> observations as <paramref name="kind"/> takes it.</summary>
    public static int[] BatchShape(GridWorld world, NetworkKind kind, int batch) =>
        kind == NetworkKind.Cnn ? [batch, world.Channels, world.Height, world.Width] : [batch, world.Channels * world.CellCount];

    /// <summary>Checks the network options shared by the agents.</summary>
    public static void Validate(NetworkKind kind, IReadOnlyList<int>? convChannels, IReadOnlyList<int>? hidden)
    {
        if (!Enum.IsDefined(kind))
        {
            throw new ArgumentException($"Unknown network kind {kind}.");
        }

        if (hidden is null || hidden.Count == 0 || hidden.Any(h => h < 1))
        {
            throw new ArgumentException("Hidden must list at least one positive layer size.");
        }

        if (kind == NetworkKind.Cnn && (convChannels is null || convChannels.Count == 0 || convChannels.Any(c => c < 1)))
        {
            throw new ArgumentException("ConvChannels must list at least one positive channel count for a CNN.");
        }
    }

    /// <summary>
    /// FLOPs of one forward pass for one observation, multiply and add counted separately: 2·in·out per
    /// linear layer and 2·O·C·k²·H·W per convolution (every output cell of a same-size map, the zero-padded
    /// taps at the border included). The border positions of the convolution's strip, which its implicit GEMM
    /// also computes and then drops, are not counted; nor are activations and biases.
    /// With <paramref name="layers"/>, only the first that many layers.
    /// </summary>
    public static double ForwardFlops(Sequential net, GridWorld world, int layers = int.MaxValue)
    {
        double flops = 0;
        foreach (var layer in net.Layers.Take(layers))
        {
            flops += layer switch
            {
                Linear linear => 2.0 * linear.InFeatures * linear.OutFeatures,
                Conv2d conv => 2.0 * conv.OutChannels * conv.InChannels * conv.KernelSize * conv.KernelSize * world.CellCount,
                _ => 0,
            };
        }

        return flops;
    }
}
