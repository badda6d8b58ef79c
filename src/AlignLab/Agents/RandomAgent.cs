using System.Text.Json;
using AlignLab.Envs;
using AlignLab.Grid;
using AlignLab.Nn;
using AlignLab.Randomness;

namespace AlignLab.Agents;

/// <summary>Options of <see cref="RandomAgent"/>.</summary>
public sealed record RandomAgentOptions
{
    /// <summary>Environment steps to play (uniformly random actions; nothing is learned).</summary>
    public long Steps { get; init; } = 10_000;

    /// <summary>Seed of the agent's generator and of its environment.</summary>
    public ulong Seed { get; init; }
}

/// <summary>
/// The uniform-random baseline (<c>random</c>): it plays uniformly random actions and learns nothing. Its
/// policy is the reference point of every normalised score (score 0 = random), so a run of it shows what
/// training must beat, and its episodic returns are those of a random walk.
/// </summary>
public sealed class RandomAgent : IAgent
{
    private const string CheckpointFormat = "alignlab.random/1";

    private readonly GridWorld _world;
    private readonly GridEnv _env;
    private readonly int _actions;
    private Rng _rng;
    private bool _started;
    private double _episodeReturn;
    private int _episodeLength;

    /// <summary>Creates the agent with its own environment of <paramref name="world"/>, seeded with <see cref="RandomAgentOptions.Seed"/>.</summary>
    public RandomAgent(GridWorld world, RandomAgentOptions options)
    {
        ArgumentNullException.ThrowIfNull(world);
        ArgumentNullException.ThrowIfNull(options);
        _world = world;
        Options = options;
        _env = (GridEnv)EnvironmentFactory.Make(world, options.Seed).Env;
        _actions = world.ActionLetters.Length;
        _rng = new Rng(options.Seed ^ 0x4A2D_0A6EUL);
    }

    /// <summary>The registry entry.</summary>
    public static AgentDefinition<RandomAgentOptions> Definition { get; } = new(
        "random",
        "Uniform-random baseline: plays random actions, learns nothing (score 0 by definition).",
        10_000,
        [new("default", "Uniformly random actions.", new RandomAgentOptions())],
        (options, steps, seed) => options with { Steps = steps, Seed = seed },
        options => ArgumentOutOfRangeException.ThrowIfNegative(options.Steps, nameof(RandomAgentOptions.Steps)),
        (world, options) => new RandomAgent(world, options),
        [nameof(RandomAgentOptions.Steps), nameof(RandomAgentOptions.Seed)]);

    /// <summary>The options.</summary>
    public RandomAgentOptions Options { get; }

    /// <inheritdoc/>
    public string Name => Definition.Name;

    /// <inheritdoc/>
    object IAgent.Options => Options;

    /// <inheritdoc/>
    public long Step { get; private set; }

    /// <inheritdoc/>
    public long TotalSteps => Options.Steps;

    /// <inheritdoc/>
    public long StepsPerUnit => 1;

    /// <inheritdoc/>
    public void Train(long untilStep, Action<AgentMetric>? metrics = null)
    {
        if (!_started)
        {
            _env.Reset(Options.Seed);
            _started = true;
        }

        var stop = Math.Min(untilStep, Options.Steps);
        while (Step < stop)
        {
            var result = _env.Step(_rng.NextInt(_actions));
            Step++;
            _episodeReturn += result.Reward;
            _episodeLength++;
            if (result.Done)
            {
                metrics?.Invoke(new AgentMetric(MetricNames.EpisodicReturn, _episodeReturn, Step));
                metrics?.Invoke(new AgentMetric(MetricNames.EpisodicLength, _episodeLength, Step));
                _episodeReturn = 0;
                _episodeLength = 0;
                _env.Reset();
            }
        }
    }

    /// <inheritdoc/>
    public void Policy(ReadOnlySpan<byte> board, ReadOnlySpan<double> extras, Span<double> probabilities) => probabilities.Fill(1.0 / probabilities.Length);

    /// <inheritdoc/>
    public byte[] GeneratorState() => NeuralAgentSupport.RngBytes(_rng);

    /// <inheritdoc/>
    public void SaveCheckpoint(Stream destination) => Safetensors.Save(destination, [], new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["format"] = CheckpointFormat,
        ["agent"] = Name,
        ["world"] = _world.Id,
        ["options"] = JsonSerializer.Serialize(Options),
        ["global_step"] = NeuralAgentSupport.Invariant(Step),
        ["rng"] = NeuralAgentSupport.FormatRng(_rng),
        ["started"] = _started ? "1" : "0",
        ["episode"] = FormattableString.Invariant($"{BitConverter.DoubleToInt64Bits(_episodeReturn)} {_episodeLength}"),
        ["env_state"] = Convert.ToBase64String(_env.SaveState()),
    });

    /// <inheritdoc/>
    public void LoadCheckpoint(Stream source)
    {
        const string where = "checkpoint";
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        Safetensors.Load(source, metadata);
        NeuralAgentSupport.CheckFormat(metadata, CheckpointFormat, _world.Id, where);
        Step = NeuralAgentSupport.ParseLong(NeuralAgentSupport.Require(metadata, "global_step", where));
        _rng = NeuralAgentSupport.ParseRng(NeuralAgentSupport.Require(metadata, "rng", where));
        _started = NeuralAgentSupport.Require(metadata, "started", where) == "1";
        var episode = NeuralAgentSupport.Require(metadata, "episode", where).Split(' ');
        _episodeReturn = BitConverter.Int64BitsToDouble(NeuralAgentSupport.ParseLong(episode[0]));
        _episodeLength = (int)NeuralAgentSupport.ParseLong(episode[^1]);
        _env.RestoreState(Convert.FromBase64String(NeuralAgentSupport.Require(metadata, "env_state", where)));
    }
}
