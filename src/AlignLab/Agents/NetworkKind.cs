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

    /// <summary>
    /// A value-iteration network (Tamar et al. 2016, <see cref="ValueIterationNetwork"/>): 3×3 convolutions
    /// (the CNN's channel counts) and a 1×1 convolution compute a reward map f_R over the grid, the mesa-objective;
    /// K steps of differentiable value iteration plan on it; the policy's logits are Q at the agent's cell. PPO's
    /// critic is a linear layer on those Q values, sharing the whole planner with the actor.
    /// </summary>
    Vin,
}

/// <summary>The transition kernel of a <see cref="NetworkKind.Vin"/>'s planner.</summary>
public enum VinTransitions
{
    /// <summary>
    /// Fixed to the grid's moves (U, D, L, R one cell; any other action stays), discount <see cref="AgentNetworks.VinDiscount"/>:
    /// Q_a(s) = f_R(s + move_a) + γ·V(s + move_a). Only f_R is learned, so it is a reward map in the usual sense.
    /// </summary>
    Moves,

    /// <summary>Learned 3×3 kernels on f_R and on V, one per action (Tamar et al.'s VIN, as in the reference port).</summary>
    Learned,
}

/// <summary>Builds the networks of the neural agents and counts their FLOPs.</summary>
internal static class AgentNetworks
{
    /// <summary>Kernel size of every convolution of a <see cref="NetworkKind.Cnn"/>.</summary>
    public const int KernelSize = 3;

    /// <summary>Value-iteration steps K of a <see cref="NetworkKind.Vin"/> when the agent's options do not say.</summary>
    public const int DefaultVinIterations = 20;

    /// <summary>The discount γ of a VIN's fixed-moves kernel (<see cref="VinTransitions.Moves"/>).</summary>
    public const float VinDiscount = 0.9f;

    /// <summary>
    /// Builds an MLP, CNN or VIN from the one-hot observation of <paramref name="world"/> to <paramref name="outputs"/>
    /// values. A VIN's outputs are Q at the agent's cell, so it needs one output per action
    /// (<paramref name="vinIterations"/> steps; <paramref name="coordinates"/> adds CoordConv's two channels to f_R's input).
    /// </summary>
    public static Sequential Build(
        GridWorld world, NetworkKind kind, IReadOnlyList<int> convChannels, IReadOnlyList<int> hidden, Activation activation,
        int outputs, Random init, float outputGain = 1f, int vinIterations = DefaultVinIterations, bool coordinates = false,
        VinTransitions transitions = VinTransitions.Moves)
    {
        int[] head = [.. hidden];
        return kind switch
        {
            NetworkKind.Mlp => Nets.Mlp(world.Channels * world.CellCount, head, outputs, activation, init, outputGain),
            NetworkKind.Cnn => Nets.Cnn(world.Channels, world.Height, world.Width, [.. convChannels], KernelSize, head, outputs, activation, init, outputGain),
            NetworkKind.Vin when outputs == world.ActionLetters.Length =>
                new Sequential([world.Channels, world.Height, world.Width], ("vin", Vin(world, convChannels, activation, init, vinIterations, coordinates, transitions)), ("policy", new Identity())),
            NetworkKind.Vin => throw new ArgumentException($"A value-iteration network outputs Q at the agent's cell, one value per action ({world.ActionLetters.Length}), not {outputs}."),
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown network kind."),
        };
    }

    /// <summary>The planner of a <see cref="NetworkKind.Vin"/> for <paramref name="world"/>: f_R from <paramref name="convChannels"/> 3×3 convolutions, K = <paramref name="iterations"/>.</summary>
    public static ValueIterationNetwork Vin(GridWorld world, IReadOnlyList<int> convChannels, Activation activation, Random init, int iterations, bool coordinates, VinTransitions transitions = VinTransitions.Moves)
    {
        var agentChannel = world.ChannelSymbols.ToList().IndexOf(world.AgentSymbol);
        if (agentChannel < 0)
        {
            throw new ArgumentException($"{world.Id}: the agent '{world.AgentSymbol}' has no observation channel; a value-iteration network reads Q at the agent's cell.");
        }

        (int, int)[]? moves = transitions == VinTransitions.Moves ? [.. world.ActionLetters.Select(Move)] : null;
        return new ValueIterationNetwork(world.Channels, world.Height, world.Width, agentChannel, world.ActionLetters.Length, convChannels, iterations, coordinates, activation, init, moves, VinDiscount);
    }

    /// <summary>The (row, column) step of an action letter on the grid: U, D, L, R one cell; any other letter stays.</summary>
    public static (int Dr, int Dc) Move(char action) => action switch
    {
        'U' => (-1, 0),
        'D' => (1, 0),
        'L' => (0, -1),
        'R' => (0, 1),
        _ => (0, 0),
    };



    /// <summary>
    /// Builds PPO's actor (→ <paramref name="actions"/> logits, last-layer gain 0.01) and critic (→ V, gain 1). An
    /// MLP pair is two separate networks (CleanRL's ppo.py). A CNN pair shares every layer but the last, as
    /// CleanRL's ppo_atari.py does: the critic's Sequential holds the actor's own torso modules, so their
    /// parameters are the same objects and the torso can be run once for both heads.
    /// </summary>
    /// <returns>The two networks and how many leading layers they share (0 for an MLP pair).</returns>
    /// <remarks>
    /// A VIN pair shares its planner (<c>vin</c>): the actor's head is the identity on Q at the agent's cell
    /// (<c>policy</c>), the critic's a linear layer on those values (<c>value</c>, gain 1).
    /// </remarks>
    public static (Sequential Actor, Sequential Critic, int SharedLayers) BuildActorCritic(
        GridWorld world, NetworkKind kind, IReadOnlyList<int> convChannels, IReadOnlyList<int> hidden, Activation activation,
        int actions, Random init, int vinIterations = DefaultVinIterations, bool coordinates = false, VinTransitions transitions = VinTransitions.Moves)
    {
        if (kind == NetworkKind.Vin)
        {
            var vin = Build(world, kind, convChannels, hidden, activation, actions, init, vinIterations: vinIterations, coordinates: coordinates, transitions: transitions);
            var value = new Linear(actions, 1, init);
            Init.Orthogonal(value.Weight.Value, 1f, init);
            value.Bias!.Value.Fill(0f);
            return (vin, new Sequential([.. vin.InputShape], ("vin", vin.Layers[0]), ("value", value)), 1);
        }

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
        kind is NetworkKind.Cnn or NetworkKind.Vin ? [batch, world.Channels, world.Height, world.Width] : [batch, world.Channels * world.CellCount];

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

        if (kind == NetworkKind.Vin && (convChannels is null || convChannels.Any(c => c < 1)))
        {
            throw new ArgumentException("ConvChannels (the 3×3 convolutions of a VIN's reward map) must be positive channel counts.");
        }
    }

    /// <summary>
    /// FLOPs a backward pass saves by not computing the gradient with respect to the observation: the input gradient
    /// of the network's first weight layer, which costs as much as that layer's forward pass (for a VIN, the first
    /// convolution of f_R, or its 1×1 reward convolution when it has no hidden ones; the rest of the VIN, planner
    /// included, gets its full backward).
    /// </summary>
    public static double FirstInputGradientFlops(Sequential net, GridWorld world)
    {
        ArgumentNullException.ThrowIfNull(net);
        ArgumentNullException.ThrowIfNull(world);
        return net.Layers.Count == 0 ? 0 : net.Layers[0] switch
        {
            ValueIterationNetwork vin when vin.RewardHidden.Count > 0 =>
                2.0 * vin.RewardHidden[0].OutChannels * vin.RewardHidden[0].InChannels * 9 * world.CellCount,
            ValueIterationNetwork vin => 2.0 * vin.RewardOutput.InChannels * world.CellCount,
            _ => ForwardFlops(net, world, 1),
        };
    }

    /// <summary>
    /// FLOPs of one forward pass for one observation, multiply and add counted separately: 2·in·out per
    /// linear layer and 2·O·C·k²·H·W per convolution (every output cell of a same-size map, the zero-padded
    /// taps at the border included), a VIN's planner as <see cref="ValueIterationNetwork.ForwardFlops"/> counts it. The border positions of the convolution's strip, which its implicit GEMM
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
                ValueIterationNetwork vin => vin.ForwardFlops(),
                _ => 0,
            };
        }

        return flops;
    }
}
