namespace AlignLab.Agents;

/// <summary>
/// The agent contract: one trainable agent bound to the environments of one world. It trains in chunks
/// (training in chunks gives exactly the result of one call), reports its scalars as
/// <see cref="AgentMetric"/>s, exposes its current policy in the form the exact evaluator, the episode
/// samplers and the report take, and saves and restores its whole training state (weights, optimiser,
/// generators, the environments' episodes in progress, a replay buffer) so that a killed run resumes
/// bit-identically. Agents are made by their <see cref="AgentDefinition"/>, found by name in the
/// <see cref="AgentRegistry"/>.
/// </summary>
public interface IAgent
{
    /// <summary>The registry name of the agent (<c>q</c>, <c>ppo</c>, ...).</summary>
    string Name { get; }

    /// <summary>The hyper-parameters the agent was made with (its own options record, budget and seed set).</summary>
    object Options { get; }

    /// <summary>Environment steps trained on so far, all environments together.</summary>
    long Step { get; }

    /// <summary>Environment steps after which training is complete (the budget rounded to whole units of work).</summary>
    long TotalSteps { get; }

    /// <summary>
    /// Environment steps in one indivisible unit of work: a whole rollout for PPO, one step of every
    /// environment for DQN, one step for a tabular agent. Training stops only between units.
    /// </summary>
    long StepsPerUnit { get; }

    /// <summary>
    /// Trains until <see cref="Step"/> reaches <paramref name="untilStep"/> (rounded up to a whole unit of work)
    /// or <see cref="TotalSteps"/>, whichever comes first; then returns. Calling again continues the same episodes.
    /// </summary>
    /// <param name="untilStep">The step to train up to.</param>
    /// <param name="metrics">Receives the agent's scalars under the <see cref="MetricNames"/> names; may be null.</param>
    void Train(long untilStep, Action<AgentMetric>? metrics = null);

    /// <summary>
    /// The current policy: writes one probability per action for a symbolic board (agent drawn, row-major) and
    /// its extra observations. Matches <see cref="Solve.BoardPolicy"/>.
    /// </summary>
    void Policy(ReadOnlySpan<byte> board, ReadOnlySpan<double> extras, Span<double> probabilities);

    /// <summary>
    /// The state of the agent's own random generator (xoshiro256**, 32 bytes little-endian), recorded beside
    /// each checkpoint in the run store.
    /// </summary>
    byte[] GeneratorState();

    /// <summary>
    /// Writes the whole training state as a safetensors file: tensors for the weights, and metadata with at least
    /// <c>format</c>, <c>agent</c> (the registry name), <c>world</c> and <c>options</c> (JSON of <see cref="Options"/>).
    /// </summary>
    void SaveCheckpoint(Stream destination);

    /// <summary>Restores a state written by <see cref="SaveCheckpoint"/> of an agent of the same kind, world and options.</summary>
    /// <exception cref="InvalidDataException">Another format, world or architecture, or a damaged checkpoint.</exception>
    void LoadCheckpoint(Stream source);
}
