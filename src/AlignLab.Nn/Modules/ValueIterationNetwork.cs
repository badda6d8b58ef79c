using AlignLab.Nn.Kernels;

namespace AlignLab.Nn;

/// <summary>
/// A value-iteration network (Tamar et al. 2016): a planner whose objective is a learned map. From a one-hot
/// observation [C, H, W] it computes the reward map f_R [1, H, W] (3×3 convolutions with an activation, then a
/// 1×1 convolution to one channel; optionally on two extra coordinate channels, CoordConv), then runs
/// <see cref="Iterations"/> steps of differentiable value iteration, Q = conv3×3(f_R; w_R) + conv3×3(V; w_V) with
/// one channel per action and V = max over the action channels (V₀ = max_a conv3×3(f_R; w_R)), and outputs Q at
/// the agent's cell, Σ_cell Q[a, cell]·agent[cell], one value per action: the policy's logits.
/// </summary>
/// <remarks>
/// As in the reference PyTorch port (kentsommer/pytorch-value-iteration-networks), w_R has PyTorch's default
/// initialisation and w_V starts at zero. Inference reuses scratch buffers: not thread-safe.
/// </remarks>
public sealed class ValueIterationNetwork : Module
{
    private readonly Conv2d[] _hidden;
    private readonly Conv2d _reward;
    private readonly Parameter[] _parameters;
    private readonly Activation _activation;
    private readonly float[] _coordinates;
    private readonly int[][] _convInputShapes;
    private Tensor? _coordinateBatch;
    private float[] _withCoordinates = [];
    private float[] _bufA = [];
    private float[] _bufB = [];
    private float[] _rewards = [];
    private float[] _q = [];

    /// <summary>Creates the network with seeded initial weights.</summary>
    /// <param name="channels">One-hot channels C of the observation.</param>
    /// <param name="height">Map height H.</param>
    /// <param name="width">Map width W.</param>
    /// <param name="agentChannel">The observation channel that is 1 at the agent's cell (the mask of the logits).</param>
    /// <param name="actions">Actions A: Q's channels and the output size.</param>
    /// <param name="rewardChannels">Output channels of the 3×3 convolutions before f_R's 1×1 convolution (may be empty: f_R is then one 1×1 convolution of the observation).</param>
    /// <param name="iterations">Value-iteration steps K (at least 1; the reference uses 10 on 8×8 and 20 on 16×16 maps).</param>
    /// <param name="coordinates">Whether f_R also sees two coordinate channels (row and column, each from −1 to 1): CoordConv.</param>
    /// <param name="activation">The activation after each 3×3 convolution of f_R.</param>
    /// <param name="rng">The seeded generator of the initial weights.</param>
    /// <param name="moves">
    /// When given, one (row, column) step per action: the transition kernel is fixed to the grid's moves instead of
    /// learned, Q_a(s) = f_R(s + move_a) + <paramref name="discount"/>·V(s + move_a) (w_R and w_V are then constants,
    /// not parameters), so f_R is a reward in the usual sense and the planner is exact value iteration on an
    /// obstacle-free grid (walls must be read into f_R).
    /// </param>
    /// <param name="discount">The discount of the fixed kernel, in (0, 1].</param>
    public ValueIterationNetwork(
        int channels, int height, int width, int agentChannel, int actions, IReadOnlyList<int> rewardChannels, int iterations,
        bool coordinates, Activation activation, Random rng, IReadOnlyList<(int Dr, int Dc)>? moves = null, float discount = 0.9f)
    {
        ArgumentNullException.ThrowIfNull(rewardChannels);
        ArgumentNullException.ThrowIfNull(rng);
        ArgumentOutOfRangeException.ThrowIfLessThan(channels, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(agentChannel);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(agentChannel, channels);
        ArgumentOutOfRangeException.ThrowIfLessThan(actions, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(iterations, 1);
        Channels = channels;
        Height = height;
        Width = width;
        AgentChannel = agentChannel;
        Actions = actions;
        Iterations = iterations;
        Coordinates = coordinates;
        _activation = activation;
        var c = channels + (coordinates ? 2 : 0);
        _hidden = new Conv2d[rewardChannels.Count];
        for (var i = 0; i < _hidden.Length; i++)
        {
            _hidden[i] = new Conv2d(c, rewardChannels[i], 3, rng);
            c = rewardChannels[i];
        }

        _reward = new Conv2d(c, 1, 1, rng);
        TransitionReward = new Parameter("q_reward", actions, 1, 3, 3);
        var bound = 1f / 3f;
        Init.Uniform(TransitionReward.Value, -bound, bound, rng);
        TransitionValue = new Parameter("q_value", actions, 1, 3, 3);
        if (moves is null)
        {
            _parameters = [.. _hidden.SelectMany(h => h.Parameters), .. _reward.Parameters, TransitionReward, TransitionValue];
        }
        else
        {
            if (moves.Count != actions || moves.Any(m => Math.Abs(m.Dr) > 1 || Math.Abs(m.Dc) > 1) || !(discount is > 0 and <= 1))
            {
                throw new ArgumentException($"Fixed moves need one step of at most one cell per action ({actions}) and a discount in (0, 1].", nameof(moves));
            }

            FixedTransitions = true;
            TransitionReward.Value.Fill(0f);
            for (var a = 0; a < actions; a++)
            {
                var tap = (a * 9) + ((1 + moves[a].Dr) * 3) + 1 + moves[a].Dc;
                TransitionReward.Value[tap] = 1f;
                TransitionValue.Value[tap] = discount;
            }

            _parameters = [.. _hidden.SelectMany(h => h.Parameters), .. _reward.Parameters];
        }
        _convInputShapes = [.. _hidden.Select(h => new[] { h.InChannels, height, width }), [_reward.InChannels, height, width]];
        _coordinates = new float[2 * height * width];
        for (var r = 0; r < height; r++)
        {
            for (var col = 0; col < width; col++)
            {
                _coordinates[(r * width) + col] = height > 1 ? ((2f * r) / (height - 1)) - 1f : 0f;
                _coordinates[(height * width) + (r * width) + col] = width > 1 ? ((2f * col) / (width - 1)) - 1f : 0f;
            }
        }
    }

    /// <summary>Gets the observation's one-hot channels C.</summary>
    public int Channels { get; }

    /// <summary>Gets the map height H.</summary>
    public int Height { get; }

    /// <summary>Gets the map width W.</summary>
    public int Width { get; }

    /// <summary>Gets the observation channel marking the agent's cell.</summary>
    public int AgentChannel { get; }

    /// <summary>Gets the number of actions A (Q's channels).</summary>
    public int Actions { get; }

    /// <summary>Gets the number of value-iteration steps K.</summary>
    public int Iterations { get; }

    /// <summary>Gets whether the transition kernel is fixed to the grid's moves (w_R and w_V are then not parameters).</summary>
    public bool FixedTransitions { get; }

    /// <summary>Gets whether f_R sees the two coordinate channels (CoordConv).</summary>
    public bool Coordinates { get; }

    /// <summary>Gets the 3×3 convolutions of f_R, in order (each followed by the activation).</summary>
    public IReadOnlyList<Conv2d> RewardHidden => _hidden;

    /// <summary>Gets the 1×1 convolution that makes the one-channel reward map f_R.</summary>
    public Conv2d RewardOutput => _reward;

    /// <summary>Gets w_R, [A, 1, 3, 3]: how each action's Q reads f_R around a cell (the reward part of the transition kernel).</summary>
    public Parameter TransitionReward { get; }

    /// <summary>Gets w_V, [A, 1, 3, 3]: how each action's Q reads V around a cell (the discounted transition kernel).</summary>
    public Parameter TransitionValue { get; }

    /// <inheritdoc/>
    public override IReadOnlyList<Parameter> Parameters => _parameters;

    private int Cells => Height * Width;

    /// <inheritdoc/>
    public override Var Forward(Graph graph, Var input)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(input);
        var rewards = RewardMap(graph, input);
        var q = Plan(graph, rewards);
        return graph.MaskedCellSum(q, input, AgentChannel);
    }

    /// <summary>Records f_R on the tape: [batch, C, H, W] observations → [batch, 1, H, W] reward maps.</summary>
    /// <param name="graph">The tape.</param>
    /// <param name="input">The observations.</param>
    /// <returns>The reward maps.</returns>
    public Var RewardMap(Graph graph, Var input)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(input);
        CheckInput(input.Shape);
        var x = input;
        if (Coordinates)
        {
            x = graph.Concat(input, graph.Input(CoordinateBatch(input.Shape[0])), 1);
        }

        foreach (var conv in _hidden)
        {
            x = _activation == Activation.Relu ? conv.Forward(graph, x, relu: true) : graph.Tanh(conv.Forward(graph, x));
        }

        return _reward.Forward(graph, x);
    }

    /// <summary>
    /// Records the K value-iteration steps on the tape as one fused node (<see cref="Graph.ValueIterationSteps"/>):
    /// reward maps [batch, 1, H, W] → Q [batch, A, H, W].
    /// </summary>
    /// <param name="graph">The tape.</param>
    /// <param name="rewards">The reward maps (f_R, or any map to plan on).</param>
    /// <returns>Q after the last step.</returns>
    public Var Plan(Graph graph, Var rewards)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(rewards);
        return graph.ValueIterationSteps(rewards, Kernel(graph, TransitionReward), Kernel(graph, TransitionValue), Iterations);
    }

    /// <summary>Computes f_R without a tape: <paramref name="batch"/> observations → H·W rewards each.</summary>
    /// <param name="observations">batch × C·H·W one-hot values.</param>
    /// <param name="batch">The number of observations.</param>
    /// <param name="rewards">Receives batch × H·W values.</param>
    public void RewardMap(ReadOnlySpan<float> observations, int batch, Span<float> rewards)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batch, 1);
        if (observations.Length != batch * Channels * Cells || rewards.Length < batch * Cells)
        {
            throw new ArgumentException($"RewardMap: expected {batch}×{Channels * Cells} observation values and room for {batch}×{Cells} rewards.", nameof(observations));
        }

        EnsureScratch(batch);
        var cells = Cells;
        var x = observations;
        var c = Channels;
        if (Coordinates)
        {
            for (var b = 0; b < batch; b++)
            {
                var dst = _withCoordinates.AsSpan(b * (c + 2) * cells, (c + 2) * cells);
                observations.Slice(b * c * cells, c * cells).CopyTo(dst);
                _coordinates.CopyTo(dst[(c * cells)..]);
            }

            c += 2;
            x = _withCoordinates.AsSpan(0, batch * c * cells);
        }

        var useA = true;
        for (var i = 0; i < _hidden.Length; i++)
        {
            var conv = _hidden[i];
            var y = (useA ? _bufA : _bufB).AsSpan(0, batch * conv.OutChannels * cells);
            conv.Infer(x, batch, _convInputShapes[i], y, relu: _activation == Activation.Relu);
            if (_activation == Activation.Tanh)
            {
                System.Numerics.Tensors.TensorPrimitives.Tanh(y, y);
            }

            x = y;
            c = conv.OutChannels;
            useA = !useA;
        }

        _reward.Infer(x, batch, _convInputShapes[^1], rewards[..(batch * cells)], relu: false);
    }

    /// <summary>
    /// Runs the K value-iteration steps without a tape on given reward maps (f_R, or an edited one) and reads Q at
    /// the agent's cell of each observation.
    /// </summary>
    /// <param name="observations">batch × C·H·W one-hot values (only the agent channel is read).</param>
    /// <param name="rewards">batch × H·W reward values to plan on.</param>
    /// <param name="batch">The number of observations.</param>
    /// <param name="logits">Receives batch × A values: Q at the agent's cell.</param>
    /// <param name="values">When not empty, receives batch × H·W values: V = max_a Q after the last step.</param>
    public void Plan(ReadOnlySpan<float> observations, ReadOnlySpan<float> rewards, int batch, Span<float> logits, Span<float> values = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batch, 1);
        var cells = Cells;
        if (observations.Length != batch * Channels * cells || rewards.Length != batch * cells || logits.Length < batch * Actions
            || (!values.IsEmpty && values.Length < batch * cells))
        {
            throw new ArgumentException($"Plan: expected {batch}×{Channels * cells} observation values, {batch}×{cells} rewards and room for {batch}×{Actions} logits.", nameof(observations));
        }

        EnsureScratch(batch);
        var q = _q.AsSpan(0, batch * Actions * cells);
        ValueIteration.Plan(rewards, batch, Height, Width, TransitionReward.Value.Values, TransitionValue.Value.Values, Actions, Iterations, q, default);
        ValueIteration.MaskedCellSum(q, observations, batch, Actions, cells, Channels, AgentChannel, logits);
        if (!values.IsEmpty)
        {
            ValueIteration.MaxChannels(q, batch, Actions, cells, values, default);
        }
    }

    /// <summary>
    /// FLOPs of one forward pass for one observation, multiply and add counted separately as for
    /// <see cref="Conv2d"/>: 2·O·C·k²·H·W per convolution of f_R, the convolution of f_R by w_R, and K convolutions
    /// of V by w_V (the maxima, sums and the masked read at the agent's cell are not counted).
    /// </summary>
    /// <returns>The count.</returns>
    public double ForwardFlops()
    {
        double flops = 0;
        foreach (var conv in _hidden)
        {
            flops += 2.0 * conv.OutChannels * conv.InChannels * 9 * Cells;
        }

        flops += 2.0 * _reward.InChannels * Cells;
        flops += (1 + Iterations) * 2.0 * Actions * 9 * Cells;
        return flops;
    }

    internal override int[] OutputShape(int[] inputShape)
    {
        CheckInput(inputShape);
        return [Actions];
    }

    internal override void Infer(ReadOnlySpan<float> x, int batch, int[] inputShape, Span<float> y)
    {
        CheckInput(inputShape);
        EnsureScratch(batch);
        var rewards = _rewards.AsSpan(0, batch * Cells);
        RewardMap(x, batch, rewards);
        Plan(x, rewards, batch, y);
    }

    internal override void AssignNames(string prefix)
    {
        string Name(string local) => prefix.Length == 0 ? local : prefix + "." + local;
        for (var i = 0; i < _hidden.Length; i++)
        {
            _hidden[i].AssignNames(Name($"reward{i + 1}"));
        }

        _reward.AssignNames(Name("reward_out"));
        TransitionReward.Name = Name("q_reward");
        TransitionValue.Name = Name("q_value");
    }

    private Var Kernel(Graph graph, Parameter kernel) => FixedTransitions ? graph.Input(kernel.Value) : graph.Param(kernel);

    private void CheckInput(ReadOnlySpan<int> shape)
    {
        var perSample = shape.Length == 4 ? shape[1..] : shape;
        if (perSample.Length != 3 || perSample[0] != Channels || perSample[1] != Height || perSample[2] != Width)
        {
            throw new ArgumentException($"ValueIterationNetwork: shape mismatch: input {Tensor.FormatShape(shape)} is not [batch,{Channels},{Height},{Width}].");
        }
    }

    private Tensor CoordinateBatch(int batch)
    {
        if (_coordinateBatch is null || _coordinateBatch.Shape[0] != batch)
        {
            _coordinateBatch = new Tensor(batch, 2, Height, Width);
            for (var b = 0; b < batch; b++)
            {
                _coordinates.CopyTo(_coordinateBatch.Span.Slice(b * _coordinates.Length, _coordinates.Length));
            }
        }

        return _coordinateBatch;
    }

    private void EnsureScratch(int batch)
    {
        var cells = Cells;
        if (_rewards.Length >= batch * cells)
        {
            return;
        }

        var widest = Math.Max(1, _hidden.Length == 0 ? 1 : _hidden.Max(h => h.OutChannels));
        var inChannels = Channels + (Coordinates ? 2 : 0);
        _withCoordinates = Coordinates ? new float[batch * inChannels * cells] : [];
        _bufA = new float[batch * widest * cells];
        _bufB = new float[batch * widest * cells];
        _rewards = new float[batch * cells];
        _q = new float[batch * Actions * cells];
    }
}
