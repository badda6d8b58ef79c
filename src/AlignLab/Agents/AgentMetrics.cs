using System.Globalization;
using AlignLab.Envs;
using AlignLab.Grid;
using AlignLab.Nn;
using AlignLab.Randomness;

namespace AlignLab.Agents;

/// <summary>
/// One scalar logged by a neural agent during training, as CleanRL writes to TensorBoard:
/// <c>writer.add_scalar(Name, Value, Step)</c>. Names are the constants of <see cref="MetricNames"/>.
/// </summary>
/// <param name="Name">What was measured (a <see cref="MetricNames"/> constant).</param>
/// <param name="Value">The measurement.</param>
/// <param name="Step">Environment steps taken so far (all environments of the batch together).</param>
public readonly record struct AgentMetric(string Name, double Value, long Step);

/// <summary>The metric names reported by <see cref="PpoAgent"/> and <see cref="DqnAgent"/> (CleanRL's names).</summary>
public static class MetricNames
{
    /// <summary>Visible (specified-reward) return of one finished episode, unscaled; one report per episode.</summary>
    public const string EpisodicReturn = "charts/episodic_return";

    /// <summary>Length in steps of one finished episode (terminated or truncated); one report per episode.</summary>
    public const string EpisodicLength = "charts/episodic_length";

    /// <summary>Learning rate used by the last update.</summary>
    public const string LearningRate = "charts/learning_rate";

    /// <summary>Environment steps per second since training started (wall clock, one thread).</summary>
    public const string StepsPerSecond = "charts/SPS";

    /// <summary>DQN: exploration rate ε of the ε-greedy behaviour policy.</summary>
    public const string Epsilon = "charts/epsilon";

    /// <summary>PPO: ½·mean squared (possibly clipped) value error of the last minibatch.</summary>
    public const string ValueLoss = "losses/value_loss";

    /// <summary>PPO: clipped-surrogate policy loss of the last minibatch (lower is better).</summary>
    public const string PolicyLoss = "losses/policy_loss";

    /// <summary>PPO: mean entropy (nats) of the policy on the last minibatch.</summary>
    public const string Entropy = "losses/entropy";

    /// <summary>PPO: KL(old‖new) estimated as mean(−log r) on the last minibatch.</summary>
    public const string OldApproxKl = "losses/old_approx_kl";

    /// <summary>PPO: KL(old‖new) estimated as mean((r − 1) − log r) on the last minibatch (Schulman's k3 estimator).</summary>
    public const string ApproxKl = "losses/approx_kl";

    /// <summary>PPO: fraction of samples whose probability ratio left [1 − clip, 1 + clip], averaged over all minibatches of the update.</summary>
    public const string ClipFraction = "losses/clipfrac";

    /// <summary>PPO: 1 − Var(returns − values) / Var(returns) over the rollout (NaN when the returns are constant).</summary>
    public const string ExplainedVariance = "losses/explained_variance";

    /// <summary>DQN: Huber temporal-difference loss of the last gradient step.</summary>
    public const string TdLoss = "losses/td_loss";

    /// <summary>DQN: mean Q-value of the taken actions on the last minibatch.</summary>
    public const string QValues = "losses/q_values";
}

/// <summary>Pieces shared by the neural agents: episode bookkeeping, encoding, checkpoint helpers.</summary>
internal static class NeuralAgentSupport
{
    /// <summary>Checks that a vectorised environment matches the agent's world and batch size.</summary>
    public static void CheckEnv(VectorEnv env, GridWorld world, int numEnvs)
    {
        ArgumentNullException.ThrowIfNull(env);
        if (env.Count != numEnvs)
        {
            throw new ArgumentException($"The agent was configured for {numEnvs} environments, the batch has {env.Count}.", nameof(env));
        }

        if (env.Spec.ObservationLength != world.Channels * world.CellCount || env.Spec.ActionCount != world.ActionLetters.Length)
        {
            throw new ArgumentException($"The environment ({env.Spec.Id}) does not have the spaces of the agent's world ({world.Id}).", nameof(env));
        }
    }

    /// <summary>The seed for AlignLab.Nn's initialisers, which take a <see cref="Random"/>.</summary>
    public static Random InitRandom(ulong seed) => new(unchecked((int)(seed ^ (seed >> 32))));

    /// <summary>Adds every parameter of <paramref name="net"/> under <c>prefix.name</c>.</summary>
    public static void AddTensors(Dictionary<string, Tensor> tensors, string prefix, Sequential net)
    {
        foreach (var p in net.Parameters)
        {
            tensors.Add(prefix + "." + p.Name, p.Value);
        }
    }

    /// <summary>Copies the tensors stored under <c>prefix.name</c> into <paramref name="net"/>, checking names and shapes.</summary>
    public static void LoadTensors(Dictionary<string, Tensor> tensors, string prefix, Sequential net, string path)
    {
        foreach (var p in net.Parameters)
        {
            var name = prefix + "." + p.Name;
            if (!tensors.TryGetValue(name, out var t))
            {
                throw new InvalidDataException($"{path}: the checkpoint has no tensor '{name}'.");
            }

            if (!t.HasShape(p.Shape))
            {
                throw new InvalidDataException($"{path}: '{name}' is [{string.Join(',', t.Shape.ToArray())}] in the checkpoint but [{string.Join(',', p.Shape.ToArray())}] in the agent (different hidden sizes or world?).");
            }

            p.Value.CopyFrom(t.Values);
        }
    }

    /// <summary>The generator's state as 64 hexadecimal digits.</summary>
    public static string FormatRng(Rng rng)
    {
        var (s0, s1, s2, s3) = rng.State;
        return string.Create(CultureInfo.InvariantCulture, $"{s0:x16}{s1:x16}{s2:x16}{s3:x16}");
    }

    /// <summary>The generator's state as 32 bytes, four little-endian words (the run store's <c>rng</c> column).</summary>
    public static byte[] RngBytes(Rng rng)
    {
        var (s0, s1, s2, s3) = rng.State;
        var bytes = new byte[32];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(0), s0);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(8), s1);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(16), s2);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(24), s3);
        return bytes;
    }

    /// <summary>Reads a generator written by <see cref="FormatRng"/>.</summary>
    public static Rng ParseRng(string text)
    {
        if (text.Length != 64)
        {
            throw new InvalidDataException($"Bad generator state '{text}'.");
        }

        ulong Word(int i) => ulong.Parse(text.AsSpan(i * 16, 16), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);
        return Rng.FromState((Word(0), Word(1), Word(2), Word(3)));
    }

    /// <summary>A required metadata entry of a checkpoint.</summary>
    public static string Require(Dictionary<string, string> metadata, string key, string path) =>
        metadata.TryGetValue(key, out var value) ? value : throw new InvalidDataException($"{path}: the checkpoint's metadata has no '{key}'.");

    /// <summary>Checks the checkpoint's format tag.</summary>
    public static void CheckFormat(Dictionary<string, string> metadata, string expected, string worldId, string path)
    {
        var format = Require(metadata, "format", path);
        if (format != expected)
        {
            throw new InvalidDataException($"{path}: this is a '{format}' checkpoint, expected '{expected}'.");
        }

        var world = Require(metadata, "world", path);
        if (world != worldId)
        {
            throw new InvalidDataException($"{path}: the checkpoint was trained on '{world}', the agent is for '{worldId}'.");
        }
    }

    /// <summary>Writes <paramref name="value"/> with invariant culture and round-trip precision.</summary>
    public static string Invariant(long value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>Parses a value written by <see cref="Invariant(long)"/>.</summary>
    public static long ParseLong(string text) => long.Parse(text, CultureInfo.InvariantCulture);
}

/// <summary>
/// Running return and length of each environment's current episode; reports finished episodes.
/// Returns are the visible reward as the environment gave it (not scaled).
/// </summary>
internal sealed class EpisodeTracker
{
    private readonly double[] _returns;
    private readonly int[] _lengths;

    public EpisodeTracker(int count)
    {
        _returns = new double[count];
        _lengths = new int[count];
    }

    /// <summary>Episodes finished so far.</summary>
    public long Episodes { get; private set; }

    /// <summary>Clears the running episodes (after an environment reset).</summary>
    public void Clear()
    {
        Array.Clear(_returns);
        Array.Clear(_lengths);
    }

    /// <summary>Adds one step of environment <paramref name="i"/> and reports its episode if it ended.</summary>
    public void Add(int i, double reward, bool done, long globalStep, Action<AgentMetric>? progress)
    {
        _returns[i] += reward;
        _lengths[i]++;
        if (!done)
        {
            return;
        }

        Episodes++;
        progress?.Invoke(new AgentMetric(MetricNames.EpisodicReturn, _returns[i], globalStep));
        progress?.Invoke(new AgentMetric(MetricNames.EpisodicLength, _lengths[i], globalStep));
        _returns[i] = 0;
        _lengths[i] = 0;
    }
}
