using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using AlignLab.Envs;
using AlignLab.Grid;
using AlignLab.Nn;
using AlignLab.Randomness;
using AlignLab.Solve;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace AlignLab.Agents;

/// <summary>
/// Hyper-parameters of <see cref="DqnAgent"/>. Names and defaults follow CleanRL's <c>dqn.py</c>; every
/// field is used as documented. All schedules count environment steps of all environments together, so
/// the number of gradient steps per environment step does not depend on <see cref="NumEnvs"/>.
/// </summary>
public sealed record DqnOptions
{
    /// <summary>Environments stepped together (<c>num_envs</c>); must equal the <see cref="VectorEnv"/>'s count.</summary>
    public int NumEnvs { get; init; } = 1;

    /// <summary>Environment steps of training, all environments together (<c>total_timesteps</c>).</summary>
    public long TotalTimesteps { get; init; } = 500_000;

    /// <summary>Adam's learning rate (<c>learning_rate</c>).</summary>
    public double LearningRate { get; init; } = 2.5e-4;

    /// <summary>Capacity of the replay ring buffer in transitions (<c>buffer_size</c>); the oldest are overwritten.</summary>
    public int BufferSize { get; init; } = 10_000;

    /// <summary>Discount γ (<c>gamma</c>).</summary>
    public double Gamma { get; init; } = 0.99;

    /// <summary>Target-network update rate (<c>tau</c>): 1 copies the Q-network, less blends θ⁻ ← τθ + (1 − τ)θ⁻.</summary>
    public double Tau { get; init; } = 1.0;

    /// <summary>Environment steps between target-network updates (<c>target_network_frequency</c>).</summary>
    public int TargetNetworkFrequency { get; init; } = 500;

    /// <summary>Transitions per gradient step, drawn uniformly with replacement from the buffer (<c>batch_size</c>).</summary>
    public int BatchSize { get; init; } = 128;

    /// <summary>ε at the start of training (<c>start_e</c>).</summary>
    public double StartEpsilon { get; init; } = 1.0;

    /// <summary>ε after annealing (<c>end_e</c>).</summary>
    public double EndEpsilon { get; init; } = 0.05;

    /// <summary>Fraction of <see cref="TotalTimesteps"/> over which ε falls linearly from start to end (<c>exploration_fraction</c>).</summary>
    public double ExplorationFraction { get; init; } = 0.5;

    /// <summary>Environment steps of pure collection before the first gradient step (<c>learning_starts</c>).</summary>
    public long LearningStarts { get; init; } = 10_000;

    /// <summary>Environment steps per gradient step (<c>train_frequency</c>).</summary>
    public int TrainFrequency { get; init; } = 10;

    /// <summary>Threshold δ of the Huber loss on the TD error (CleanRL's dqn.py uses the squared error; Huber is the Nature-DQN choice).</summary>
    public double HuberDelta { get; init; } = 1.0;

    /// <summary>Global L2 norm the gradient is clipped to; null does not clip (CleanRL does not; SB3 clips at 10).</summary>
    public double? MaxGradNorm { get; init; } = 10.0;

    /// <summary>Multiplies the rewards the agent learns from (not the reported episodic returns).</summary>
    public double RewardScale { get; init; } = 1.0;

    /// <summary>The network family of the Q-network: an MLP on the flattened one-hot observation, or a CNN (<see cref="ConvChannels"/>, then an MLP head).</summary>
    public NetworkKind Network { get; init; } = NetworkKind.Mlp;

    /// <summary>Output channels of each 3×3 convolution when <see cref="Network"/> is <see cref="NetworkKind.Cnn"/> (ignored for an MLP).</summary>
    public IReadOnlyList<int> ConvChannels { get; init; } = [16, 32];

    /// <summary>Hidden layer sizes of the Q-network's MLP, the head after the convolutions for a CNN (CleanRL: 120, 84).</summary>
    public IReadOnlyList<int> Hidden { get; init; } = [120, 84];

    /// <summary>Hidden activation of the Q-network (ReLU in CleanRL).</summary>
    public Activation Activation { get; init; } = Activation.Relu;

    /// <summary>Seed of the initial weights, of exploration and of replay sampling (the environments have their own seeds).</summary>
    public ulong Seed { get; init; }

    /// <summary>ε at a given environment step: linear from <see cref="StartEpsilon"/> to <see cref="EndEpsilon"/>, then constant.</summary>
    public double EpsilonAt(long step)
    {
        var duration = Math.Max(1.0, ExplorationFraction * TotalTimesteps);
        var slope = (EndEpsilon - StartEpsilon) / duration;
        return Math.Max((slope * step) + StartEpsilon, Math.Min(StartEpsilon, EndEpsilon));
    }

    /// <summary>Throws when a value is out of range.</summary>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(NumEnvs, 1, nameof(NumEnvs));
        ArgumentOutOfRangeException.ThrowIfLessThan(BufferSize, 1, nameof(BufferSize));
        ArgumentOutOfRangeException.ThrowIfLessThan(BatchSize, 1, nameof(BatchSize));
        ArgumentOutOfRangeException.ThrowIfLessThan(TrainFrequency, 1, nameof(TrainFrequency));
        ArgumentOutOfRangeException.ThrowIfLessThan(TargetNetworkFrequency, 1, nameof(TargetNetworkFrequency));
        ArgumentOutOfRangeException.ThrowIfNegative(TotalTimesteps, nameof(TotalTimesteps));
        AgentNetworks.Validate(Network, ConvChannels, Hidden);
        if (!(Gamma is >= 0 and <= 1) || !(Tau is > 0 and <= 1) || !(LearningRate is > 0 and <= 1) || !(HuberDelta is > 0 and < double.PositiveInfinity))
        {
            throw new ArgumentException("Gamma must be in [0, 1], Tau and LearningRate in (0, 1]; HuberDelta positive and finite.");
        }

        if (!(RewardScale is > 0 and < double.PositiveInfinity) || MaxGradNorm is <= 0 or double.NaN or double.PositiveInfinity || !(StartEpsilon is >= 0 and <= 1) || !(EndEpsilon is >= 0 and <= 1) || !(ExplorationFraction is >= 0 and < double.PositiveInfinity) || LearningStarts < 0)
        {
            throw new ArgumentException("RewardScale must be positive and finite, MaxGradNorm positive and finite when set, StartEpsilon and EndEpsilon in [0, 1], ExplorationFraction non-negative, LearningStarts non-negative.");
        }
    }
}

/// <summary>
/// Deep Q-learning (Mnih et al. 2015) in the manner of CleanRL's <c>dqn.py</c>: an MLP Q-network on the
/// flattened one-hot observation, ε-greedy exploration with a linear schedule, a preallocated replay ring
/// buffer, a target network (periodic hard copy, or Polyak averaging with τ &lt; 1), Huber loss on the
/// one-step TD error, Adam, a gradient step every <see cref="DqnOptions.TrainFrequency"/> environment steps
/// after <see cref="DqnOptions.LearningStarts"/>.
/// </summary>
/// <remarks>
/// Every transition is stored, as in CleanRL. The vectorised environment resets an ended episode in the same
/// step, so the next observation of a transition that ended its episode is the final observation it keeps
/// (<see cref="VectorEnv.FinalObservations"/>), not the reset one. A terminated transition is stored with
/// done = 1 (no bootstrap); a truncated one with done = 0, so its target bootstraps from the state the step
/// limit cut off.
/// All randomness is seeded (weights from <see cref="DqnOptions.Seed"/>, exploration and replay sampling from an
/// <see cref="Rng"/>); after the first gradient step nothing is allocated. Not thread-safe.
/// </remarks>
public sealed class DqnAgent : IAgent
{
    private const string CheckpointFormat = "alignlab.dqn/2";
    private const int LossReportEvery = 100;

    private readonly GridWorld _world;
    private readonly Sequential _qNetwork;
    private readonly Sequential _targetNetwork;
    private readonly Graph _graph = new();
    private readonly int _obsLength;
    private readonly int _actionCount;
    private Adam _optimizer;
    private Rng _rng;
    private VectorEnv? _lastEnv;
    private VectorEnv? _ownEnv;

    // Replay ring buffer.
    private readonly float[] _bufferObs;
    private readonly float[] _bufferNextObs;
    private readonly int[] _bufferActions;
    private readonly float[] _bufferRewards;
    private readonly float[] _bufferDones;
    private int _bufferNext;
    private int _bufferCount;

    // Per-step scratch.
    private readonly float[] _currentObs;
    private readonly float[] _stepQ;
    private readonly int[] _stepActions;
    private readonly EpisodeTracker _episodes;

    // Minibatch.
    private readonly Tensor _mbObs;
    private readonly float[] _mbNextObs;
    private readonly float[] _mbNextQ;
    private readonly int[] _mbActions;
    private readonly float[] _mbNotDone;
    private readonly Tensor _mbTargets;

    // Scratch of Policy().
    private readonly float[] _policyObs;
    private readonly float[] _policyQ;

    /// <summary>Creates an untrained agent for <paramref name="world"/>'s observation and action spaces.</summary>
    /// <param name="world">The world the agent will be trained on (its encoding is used by <see cref="Policy"/>).</param>
    /// <param name="options">Hyper-parameters; validated here.</param>
    public DqnAgent(GridWorld world, DqnOptions options)
    {
        ArgumentNullException.ThrowIfNull(world);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _world = world;
        Options = options;
        _obsLength = world.Channels * world.CellCount;
        _actionCount = world.ActionLetters.Length;

        var init = NeuralAgentSupport.InitRandom(options.Seed);
        _qNetwork = AgentNetworks.Build(world, options.Network, options.ConvChannels, options.Hidden, options.Activation, _actionCount, init);
        _targetNetwork = AgentNetworks.Build(world, options.Network, options.ConvChannels, options.Hidden, options.Activation, _actionCount, init);
        UpdateTarget(1.0);
        _optimizer = NewOptimizer();
        _rng = new Rng(options.Seed ^ 0xD0_5EEDUL);

        int n = options.NumEnvs, capacity = options.BufferSize, batch = options.BatchSize;
        _bufferObs = new float[capacity * _obsLength];
        _bufferNextObs = new float[capacity * _obsLength];
        _bufferActions = new int[capacity];
        _bufferRewards = new float[capacity];
        _bufferDones = new float[capacity];
        _currentObs = new float[n * _obsLength];
        _stepQ = new float[n * _actionCount];
        _stepActions = new int[n];
        _episodes = new EpisodeTracker(n);
        _mbObs = new Tensor(AgentNetworks.BatchShape(world, options.Network, batch));
        _mbNextObs = new float[batch * _obsLength];
        _mbNextQ = new float[batch * _actionCount];
        _mbActions = new int[batch];
        _mbNotDone = new float[batch];
        _mbTargets = new Tensor(batch);
        _policyObs = new float[_obsLength];
        _policyQ = new float[_actionCount];
    }

    /// <summary>The hyper-parameters.</summary>
    public DqnOptions Options { get; }

    /// <summary>The online Q-network: observation → one Q-value per action.</summary>
    public Sequential QNetwork => _qNetwork;

    /// <summary>The target network used for the TD targets.</summary>
    public Sequential TargetNetwork => _targetNetwork;

    /// <summary>Environment steps trained on so far, all environments together.</summary>
    public long GlobalStep { get; private set; }

    /// <summary>Gradient steps taken so far.</summary>
    public long GradientSteps { get; private set; }

    /// <summary>Transitions currently held by the replay buffer.</summary>
    public int BufferCount => _bufferCount;

    /// <summary>Episodes finished during training so far (in this process).</summary>
    public long Episodes => _episodes.Episodes;

    /// <summary>State of the agent's generator (for tests of checkpoints).</summary>
    internal (ulong S0, ulong S1, ulong S2, ulong S3) RngState => _rng.State;

    /// <summary>The registry entry: presets <c>default</c> (CleanRL's dqn.py MLP) and <c>cnn</c>.</summary>
    public static AgentDefinition<DqnOptions> Definition { get; } = new(
        "dqn",
        "Deep Q-learning with replay and a target network (CleanRL's dqn.py, Huber loss), MLP or CNN Q-network.",
        200_000,
        [
            new("default", "CleanRL's dqn.py: 120-84 ReLU MLP, buffer 10,000, batch 128, ε 1 → 0.05 over half the budget.", new DqnOptions()),
            new("cnn", "3×3 convolutions 16, 32 (ReLU), then the 120-84 head.", new DqnOptions { Network = NetworkKind.Cnn }),
        ],
        (options, steps, seed) => options with { TotalTimesteps = steps, Seed = seed },
        options => options.Validate(),
        (world, options) => new DqnAgent(world, options),
        [nameof(DqnOptions.TotalTimesteps), nameof(DqnOptions.Seed)],
        (world, options) =>
        {
            // Online and target networks, and the replay buffer's two observations, action, reward and done per transition.
            var trained = CheckpointLimits.Parameters(world, options.Network, options.ConvChannels, options.Hidden, world.ActionLetters.Length);
            var buffer = (double)options.BufferSize * ((2.0 * world.Channels * world.CellCount) + 3) * 4;
            CheckpointLimits.Check("dqn", world, trained, (2 * trained * 4) + buffer, options.Hidden, string.Create(System.Globalization.CultureInfo.InvariantCulture, $" and a replay buffer of {options.BufferSize:N0} transitions"));
        });

    /// <inheritdoc/>
    public string Name => Definition.Name;

    /// <inheritdoc/>
    object IAgent.Options => Options;

    /// <inheritdoc/>
    public long Step => GlobalStep;

    /// <inheritdoc/>
    public long TotalSteps => (Options.TotalTimesteps + Options.NumEnvs - 1) / Options.NumEnvs * Options.NumEnvs;

    /// <inheritdoc/>
    public long StepsPerUnit => Options.NumEnvs;

    /// <summary>The agent's own batch, made on first use (environment i seeded with <see cref="DqnOptions.Seed"/> + i).</summary>
    private VectorEnv OwnEnv => _ownEnv ??= EnvironmentFactory.MakeVector(_world, Options.NumEnvs, Options.Seed).Env;

    /// <inheritdoc/>
    public void Train(long untilStep, Action<AgentMetric>? metrics = null) => Train(OwnEnv, metrics, untilStep);

    /// <inheritdoc/>
    public byte[] GeneratorState() => NeuralAgentSupport.RngBytes(_rng);

    /// <summary>
    /// Trains on <paramref name="env"/> until <see cref="DqnOptions.TotalTimesteps"/> (or <paramref name="untilStep"/>)
    /// environment steps are done; a loaded checkpoint continues where it stopped. A batch the agent has not
    /// trained on before is reset first; calling again with the same batch continues its episodes, so training in
    /// chunks equals one call.
    /// </summary>
    /// <param name="env">A batch of <see cref="DqnOptions.NumEnvs"/> environments of the agent's world.</param>
    /// <param name="progress">Receives the <see cref="MetricNames"/> metrics: each finished episode, and every 100 gradient steps.</param>
    /// <param name="untilStep">Stop once this many environment steps are done (all remaining when null).</param>
    public void Train(VectorEnv env, Action<AgentMetric>? progress = null, long? untilStep = null)
    {
        NeuralAgentSupport.CheckEnv(env, _world, Options.NumEnvs);
        if (_lastEnv != env)
        {
            env.Reset();
            _episodes.Clear();
            _lastEnv = env;
        }

        var stop = Math.Min(Options.TotalTimesteps, untilStep ?? long.MaxValue);
        var n = Options.NumEnvs;
        var scale = (float)Options.RewardScale;
        var started = Stopwatch.GetTimestamp();
        var startStep = GlobalStep;
        while (GlobalStep < stop)
        {
            // ε-greedy actions on the current observations.
            env.Observations.CopyTo(_currentObs);
            var epsilon = Options.EpsilonAt(GlobalStep);
            _qNetwork.Predict(_currentObs, n, _stepQ);
            for (var i = 0; i < n; i++)
            {
                _stepActions[i] = _rng.NextDouble() < epsilon ? _rng.NextInt(_actionCount) : ArgMax(_stepQ.AsSpan(i * _actionCount, _actionCount));
            }

            env.Step(_stepActions);
            var previousStep = GlobalStep;
            GlobalStep += n;
            var rewards = env.Rewards;
            var terminated = env.Terminated;
            var truncated = env.Truncated;
            for (var i = 0; i < n; i++)
            {
                var ended = terminated[i] || truncated[i];
                var nextObs = (ended ? env.FinalObservations : env.Observations).Slice(i * _obsLength, _obsLength);
                Store(_currentObs.AsSpan(i * _obsLength, _obsLength), _stepActions[i], (float)rewards[i] * scale, nextObs, terminated[i]);
                _episodes.Add(i, rewards[i], ended, GlobalStep, progress);
            }

            if (GlobalStep <= Options.LearningStarts)
            {
                continue;
            }

            // One gradient step per TrainFrequency environment steps, one target update per TargetNetworkFrequency.
            var learnedFrom = Math.Max(previousStep, Options.LearningStarts);
            var updates = (GlobalStep / Options.TrainFrequency) - (learnedFrom / Options.TrainFrequency);
            for (var u = 0; u < updates; u++)
            {
                var (loss, meanQ) = GradientStep();
                if (progress is not null && GradientSteps % LossReportEvery == 0)
                {
                    var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
                    progress(new AgentMetric(MetricNames.TdLoss, loss, GlobalStep));
                    progress(new AgentMetric(MetricNames.QValues, meanQ, GlobalStep));
                    progress(new AgentMetric(MetricNames.Epsilon, epsilon, GlobalStep));
                    progress(new AgentMetric(MetricNames.LearningRate, _optimizer.LastLearningRate, GlobalStep));
                    progress(new AgentMetric(MetricNames.StepsPerSecond, seconds > 0 ? (GlobalStep - startStep) / seconds : 0, GlobalStep));
                }
            }

            if ((GlobalStep / Options.TargetNetworkFrequency) > (learnedFrom / Options.TargetNetworkFrequency))
            {
                UpdateTarget(Options.Tau);
            }
        }
    }

    /// <summary>
    /// The learned policy in the form <see cref="BoardPolicy"/> expects: encodes the board one-hot exactly as the
    /// environment does, runs the Q-network and puts probability 1 on the greedy action (lowest index among ties).
    /// Extras are not observed by the network and are ignored.
    /// </summary>
    /// <param name="board">The symbolic board (agent drawn), row-major.</param>
    /// <param name="extras">Extra observations (ignored).</param>
    /// <param name="probabilities">Receives one probability per action.</param>
    public void Policy(ReadOnlySpan<byte> board, ReadOnlySpan<double> extras, Span<double> probabilities)
    {
        if (board.Length != _world.CellCount || probabilities.Length != _actionCount)
        {
            throw new ArgumentException($"Expected a board of {_world.CellCount} cells and {_actionCount} probabilities.", nameof(probabilities));
        }

        _world.Encode(board, _policyObs);
        _qNetwork.Predict(_policyObs, _policyQ);
        probabilities.Clear();
        probabilities[ArgMax(_policyQ)] = 1.0;
    }

    /// <summary>The learned greedy policy as a <see cref="BoardPolicy"/> delegate, for <see cref="ExactSolution.Evaluate"/>.</summary>
    public BoardPolicy AsBoardPolicy() => Policy;

    /// <summary>
    /// Writes a safetensors checkpoint: the online network (<c>q_network.fc1.weight</c>, …), the target network
    /// (<c>target_network.…</c>) and the replay buffer's filled rows (<c>replay.obs</c>, <c>replay.next_obs</c>,
    /// <c>replay.actions</c>, <c>replay.rewards</c>, <c>replay.dones</c>), and as metadata the format, agent, world,
    /// options (JSON), global step, gradient steps, the ring buffer's position, Adam's state (base64), the agent's
    /// generator and, with <paramref name="env"/> (or the agent's own batch), the batch's state. A run resumed from
    /// it ends with exactly the weights of an uninterrupted one.
    /// </summary>
    /// <param name="path">The file to create or overwrite.</param>
    /// <param name="env">The batch being trained on, to save with the agent (between steps).</param>
    public void SaveCheckpoint(string path, VectorEnv? env = null)
    {
        using var file = File.Create(path);
        SaveCheckpoint(file, env);
    }

    /// <summary>Writes the checkpoint of the agent and of its own batch to <paramref name="destination"/>.</summary>
    public void SaveCheckpoint(Stream destination) => SaveCheckpoint(destination, _ownEnv);

    /// <summary>Restores a checkpoint written by <see cref="SaveCheckpoint(string, VectorEnv?)"/>: networks, steps, buffer, optimiser and generator; with <paramref name="env"/>, the batch's state too.</summary>
    /// <param name="path">The checkpoint file.</param>
    /// <param name="env">A batch of the same world and size, to restore the saved batch state into.</param>
    /// <exception cref="InvalidDataException">Another format, world or architecture.</exception>
    public void LoadCheckpoint(string path, VectorEnv? env = null)
    {
        using var file = File.OpenRead(path);
        LoadCheckpoint(file, env, path);
    }

    /// <summary>Restores a checkpoint written by <see cref="SaveCheckpoint(Stream)"/>, with the batch state into the agent's own batch.</summary>
    public void LoadCheckpoint(Stream source) => LoadCheckpoint(source, OwnEnv, "checkpoint");

    private void SaveCheckpoint(Stream destination, VectorEnv? env)
    {
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        NeuralAgentSupport.AddTensors(tensors, "q_network", _qNetwork);
        NeuralAgentSupport.AddTensors(tensors, "target_network", _targetNetwork);
        if (_bufferCount > 0)
        {
            var rows = _bufferCount;
            tensors["replay.obs"] = Rows(_bufferObs, rows, _obsLength);
            tensors["replay.next_obs"] = Rows(_bufferNextObs, rows, _obsLength);
            var actions = new Tensor(rows);
            for (var i = 0; i < rows; i++)
            {
                actions.Span[i] = _bufferActions[i];
            }

            tensors["replay.actions"] = actions;
            tensors["replay.rewards"] = Rows(_bufferRewards, rows, 1);
            tensors["replay.dones"] = Rows(_bufferDones, rows, 1);
        }

        var metadata = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["format"] = CheckpointFormat,
            ["agent"] = Name,
            ["world"] = _world.Id,
            ["options"] = JsonSerializer.Serialize(Options),
            ["global_step"] = NeuralAgentSupport.Invariant(GlobalStep),
            ["gradient_steps"] = NeuralAgentSupport.Invariant(GradientSteps),
            ["optimizer_step"] = NeuralAgentSupport.Invariant(_optimizer.StepCount),
            ["optimizer_state"] = Convert.ToBase64String(_optimizer.SaveState()),
            ["replay_count"] = NeuralAgentSupport.Invariant(_bufferCount),
            ["replay_next"] = NeuralAgentSupport.Invariant(_bufferNext),
            ["rng"] = NeuralAgentSupport.FormatRng(_rng),
        };
        if (env is not null)
        {
            metadata["env_state"] = Convert.ToBase64String(env.SaveState());
        }

        Safetensors.Save(destination, tensors, metadata);
    }

    private void LoadCheckpoint(Stream source, VectorEnv? env, string path)
    {
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        var tensors = Safetensors.Load(source, metadata);
        NeuralAgentSupport.CheckFormat(metadata, CheckpointFormat, _world.Id, path);
        NeuralAgentSupport.LoadTensors(tensors, "q_network", _qNetwork, path);
        NeuralAgentSupport.LoadTensors(tensors, "target_network", _targetNetwork, path);
        GlobalStep = NeuralAgentSupport.ParseLong(NeuralAgentSupport.Require(metadata, "global_step", path));
        GradientSteps = NeuralAgentSupport.ParseLong(NeuralAgentSupport.Require(metadata, "gradient_steps", path));
        _rng = NeuralAgentSupport.ParseRng(NeuralAgentSupport.Require(metadata, "rng", path));
        _optimizer = NewOptimizer();
        _optimizer.RestoreState(Convert.FromBase64String(NeuralAgentSupport.Require(metadata, "optimizer_state", path)));
        var count = (int)NeuralAgentSupport.ParseLong(NeuralAgentSupport.Require(metadata, "replay_count", path));
        var next = (int)NeuralAgentSupport.ParseLong(NeuralAgentSupport.Require(metadata, "replay_next", path));
        if (count < 0 || count > Options.BufferSize || next < 0 || next >= Options.BufferSize)
        {
            throw new InvalidDataException($"{path}: the replay buffer ({count} rows, next {next}) does not fit a buffer of {Options.BufferSize}.");
        }

        if (count > 0)
        {
            ReadRows(tensors, "replay.obs", _bufferObs, count, _obsLength, path);
            ReadRows(tensors, "replay.next_obs", _bufferNextObs, count, _obsLength, path);
            ReadRows(tensors, "replay.rewards", _bufferRewards, count, 1, path);
            ReadRows(tensors, "replay.dones", _bufferDones, count, 1, path);
            var actions = new float[count];
            ReadRows(tensors, "replay.actions", actions, count, 1, path);
            for (var i = 0; i < count; i++)
            {
                _bufferActions[i] = (int)actions[i];
            }
        }

        _bufferCount = count;
        _bufferNext = next;
        if (env is not null && metadata.TryGetValue("env_state", out var envState))
        {
            env.RestoreState(Convert.FromBase64String(envState));
            _lastEnv = env;
        }
    }

    /// <summary>The first <paramref name="rows"/> rows of a row-major array as a [rows, width] (or [rows]) tensor.</summary>
    private static Tensor Rows(float[] data, int rows, int width)
    {
        var tensor = width == 1 ? new Tensor(rows) : new Tensor(rows, width);
        tensor.CopyFrom(data.AsSpan(0, rows * width));
        return tensor;
    }

    private static void ReadRows(Dictionary<string, Tensor> tensors, string name, float[] destination, int rows, int width, string path)
    {
        if (!tensors.TryGetValue(name, out var tensor) || tensor.Values.Length != rows * width)
        {
            throw new InvalidDataException($"{path}: the checkpoint's '{name}' is missing or does not hold {rows} rows.");
        }

        tensor.Values.CopyTo(destination);
    }

    private Adam NewOptimizer() => new(_qNetwork.Parameters, (float)Options.LearningRate);

    /// <summary>The replay buffer's observations, slot after slot (slots 0 … <see cref="BufferCount"/> − 1 are filled), for tests.</summary>
    internal ReadOnlySpan<float> BufferObservations => _bufferObs;

    /// <summary>The replay buffer's next observations, slot after slot, for tests.</summary>
    internal ReadOnlySpan<float> BufferNextObservations => _bufferNextObs;

    /// <summary>The replay buffer's actions, for tests.</summary>
    internal ReadOnlySpan<int> BufferActions => _bufferActions;

    /// <summary>The replay buffer's done flags (1 terminated, 0 otherwise, truncated included), for tests.</summary>
    internal ReadOnlySpan<float> BufferDones => _bufferDones;

    private void Store(ReadOnlySpan<float> obs, int action, float reward, ReadOnlySpan<float> nextObs, bool done)
    {
        var k = _bufferNext;
        obs.CopyTo(_bufferObs.AsSpan(k * _obsLength, _obsLength));
        nextObs.CopyTo(_bufferNextObs.AsSpan(k * _obsLength, _obsLength));
        _bufferActions[k] = action;
        _bufferRewards[k] = reward;
        _bufferDones[k] = done ? 1f : 0f;
        _bufferNext = (k + 1) % Options.BufferSize;
        _bufferCount = Math.Min(_bufferCount + 1, Options.BufferSize);
    }

    /// <summary>One Adam step on the Huber loss between Q(s, a) and r + γ(1 − done)·max_a′ Q⁻(s′, a′).</summary>
    private (double Loss, double MeanQ) GradientStep()
    {
        if (_bufferCount == 0)
        {
            return (double.NaN, double.NaN);
        }

        var batch = Options.BatchSize;
        var obs = _mbObs.Span;
        var targets = _mbTargets.Span;
        for (var j = 0; j < batch; j++)
        {
            var k = _rng.NextInt(_bufferCount);
            _bufferObs.AsSpan(k * _obsLength, _obsLength).CopyTo(obs.Slice(j * _obsLength, _obsLength));
            _bufferNextObs.AsSpan(k * _obsLength, _obsLength).CopyTo(_mbNextObs.AsSpan(j * _obsLength, _obsLength));
            _mbActions[j] = _bufferActions[k];
            targets[j] = _bufferRewards[k];
            _mbNotDone[j] = 1f - _bufferDones[k];
        }

        // TD targets r + γ·(1 − done)·max_a′ Q⁻(s′, a′), from the target network without a tape.
        _targetNetwork.Predict(_mbNextObs, batch, _mbNextQ);
        var gamma = (float)Options.Gamma;
        for (var j = 0; j < batch; j++)
        {
            targets[j] += gamma * _mbNotDone[j] * TensorPrimitives.Max(_mbNextQ.AsSpan(j * _actionCount, _actionCount));
        }

        var g = _graph;
        g.Reset();
        var q = g.Gather(_qNetwork.Forward(g, g.Input(_mbObs)), _mbActions);
        var loss = g.HuberLoss(q, g.Input(_mbTargets), (float)Options.HuberDelta);
        _optimizer.ZeroGrad();
        g.Backward(loss);
        if (Options.MaxGradNorm is { } maxNorm)
        {
            Optimizer.ClipGradNorm(_qNetwork.Parameters, (float)maxNorm);
        }

        _optimizer.Step();
        GradientSteps++;
        return (loss.Value[0], TensorPrimitives.Sum(q.Value.Values) / batch);
    }

    private void UpdateTarget(double tau)
    {
        var online = _qNetwork.Parameters;
        var target = _targetNetwork.Parameters;
        for (var i = 0; i < online.Count; i++)
        {
            if (tau >= 1.0)
            {
                target[i].Value.CopyFrom(online[i].Value.Values);
            }
            else
            {
                var t = target[i].Value.Span;
                TensorPrimitives.Multiply(t, (float)(1 - tau), t);
                TensorPrimitives.MultiplyAdd(online[i].Value.Values, (float)tau, t, t);
            }
        }
    }

    private static int ArgMax(ReadOnlySpan<float> values)
    {
        var best = 0;
        for (var a = 1; a < values.Length; a++)
        {
            if (values[a] > values[best])
            {
                best = a;
            }
        }

        return best;
    }

    /// <inheritdoc/>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"DQN on {_world.Id}: {GlobalStep}/{Options.TotalTimesteps} steps, {GradientSteps} gradient steps");
}
