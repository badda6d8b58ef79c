using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using AlignLab.Envs;
using AlignLab.Grid;
using AlignLab.Nn;
using AlignLab.Randomness;
using AlignLab.Solve;

namespace AlignLab.Agents;

/// <summary>
/// Hyper-parameters of <see cref="PpoAgent"/>. Names and defaults follow CleanRL's <c>ppo.py</c>
/// (classic-control settings); every field is used as documented.
/// </summary>
public sealed record PpoOptions
{
    /// <summary>Environments stepped together (<c>num_envs</c>); must equal the <see cref="VectorEnv"/>'s count.</summary>
    public int NumEnvs { get; init; } = 4;

    /// <summary>Steps per environment in one rollout (<c>num_steps</c>); a rollout holds <see cref="BatchSize"/> transitions.</summary>
    public int NumSteps { get; init; } = 128;

    /// <summary>Environment steps of training, all environments together (<c>total_timesteps</c>); rounded down to whole rollouts.</summary>
    public long TotalTimesteps { get; init; } = 500_000;

    /// <summary>Adam's learning rate at the first update (<c>learning_rate</c>).</summary>
    public double LearningRate { get; init; } = 2.5e-4;

    /// <summary>Anneal the learning rate linearly from <see cref="LearningRate"/> towards 0 over the updates (<c>anneal_lr</c>): update k of K uses (1 − (k − 1)/K)·lr.</summary>
    public bool AnnealLearningRate { get; init; } = true;

    /// <summary>Adam's ε (CleanRL uses 1e-5 instead of PyTorch's 1e-8).</summary>
    public double AdamEpsilon { get; init; } = 1e-5;

    /// <summary>Discount γ (<c>gamma</c>).</summary>
    public double Gamma { get; init; } = 0.99;

    /// <summary>λ of generalised advantage estimation (<c>gae_lambda</c>); 1 gives Monte-Carlo advantages, 0 one-step TD.</summary>
    public double GaeLambda { get; init; } = 0.95;

    /// <summary>Minibatches per epoch (<c>num_minibatches</c>); must divide <see cref="BatchSize"/>.</summary>
    public int NumMinibatches { get; init; } = 4;

    /// <summary>Passes over each rollout (<c>update_epochs</c>), reshuffled every pass.</summary>
    public int UpdateEpochs { get; init; } = 4;

    /// <summary>Normalise advantages to zero mean and unit standard deviation within each minibatch (<c>norm_adv</c>).</summary>
    public bool NormalizeAdvantages { get; init; } = true;

    /// <summary>Surrogate clipping ε (<c>clip_coef</c>): the probability ratio is clipped to [1 − ε, 1 + ε]; also the value-clipping range.</summary>
    public double ClipCoef { get; init; } = 0.2;

    /// <summary>
    /// Clip the value loss as in the PPO paper's code (<c>clip_vloss</c>): the loss is the larger of the
    /// unclipped error and the error of the old value moved at most <see cref="ClipCoef"/> towards the new one.
    /// It limits value changes to ±<see cref="ClipCoef"/> per update in reward units, so scale rewards
    /// (<see cref="RewardScale"/>) to a unit range when it is on.
    /// </summary>
    public bool ClipValueLoss { get; init; } = true;

    /// <summary>Weight of the entropy bonus (<c>ent_coef</c>).</summary>
    public double EntCoef { get; init; } = 0.01;

    /// <summary>Weight of the value loss (<c>vf_coef</c>).</summary>
    public double VfCoef { get; init; } = 0.5;

    /// <summary>Global L2 norm the gradient of all parameters together is clipped to (<c>max_grad_norm</c>).</summary>
    public double MaxGradNorm { get; init; } = 0.5;

    /// <summary>Stop an update's epochs early once the approximate KL exceeds this (<c>target_kl</c>); null never stops.</summary>
    public double? TargetKl { get; init; }

    /// <summary>
    /// Multiplies the rewards the agent learns from (not the reported episodic returns). Not in CleanRL's
    /// ppo.py, which relies on environments with small rewards; gridworld rewards of ±50 want 0.02.
    /// </summary>
    public double RewardScale { get; init; } = 1.0;

    /// <summary>
    /// What to do when an episode is cut off by the step limit. False (CleanRL): treat truncation like
    /// termination, no bootstrap. True (as SB3 does): add γ·V(s′) to the truncated step's reward, where s′ is
    /// the real next state, the final observation the vectorised environment keeps for the episode it reset
    /// (<see cref="VectorEnv.FinalObservations"/>), valued by the current critic in one batch over the
    /// environments truncated in that step. (Earlier versions used V(s_t) as a stand-in.)
    /// </summary>
    public bool BootstrapOnTruncation { get; init; }

    /// <summary>
    /// The network family of the actor and of the critic. An MLP pair is two separate networks on the
    /// flattened one-hot observation (CleanRL's ppo.py). A CNN pair (<see cref="ConvChannels"/>, then the
    /// <see cref="Hidden"/> layers) shares everything but its two linear output heads (CleanRL's
    /// ppo_atari.py), so the torso runs once per minibatch for both losses.
    /// </summary>
    public NetworkKind Network { get; init; } = NetworkKind.Mlp;

    /// <summary>Output channels of each 3×3 convolution when <see cref="Network"/> is <see cref="NetworkKind.Cnn"/> (ignored for an MLP).</summary>
    public IReadOnlyList<int> ConvChannels { get; init; } = [16, 32];

    /// <summary>
    /// Value-iteration steps K when <see cref="Network"/> is <see cref="NetworkKind.Vin"/>: the planner sees K + 1 steps
    /// ahead, so K should reach the longest shortest path of the maps (the reference uses 10 on 8×8 and 20 on 16×16).
    /// </summary>
    public int VinIterations { get; init; } = AgentNetworks.DefaultVinIterations;

    /// <summary>Whether a VIN's reward map also sees two coordinate channels, row and column from −1 to 1 (CoordConv), so it can mark a place as well as a thing.</summary>
    public bool CoordChannels { get; init; }

    /// <summary>A VIN's transition kernel: fixed to the grid's moves (only f_R learned, so it reads as a reward map) or learned as in Tamar et al.</summary>
    public VinTransitions VinTransitions { get; init; }

    /// <summary>Hidden layer sizes of the actor's and of the critic's MLP (the head after the convolutions, for a CNN).</summary>
    public IReadOnlyList<int> Hidden { get; init; } = [64, 64];

    /// <summary>Hidden activation of both networks (tanh in CleanRL's classic-control ppo.py; ReLU suits a CNN).</summary>
    public Activation Activation { get; init; } = Activation.Tanh;

    /// <summary>Seed of the initial weights, of action sampling and of minibatch shuffling (the environments have their own seeds).</summary>
    public ulong Seed { get; init; }

    /// <summary>Transitions per rollout: <see cref="NumEnvs"/> × <see cref="NumSteps"/>.</summary>
    public int BatchSize => NumEnvs * NumSteps;

    /// <summary>Transitions per gradient step: <see cref="BatchSize"/> / <see cref="NumMinibatches"/>.</summary>
    public int MinibatchSize => BatchSize / NumMinibatches;

    /// <summary>Updates (rollout + optimisation) in a full run: <see cref="TotalTimesteps"/> / <see cref="BatchSize"/>.</summary>
    public int Iterations => (int)Math.Min(int.MaxValue, TotalTimesteps / BatchSize);

    /// <summary>Throws when a value is out of range.</summary>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(NumEnvs, 1, nameof(NumEnvs));
        ArgumentOutOfRangeException.ThrowIfLessThan(NumSteps, 1, nameof(NumSteps));
        ArgumentOutOfRangeException.ThrowIfLessThan(NumMinibatches, 1, nameof(NumMinibatches));
        ArgumentOutOfRangeException.ThrowIfLessThan(UpdateEpochs, 1, nameof(UpdateEpochs));
        ArgumentOutOfRangeException.ThrowIfNegative(TotalTimesteps, nameof(TotalTimesteps));
        if ((long)NumEnvs * NumSteps > int.MaxValue)
        {
            throw new ArgumentException(FormattableString.Invariant($"a rollout of NumEnvs × NumSteps = {(long)NumEnvs * NumSteps:N0} transitions is over the most one rollout may hold ({int.MaxValue:N0})."));
        }

        if (BatchSize % NumMinibatches != 0)
        {
            throw new ArgumentException($"NumMinibatches ({NumMinibatches}) must divide the batch size NumEnvs × NumSteps ({BatchSize}).");
        }

        AgentNetworks.Validate(Network, ConvChannels, Hidden);
        ArgumentOutOfRangeException.ThrowIfLessThan(VinIterations, 1, nameof(VinIterations));
        if (!(Gamma is >= 0 and <= 1) || !(GaeLambda is >= 0 and <= 1) || !(ClipCoef is > 0 and <= 10) || !(LearningRate is > 0 and <= 1) || !(MaxGradNorm is > 0 and < double.PositiveInfinity))
        {
            throw new ArgumentException("Gamma and GaeLambda must be in [0, 1], LearningRate in (0, 1], ClipCoef in (0, 10], MaxGradNorm positive and finite.");
        }

        if (!(RewardScale is > 0 and < double.PositiveInfinity) || !double.IsFinite(EntCoef) || !(VfCoef is >= 0 and < double.PositiveInfinity) || !(AdamEpsilon is > 0 and < 1) || TargetKl is <= 0 or double.NaN or double.PositiveInfinity)
        {
            throw new ArgumentException("RewardScale must be positive and finite, EntCoef finite, VfCoef non-negative and finite, AdamEpsilon in (0, 1), TargetKl positive and finite when set.");
        }
    }
}

/// <summary>
/// Proximal Policy Optimization (Schulman et al. 2017) with the implementation details of CleanRL's
/// <c>ppo.py</c>: vectorised rollouts, GAE, clipped surrogate, clipped value loss, per-minibatch
/// advantage normalisation, entropy bonus, linear learning-rate annealing, global gradient-norm
/// clipping, orthogonal initialisation (policy head gain 0.01, value head gain 1), Adam with ε = 1e-5.
/// The actor and the critic are separate MLPs on the flattened one-hot C×H×W observation.
/// </summary>
/// <remarks>
/// All randomness is seeded: the weights from <see cref="PpoOptions.Seed"/> (AlignLab.Nn's initialisers take a
/// <see cref="Random"/>), action sampling and minibatch shuffling from an <see cref="Rng"/>. Same seed, same
/// environment seed, same machine: bit-identical weights. After the first update, rollouts and updates
/// allocate nothing. Hidden layers use AlignLab.Nn's orthogonal gain for tanh (5/3) where CleanRL uses √2.
/// An agent is not thread-safe.
/// </remarks>
public sealed class PpoAgent : IAgent
{
    private const string CheckpointFormat = "alignlab.ppo/1";

    private readonly GridWorld _world;
    private readonly Sequential _actor;
    private readonly Sequential _critic;
    private readonly int _sharedLayers;
    private readonly Parameter[] _parameters;
    private readonly Graph _graph = new();
    private readonly int _obsLength;
    private readonly int _actionCount;
    private Adam _optimizer;
    private Rng _rng;
    private VectorEnv? _lastEnv;
    private VectorEnv? _ownEnv;

    // Rollout storage, step-major: index (t · NumEnvs + i).
    private readonly float[] _obs;
    private readonly int[] _actions;
    private readonly float[] _logProbs;
    private readonly float[] _rewards;
    private readonly float[] _dones;
    private readonly float[] _values;
    private readonly float[] _advantages;
    private readonly float[] _returns;

    // Per-step scratch.
    private readonly float[] _stepLogits;
    private readonly float[] _stepValues;
    private readonly float[] _stepFeatures;
    private readonly float[] _nextDone;
    private readonly float[] _lastGae;
    private readonly int[] _stepActions;
    private readonly EpisodeTracker _episodes;

    // Bootstrap-on-truncation scratch: the final observations of one step's truncated environments and their values.
    private readonly float[] _truncatedObs;
    private readonly float[] _truncatedValues;
    private readonly int[] _truncatedEnvs;

    // Minibatch tensors (fed to the tape by reference) and the shuffled sample order.
    private readonly int[] _indices;
    private readonly int[] _mbActions;
    private readonly Tensor _mbObs;
    private readonly Tensor _mbOldLogProbs;
    private readonly Tensor _mbAdvantages;
    private readonly Tensor _mbReturns;
    private readonly Tensor _mbOldValues;

    // Scratch of Policy().
    private readonly float[] _policyObs;
    private readonly float[] _policyLogits;

    /// <summary>Creates an untrained agent for <paramref name="world"/>'s observation and action spaces.</summary>
    /// <param name="world">The world the agent will be trained on (its encoding is used by <see cref="Policy"/>).</param>
    /// <param name="options">Hyper-parameters; validated here.</param>
    public PpoAgent(GridWorld world, PpoOptions options)
    {
        ArgumentNullException.ThrowIfNull(world);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _world = world;
        Options = options;
        _obsLength = world.Channels * world.CellCount;
        _actionCount = world.ActionLetters.Length;

        var init = NeuralAgentSupport.InitRandom(options.Seed);
        (_actor, _critic, _sharedLayers) = AgentNetworks.BuildActorCritic(world, options.Network, options.ConvChannels, options.Hidden, options.Activation, _actionCount, init, options.VinIterations, options.CoordChannels, options.VinTransitions);

        // A shared torso's parameters appear in both networks; each is optimised once.
        _parameters = [.. _actor.Parameters.Concat(_critic.Parameters).Distinct()];
        _optimizer = NewOptimizer();
        _rng = new Rng(options.Seed ^ 0x9B0_5EEDUL);

        int n = options.NumEnvs, batch = options.BatchSize, mb = options.MinibatchSize;
        _obs = new float[batch * _obsLength];
        _actions = new int[batch];
        _logProbs = new float[batch];
        _rewards = new float[batch];
        _dones = new float[batch];
        _values = new float[batch];
        _advantages = new float[batch];
        _returns = new float[batch];
        _stepLogits = new float[n * _actionCount];
        _stepValues = new float[n];
        _stepFeatures = new float[_sharedLayers > 0 ? n * _actor.SizeAfter(_sharedLayers) : 0];
        _nextDone = new float[n];
        _lastGae = new float[n];
        _stepActions = new int[n];
        _episodes = new EpisodeTracker(n);
        _truncatedObs = new float[options.BootstrapOnTruncation ? n * _obsLength : 0];
        _truncatedValues = new float[options.BootstrapOnTruncation ? n : 0];
        _truncatedEnvs = new int[options.BootstrapOnTruncation ? n : 0];
        _indices = new int[batch];
        _mbActions = new int[mb];
        _mbObs = new Tensor(AgentNetworks.BatchShape(world, options.Network, mb));
        _mbOldLogProbs = new Tensor(mb);
        _mbAdvantages = new Tensor(mb);
        _mbReturns = new Tensor(mb, 1);
        _mbOldValues = new Tensor(mb, 1);
        _policyObs = new float[_obsLength];
        _policyLogits = new float[_actionCount];
    }

    /// <summary>The hyper-parameters.</summary>
    public PpoOptions Options { get; }

    /// <summary>The default preset: CleanRL's settings with a larger learning rate and entropy bonus for the short gridworld tasks.</summary>
    private static readonly PpoOptions DefaultOptions = new()
    {
        NumEnvs = 8,
        NumSteps = 64,
        LearningRate = 1e-3,
        EntCoef = 0.02,
        Hidden = [64, 64],
    };

    /// <summary>
    /// The registry entry, with the presets: <c>default</c> (the MLP pair for the small gridworlds), <c>cnn</c>
    /// (the CNN of the 13×13 results) and <c>small</c> (the demo's and the tests' small mazes and corridors).
    /// </summary>
    public static AgentDefinition<PpoOptions> Definition { get; } = new(
        "ppo",
        "Proximal Policy Optimization with CleanRL's implementation details (MLP or CNN actor-critic).",
        200_000,
        [
            new("default", "CleanRL's ppo.py with 8 environments × 64 steps, lr 1e-3, entropy 0.02, 64-64 tanh MLPs.", DefaultOptions),
            new("cnn", "3×3 convolutions 16, 16 and a 64-unit layer (ReLU), shared by actor and critic; 16 environments × 64 steps, entropy 0.01.", DefaultOptions with
            {
                NumEnvs = 16,
                EntCoef = 0.01,
                Network = NetworkKind.Cnn,
                ConvChannels = [16, 16],
                Hidden = [64],
                Activation = Activation.Relu,
            }),
            new("vin", "A value-iteration network (f_R from 3×3 convolutions 16, 16; K = 20; the grid's moves as its transition kernel), shared by actor and critic; 16 environments × 64 steps, entropy 0.01.", DefaultOptions with
            {
                NumEnvs = 16,
                EntCoef = 0.01,
                Network = NetworkKind.Vin,
                ConvChannels = [16, 16],
                Activation = Activation.Relu,
            }),
            new("small", "The small mazes and corridors of the demo (docs/inner-alignment-results.md): 16 × 64 steps, lr 5e-3, entropy 0.01, one 32-unit layer.", new PpoOptions { NumEnvs = 16, NumSteps = 64, LearningRate = 5e-3, EntCoef = 0.01, Hidden = [32] }),
        ],
        (options, steps, seed) =>
        {
            // The budget is checked here, where it is known, not with the other options: a preset's
            // default budget must not refuse a rollout size the run's own budget allows.
            var configured = options with { TotalTimesteps = steps, Seed = seed };
            if (configured.Iterations < 1)
            {
                throw new ArgumentException(FormattableString.Invariant($"PPO trains in whole rollouts of NumEnvs × NumSteps = {configured.BatchSize:N0} steps; a budget of {steps:N0} steps is less than one."));
            }

            return configured;
        },
        options => options.Validate(),
        (world, options) => new PpoAgent(world, options),
        [nameof(PpoOptions.TotalTimesteps), nameof(PpoOptions.Seed)],
        (world, options) =>
        {
            // A CNN pair shares its torso: the critic adds only its output layer.
            var actor = CheckpointLimits.Parameters(world, options.Network, options.ConvChannels, options.Hidden, world.ActionLetters.Length);
            var critic = options.Network == NetworkKind.Cnn ? options.Hidden[^1] + 1.0 : CheckpointLimits.Parameters(world, options.Network, options.ConvChannels, options.Hidden, 1);
            CheckpointLimits.Check("ppo", world, actor + critic, (actor + critic) * 4, options.Hidden, string.Empty);

            // The rollout keeps every observation and six scalars per transition; the rollout step runs the actor and
            // critic over all environments at once and an update over one minibatch, keeping each layer's output and
            // its gradient (twice, with the critic's own MLP).
            var observation = (double)world.Channels * world.CellCount;
            var rollout = (double)options.BatchSize * (observation + 6) * 4;
            var rows = Math.Max(options.NumEnvs, options.MinibatchSize);
            var activations = rows * CheckpointLimits.ActivationsPerRow(world, options.Network, options.ConvChannels, options.Hidden, world.ActionLetters.Length) * 4 * 2 * 2;
            CheckpointLimits.CheckWorkingMemory("ppo", world, rollout + activations, string.Create(System.Globalization.CultureInfo.InvariantCulture, $"rollouts of {options.NumEnvs:N0} environments × {options.NumSteps:N0} steps (minibatches of {options.MinibatchSize:N0})"));
        });

    /// <inheritdoc/>
    public string Name => Definition.Name;

    /// <inheritdoc/>
    object IAgent.Options => Options;

    /// <inheritdoc/>
    public long Step => GlobalStep;

    /// <inheritdoc/>
    public long TotalSteps => (long)Options.Iterations * Options.BatchSize;

    /// <inheritdoc/>
    public long StepsPerUnit => Options.BatchSize;

    /// <summary>
    /// The policy network: observation → action logits (layers <c>fc1</c>, <c>act1</c>, … for an MLP; <c>conv1</c>,
    /// <c>cact1</c>, …, <c>flatten</c>, <c>fc1</c>, … for a CNN, whose layers but the last are the <see cref="Critic"/>'s too).
    /// </summary>
    public Sequential Actor => _actor;

    /// <summary>The value network: observation → V(s).</summary>
    public Sequential Critic => _critic;

    /// <summary>Environment steps trained on so far, all environments together.</summary>
    public long GlobalStep { get; private set; }

    /// <summary>Updates (rollout + optimisation) completed so far.</summary>
    public int Iteration { get; private set; }

    /// <summary>Episodes finished during training so far (in this process).</summary>
    public long Episodes => _episodes.Episodes;

    /// <summary>State of the agent's generator (for tests of checkpoints).</summary>
    internal (ulong S0, ulong S1, ulong S2, ulong S3) RngState => _rng.State;

    /// <summary>The agent's own batch, made on first use (environment i seeded with <see cref="PpoOptions.Seed"/> + i).</summary>
    private VectorEnv OwnEnv => _ownEnv ??= EnvironmentFactory.MakeVector(_world, Options.NumEnvs, Options.Seed).Env;

    /// <inheritdoc/>
    public byte[] GeneratorState() => NeuralAgentSupport.RngBytes(_rng);

    /// <summary>
    /// Trains on <paramref name="env"/> until <see cref="PpoOptions.Iterations"/> updates are done (a loaded
    /// checkpoint continues where it stopped). A batch the agent has not trained on before is reset first;
    /// calling again with the same batch continues its episodes.
    /// </summary>
    /// <param name="env">A batch of <see cref="PpoOptions.NumEnvs"/> environments of the agent's world.</param>
    /// <param name="progress">Receives the <see cref="MetricNames"/> metrics: each finished episode, and once per update.</param>
    /// <param name="maxUpdates">At most this many updates in this call (all remaining when null).</param>
    public void Train(VectorEnv env, Action<AgentMetric>? progress = null, int? maxUpdates = null)
    {
        NeuralAgentSupport.CheckEnv(env, _world, Options.NumEnvs);
        if (_lastEnv != env)
        {
            // A new batch starts fresh; the batch of the previous call (or one restored from a
            // checkpoint) carries on with the same episodes, so training in chunks equals one call.
            env.Reset();
            Array.Clear(_nextDone);
            _lastEnv = env;
        }

        _episodes.Clear();
        var iterations = Options.Iterations;
        var stop = maxUpdates is { } limit ? (int)Math.Min(iterations, (long)Iteration + limit) : iterations;
        var started = Stopwatch.GetTimestamp();
        var startStep = GlobalStep;
        while (Iteration < stop)
        {
            // Linear annealing: update k (1-based) of K runs at (1 − (k − 1)/K)·lr.
            var fraction = Options.AnnealLearningRate ? 1.0 - ((double)Iteration / iterations) : 1.0;
            _optimizer.LearningRate = (float)(fraction * Options.LearningRate);
            Rollout(env, progress);
            ComputeAdvantages(env);
            Update(progress);
            Iteration++;
            var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
            progress?.Invoke(new AgentMetric(MetricNames.StepsPerSecond, seconds > 0 ? (GlobalStep - startStep) / seconds : 0, GlobalStep));
        }
    }

    /// <summary>
    /// Trains on the agent's own batch of <see cref="PpoOptions.NumEnvs"/> environments (environment i seeded
    /// with <see cref="PpoOptions.Seed"/> + i) in whole updates until <paramref name="untilStep"/> is reached.
    /// </summary>
    public void Train(long untilStep, Action<AgentMetric>? metrics = null)
    {
        var remaining = untilStep - GlobalStep;
        if (remaining <= 0)
        {
            return;
        }

        Train(OwnEnv, metrics, (int)Math.Min(int.MaxValue, (remaining + Options.BatchSize - 1) / Options.BatchSize));
    }

    /// <summary>
    /// The learned policy in the form <see cref="BoardPolicy"/> expects: encodes the board one-hot exactly as the
    /// environment does, runs the actor and writes the softmax of its logits. Extras are not observed by the
    /// network and are ignored.
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
        _actor.Predict(_policyObs, _policyLogits);
        PolicySoftmax.FromLogits(_policyLogits, probabilities);
    }

    /// <summary>The learned policy as a <see cref="BoardPolicy"/> delegate, for <see cref="ExactSolution.Evaluate"/>.</summary>
    public BoardPolicy AsBoardPolicy() => Policy;

    /// <summary>
    /// Writes a safetensors checkpoint: the actor (<c>actor.fc1.weight</c>, …) and critic (<c>critic.…</c>) weights
    /// (a CNN pair's shared torso appears under both prefixes, so each network reads as a whole in PyTorch),
    /// and as metadata the format, world, options (JSON), global step, completed updates, the optimiser's state
    /// (step count and Adam moments, base64) and the agent's generator state. With <paramref name="env"/>, the
    /// batch's state (episodes in progress, their generators) is saved too, so that a run resumed from this
    /// checkpoint ends with exactly the weights of an uninterrupted one.
    /// </summary>
    /// <param name="path">The file to create or overwrite.</param>
    /// <param name="env">The batch being trained on, to save with the agent (between updates).</param>
    public void SaveCheckpoint(string path, VectorEnv? env = null)
    {
        using var file = File.Create(path);
        SaveCheckpoint(file, env);
    }

    /// <summary>Writes the checkpoint of the agent and of its own batch (see <see cref="Train(long, Action{AgentMetric}?)"/>) to <paramref name="destination"/>.</summary>
    public void SaveCheckpoint(Stream destination) => SaveCheckpoint(destination, _ownEnv);

    private void SaveCheckpoint(Stream destination, VectorEnv? env)
    {
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        NeuralAgentSupport.AddTensors(tensors, "actor", _actor);
        NeuralAgentSupport.AddTensors(tensors, "critic", _critic);
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["format"] = CheckpointFormat,
            ["agent"] = Name,
            ["world"] = _world.Id,
            ["options"] = JsonSerializer.Serialize(Options),
            ["global_step"] = NeuralAgentSupport.Invariant(GlobalStep),
            ["iteration"] = NeuralAgentSupport.Invariant(Iteration),
            ["optimizer_step"] = NeuralAgentSupport.Invariant(_optimizer.StepCount),
            ["rng"] = NeuralAgentSupport.FormatRng(_rng),
            ["optimizer_state"] = Convert.ToBase64String(_optimizer.SaveState()),
        };
        if (env is not null)
        {
            metadata["env_state"] = Convert.ToBase64String(env.SaveState());
            metadata["next_done"] = string.Concat(_nextDone.Select(d => d != 0 ? '1' : '0'));
        }

        Safetensors.Save(destination, tensors, metadata);
    }

    /// <summary>
    /// Restores a checkpoint written by <see cref="SaveCheckpoint(string, VectorEnv?)"/> into this agent (built for the same world
    /// and hidden sizes): weights, global step, completed updates, optimiser state and generator state; with
    /// <paramref name="env"/>, also the batch's state, and the next <see cref="Train(VectorEnv, Action{AgentMetric}?, int?)"/> on that batch continues
    /// its episodes instead of resetting them.
    /// </summary>
    /// <param name="path">The checkpoint file.</param>
    /// <param name="env">A batch of the same world and size, to restore the saved batch state into.</param>
    /// <exception cref="InvalidDataException">Another format, world or architecture.</exception>
    public void LoadCheckpoint(string path, VectorEnv? env = null)
    {
        using var file = File.OpenRead(path);
        LoadCheckpoint(file, env, path);
    }

    /// <summary>Restores a checkpoint written by <see cref="SaveCheckpoint(Stream)"/>, with the batch state into the agent's own batch.</summary>
    public void LoadCheckpoint(Stream source) => LoadCheckpoint(source, OwnEnv, "checkpoint", batchOptional: true);

    private void LoadCheckpoint(Stream source, VectorEnv? env, string path, bool batchOptional = false)
    {
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        var tensors = Safetensors.Load(source, metadata);
        NeuralAgentSupport.CheckFormat(metadata, CheckpointFormat, _world.Id, path);
        NeuralAgentSupport.LoadTensors(tensors, "actor", _actor, path);
        NeuralAgentSupport.LoadTensors(tensors, "critic", _critic, path);
        GlobalStep = NeuralAgentSupport.ParseLong(NeuralAgentSupport.Require(metadata, "global_step", path));
        Iteration = (int)NeuralAgentSupport.ParseLong(NeuralAgentSupport.Require(metadata, "iteration", path));
        _rng = NeuralAgentSupport.ParseRng(NeuralAgentSupport.Require(metadata, "rng", path));
        _optimizer = NewOptimizer();
        if (metadata.TryGetValue("optimizer_state", out var optimizerState))
        {
            _optimizer.RestoreState(Convert.FromBase64String(optimizerState));
        }

        // A checkpoint taken before the first update has no batch: the next Train starts it fresh.
        if (env is not null && (!batchOptional || metadata.ContainsKey("env_state")))
        {
            var envState = NeuralAgentSupport.Require(metadata, "env_state", path);
            env.RestoreState(Convert.FromBase64String(envState));
            var done = NeuralAgentSupport.Require(metadata, "next_done", path);
            for (var i = 0; i < _nextDone.Length; i++)
            {
                _nextDone[i] = done[i] == '1' ? 1f : 0f;
            }

            _lastEnv = env;
        }
    }

    /// <summary>
    /// Network FLOPs (multiply and add counted separately) per environment step of training, counting only the
    /// work that training does: the rollout's forward pass (a shared CNN torso once, then each head), the critic
    /// on the observation after the rollout (once per <see cref="PpoOptions.NumSteps"/> steps), and per epoch
    /// forward and backward of the networks, where the backward pass costs 2× forward (input gradient and weight
    /// gradient) except at a first layer, whose input gradient (the observation's) is never computed. Linear
    /// layers cost 2·in·out and k×k convolutions 2·O·C·k²·H·W per forward pass.
    /// </summary>
    public double FlopsPerEnvStep()
    {
        var shared = AgentNetworks.ForwardFlops(_actor, _world, _sharedLayers);
        var actor = AgentNetworks.ForwardFlops(_actor, _world);
        var critic = AgentNetworks.ForwardFlops(_critic, _world);
        var forward = actor + critic - shared;

        // The input gradients not computed: of the shared first layer, or of each network's own when nothing is shared.
        var firstLayers = _sharedLayers > 0
            ? AgentNetworks.FirstInputGradientFlops(_actor, _world)
            : AgentNetworks.FirstInputGradientFlops(_actor, _world) + AgentNetworks.FirstInputGradientFlops(_critic, _world);
        var bootstrap = critic / Options.NumSteps;
        return forward + bootstrap + (Options.UpdateEpochs * ((3 * forward) - firstLayers));
    }

    /// <summary>Runs the layers the actor and critic share (none for an MLP pair) once, on the tape.</summary>
    private Var Torso(Graph g, Var x) => _actor.Forward(g, x, 0, _sharedLayers);

    /// <summary>Runs <paramref name="net"/>'s own layers, after the shared torso, on the tape.</summary>
    private Var Tail(Sequential net, Graph g, Var features) => net.Forward(g, features, _sharedLayers, net.Layers.Count - _sharedLayers);

    private Adam NewOptimizer() => new(_parameters, (float)Options.LearningRate, eps: (float)Options.AdamEpsilon);

    /// <summary>The last rollout's actions, step-major (index t · NumEnvs + i), for tests.</summary>
    internal ReadOnlySpan<int> RolloutActions => _actions;

    /// <summary>The last rollout's rewards as learned from (scaled, bootstrapped on truncation), step-major, for tests.</summary>
    internal ReadOnlySpan<float> RolloutRewards => _rewards;

    /// <summary>The last rollout's GAE advantages (learning-scale rewards), step-major, for curricula's level scores.</summary>
    internal ReadOnlySpan<float> RolloutAdvantages => _advantages;

    /// <summary>The last rollout's critic values V(s_t), step-major, for curricula's level scores.</summary>
    internal ReadOnlySpan<float> RolloutValues => _values;

    /// <summary>Whether environment <paramref name="i"/>'s episode ended at step <paramref name="t"/> of the last rollout.</summary>
    internal bool RolloutEpisodeEnded(int t, int i) =>
        (t < Options.NumSteps - 1 ? _dones[((t + 1) * Options.NumEnvs) + i] : _nextDone[i]) != 0f;

    /// <summary>
    /// A curriculum cycle's rollout (jaxgmg): resets <paramref name="env"/> (so each environment starts its assigned
    /// level), plays <see cref="PpoOptions.NumSteps"/> steps and computes the advantages, without updating. The
    /// learning rate for a following <see cref="CurriculumUpdate"/> anneals with the steps taken, 1 − step/total, as
    /// scoring-only cycles use the budget too.
    /// </summary>
    internal void CurriculumRollout(VectorEnv env, Action<AgentMetric>? progress)
    {
        NeuralAgentSupport.CheckEnv(env, _world, Options.NumEnvs);
        env.Reset();
        Array.Clear(_nextDone);
        _lastEnv = env;
        var fraction = Options.AnnealLearningRate ? Math.Max(0.0, 1.0 - ((double)GlobalStep / Math.Max(1, TotalSteps))) : 1.0;
        _optimizer.LearningRate = (float)(fraction * Options.LearningRate);
        Rollout(env, progress);
        ComputeAdvantages(env);
    }

    /// <summary>The update of a curriculum cycle on the rollout <see cref="CurriculumRollout"/> just collected.</summary>
    internal void CurriculumUpdate(Action<AgentMetric>? progress)
    {
        Update(progress);
        Iteration++;
    }

    /// <summary>Plays <see cref="PpoOptions.NumSteps"/> steps in every environment, storing the transitions.</summary>
    private void Rollout(VectorEnv env, Action<AgentMetric>? progress)
    {
        int n = Options.NumEnvs, actions = _actionCount;
        var gamma = (float)Options.Gamma;
        var scale = (float)Options.RewardScale;
        for (var t = 0; t < Options.NumSteps; t++)
        {
            var obs = _obs.AsSpan(t * n * _obsLength, n * _obsLength);
            env.Observations.CopyTo(obs);
            _nextDone.CopyTo(_dones.AsSpan(t * n, n));
            PredictStep(obs, n);
            for (var i = 0; i < n; i++)
            {
                var logits = _stepLogits.AsSpan(i * actions, actions);
                var action = SampleCategorical(logits, ref _rng, out var logProb);
                _stepActions[i] = action;
                _actions[(t * n) + i] = action;
                _logProbs[(t * n) + i] = logProb;
                _values[(t * n) + i] = _stepValues[i];
            }

            env.Step(_stepActions);
            GlobalStep += n;
            var rewards = env.Rewards;
            var terminated = env.Terminated;
            var truncated = env.Truncated;
            for (var i = 0; i < n; i++)
            {
                var done = terminated[i] || truncated[i];
                _rewards[(t * n) + i] = (float)rewards[i] * scale;
                _nextDone[i] = done ? 1f : 0f;
                _episodes.Add(i, rewards[i], done, GlobalStep, progress);
            }

            if (Options.BootstrapOnTruncation)
            {
                BootstrapTruncated(env, _rewards.AsSpan(t * n, n), gamma);
            }
        }
    }

    /// <summary>
    /// Adds γ·V(s′) to the rewards of the environments the last step truncated, s′ being each one's final
    /// observation; the critic runs once on all of them, without allocating.
    /// </summary>
    private void BootstrapTruncated(VectorEnv env, Span<float> rewards, float gamma)
    {
        var truncated = env.Truncated;
        var count = 0;
        for (var i = 0; i < truncated.Length; i++)
        {
            if (truncated[i])
            {
                env.FinalObservations.Slice(i * _obsLength, _obsLength).CopyTo(_truncatedObs.AsSpan(count * _obsLength, _obsLength));
                _truncatedEnvs[count++] = i;
            }
        }

        if (count == 0)
        {
            return;
        }

        _critic.Predict(_truncatedObs.AsSpan(0, count * _obsLength), count, _truncatedValues);
        for (var j = 0; j < count; j++)
        {
            rewards[_truncatedEnvs[j]] += gamma * _truncatedValues[j];
        }
    }

    /// <summary>The rollout's forward pass: logits and values for one step of every environment, a shared torso run once.</summary>
    private void PredictStep(ReadOnlySpan<float> obs, int n)
    {
        if (_sharedLayers == 0)
        {
            _actor.Predict(obs, n, _stepLogits);
            _critic.Predict(obs, n, _stepValues);
            return;
        }

        _actor.Predict(obs, n, _stepFeatures, 0, _sharedLayers);
        _actor.Predict(_stepFeatures, n, _stepLogits, _sharedLayers, _actor.Layers.Count - _sharedLayers);
        _critic.Predict(_stepFeatures, n, _stepValues, _sharedLayers, _critic.Layers.Count - _sharedLayers);
    }

    /// <summary>GAE(γ, λ) advantages and λ-returns, bootstrapped with V of the observation after the rollout.</summary>
    private void ComputeAdvantages(VectorEnv env)
    {
        int n = Options.NumEnvs, steps = Options.NumSteps;
        float gamma = (float)Options.Gamma, lambda = (float)Options.GaeLambda;
        _critic.Predict(env.Observations, n, _stepValues);
        Array.Clear(_lastGae);
        for (var t = steps - 1; t >= 0; t--)
        {
            for (var i = 0; i < n; i++)
            {
                var k = (t * n) + i;
                float nextNonTerminal, nextValue;
                if (t == steps - 1)
                {
                    nextNonTerminal = 1f - _nextDone[i];
                    nextValue = _stepValues[i];
                }
                else
                {
                    nextNonTerminal = 1f - _dones[k + n];
                    nextValue = _values[k + n];
                }

                var delta = _rewards[k] + (gamma * nextValue * nextNonTerminal) - _values[k];
                _lastGae[i] = delta + (gamma * lambda * nextNonTerminal * _lastGae[i]);
                _advantages[k] = _lastGae[i];
                _returns[k] = _advantages[k] + _values[k];
            }
        }
    }

    /// <summary><see cref="PpoOptions.UpdateEpochs"/> passes of minibatch gradient steps on the clipped objective.</summary>
    private void Update(Action<AgentMetric>? progress)
    {
        int batch = Options.BatchSize, mb = Options.MinibatchSize;
        var clip = (float)Options.ClipCoef;
        for (var i = 0; i < batch; i++)
        {
            _indices[i] = i;
        }

        double clipFractions = 0, policyLoss = 0, valueLoss = 0, entropy = 0, oldApproxKl = 0, approxKl = 0;
        var minibatches = 0;
        for (var epoch = 0; epoch < Options.UpdateEpochs; epoch++)
        {
            Shuffle(_indices, ref _rng);
            for (var start = 0; start < batch; start += mb)
            {
                LoadMinibatch(_indices.AsSpan(start, mb));
                var g = _graph;
                g.Reset();
                var x = g.Input(_mbObs);
                var features = Torso(g, x);
                var logits = Tail(_actor, g, features);
                var newValue = Tail(_critic, g, features);

                // Policy loss: −min(r·A, clip(r, 1 − ε, 1 + ε)·A), r = π(a|s)/π_old(a|s).
                var newLogProb = g.Gather(g.LogSoftmax(logits), _mbActions);
                var logRatio = g.Sub(newLogProb, g.Input(_mbOldLogProbs));
                var ratio = g.Exp(logRatio);
                var advantages = g.Input(_mbAdvantages);
                var surrogate = g.Min(g.Mul(ratio, advantages), g.Mul(g.Clamp(ratio, 1f - clip, 1f + clip), advantages));
                var pgLoss = g.Scale(g.Mean(surrogate), -1f);

                // Value loss: ½·max((V − R)², (V_old + clip(V − V_old, −ε, ε) − R)²), or ½·(V − R)².
                var returns = g.Input(_mbReturns);
                var error = g.Sub(newValue, returns);
                var squared = g.Mul(error, error);
                Var vLoss;
                if (Options.ClipValueLoss)
                {
                    var oldValues = g.Input(_mbOldValues);
                    var clipped = g.Add(oldValues, g.Clamp(g.Sub(newValue, oldValues), -clip, clip));
                    var clippedError = g.Sub(clipped, returns);
                    var clippedSquared = g.Mul(clippedError, clippedError);
                    var max = g.Max(squared, clippedSquared);
                    vLoss = g.Scale(g.Mean(max), 0.5f);
                }
                else
                {
                    vLoss = g.Scale(g.Mean(squared), 0.5f);
                }

                var entropyLoss = g.Entropy(logits);
                var loss = g.Add(g.Sub(pgLoss, g.Scale(entropyLoss, (float)Options.EntCoef)), g.Scale(vLoss, (float)Options.VfCoef));

                MinibatchStatistics(logRatio.Value.Values, ratio.Value.Values, clip, out oldApproxKl, out approxKl, out var clipFraction);
                clipFractions += clipFraction;
                minibatches++;
                policyLoss = pgLoss.Value[0];
                valueLoss = vLoss.Value[0];
                entropy = entropyLoss.Value[0];

                _optimizer.ZeroGrad();
                g.Backward(loss);
                Optimizer.ClipGradNorm(_parameters, (float)Options.MaxGradNorm);
                _optimizer.Step();
            }

            if (Options.TargetKl is { } targetKl && approxKl > targetKl)
            {
                break;
            }
        }

        if (progress is null)
        {
            return;
        }

        var step = GlobalStep;
        progress(new AgentMetric(MetricNames.LearningRate, _optimizer.LastLearningRate, step));
        progress(new AgentMetric(MetricNames.ValueLoss, valueLoss, step));
        progress(new AgentMetric(MetricNames.PolicyLoss, policyLoss, step));
        progress(new AgentMetric(MetricNames.Entropy, entropy, step));
        progress(new AgentMetric(MetricNames.OldApproxKl, oldApproxKl, step));
        progress(new AgentMetric(MetricNames.ApproxKl, approxKl, step));
        progress(new AgentMetric(MetricNames.ClipFraction, clipFractions / Math.Max(1, minibatches), step));
        progress(new AgentMetric(MetricNames.ExplainedVariance, ExplainedVariance(_values, _returns), step));
    }

    /// <summary>Copies the samples at <paramref name="indices"/> into the minibatch tensors and normalises advantages.</summary>
    private void LoadMinibatch(ReadOnlySpan<int> indices)
    {
        var obs = _mbObs.Span;
        var oldLogProbs = _mbOldLogProbs.Span;
        var advantages = _mbAdvantages.Span;
        var returns = _mbReturns.Span;
        var oldValues = _mbOldValues.Span;
        for (var j = 0; j < indices.Length; j++)
        {
            var k = indices[j];
            _obs.AsSpan(k * _obsLength, _obsLength).CopyTo(obs.Slice(j * _obsLength, _obsLength));
            _mbActions[j] = _actions[k];
            oldLogProbs[j] = _logProbs[k];
            advantages[j] = _advantages[k];
            returns[j] = _returns[k];
            oldValues[j] = _values[k];
        }

        if (!Options.NormalizeAdvantages)
        {
            return;
        }

        // (A − mean) / (std + 1e-8), with the unbiased std as torch.Tensor.std.
        double mean = 0;
        foreach (var a in advantages)
        {
            mean += a;
        }

        mean /= advantages.Length;
        double squares = 0;
        foreach (var a in advantages)
        {
            squares += (a - mean) * (a - mean);
        }

        var std = advantages.Length > 1 ? Math.Sqrt(squares / (advantages.Length - 1)) : 0;
        for (var j = 0; j < advantages.Length; j++)
        {
            advantages[j] = (float)((advantages[j] - mean) / (std + 1e-8));
        }
    }

    /// <summary>Samples an action from softmax(<paramref name="logits"/>) and returns its log-probability.</summary>
    private static int SampleCategorical(ReadOnlySpan<float> logits, ref Rng rng, out float logProb)
    {
        var max = float.NegativeInfinity;
        foreach (var l in logits)
        {
            max = MathF.Max(max, l);
        }

        double sum = 0;
        foreach (var l in logits)
        {
            sum += Math.Exp(l - max);
        }

        var u = rng.NextDouble() * sum;
        var action = logits.Length - 1;
        double cumulative = 0;
        for (var a = 0; a < logits.Length; a++)
        {
            cumulative += Math.Exp(logits[a] - max);
            if (u < cumulative)
            {
                action = a;
                break;
            }
        }

        logProb = (float)(logits[action] - max - Math.Log(sum));
        return action;
    }

    /// <summary>Fisher–Yates shuffle from the agent's generator.</summary>
    private static void Shuffle(Span<int> items, ref Rng rng)
    {
        for (var i = items.Length - 1; i > 0; i--)
        {
            var j = rng.NextInt(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }

    private static void MinibatchStatistics(ReadOnlySpan<float> logRatio, ReadOnlySpan<float> ratio, float clip, out double oldApproxKl, out double approxKl, out double clipFraction)
    {
        double old = 0, k3 = 0, clipped = 0;
        for (var j = 0; j < ratio.Length; j++)
        {
            old -= logRatio[j];
            k3 += ratio[j] - 1 - logRatio[j];
            clipped += Math.Abs(ratio[j] - 1) > clip ? 1 : 0;
        }

        oldApproxKl = old / ratio.Length;
        approxKl = k3 / ratio.Length;
        clipFraction = clipped / ratio.Length;
    }

    private static double ExplainedVariance(ReadOnlySpan<float> predicted, ReadOnlySpan<float> actual)
    {
        double meanY = 0, meanD = 0;
        for (var i = 0; i < actual.Length; i++)
        {
            meanY += actual[i];
            meanD += actual[i] - predicted[i];
        }

        meanY /= actual.Length;
        meanD /= actual.Length;
        double varY = 0, varD = 0;
        for (var i = 0; i < actual.Length; i++)
        {
            varY += (actual[i] - meanY) * (actual[i] - meanY);
            var d = actual[i] - predicted[i] - meanD;
            varD += d * d;
        }

        return varY == 0 ? double.NaN : 1 - (varD / varY);
    }

    /// <inheritdoc/>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"PPO on {_world.Id}: {Iteration}/{Options.Iterations} updates, {GlobalStep} steps");
}
