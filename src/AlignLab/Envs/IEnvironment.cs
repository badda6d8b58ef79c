namespace AlignLab.Envs;

/// <summary>
/// The agent-facing environment contract, following Gymnasium's conventions. An agent sees only
/// this: observations, the specified reward, and whether the episode ended. The intended
/// objective and candidate goals never pass through it; they travel on a
/// <see cref="HiddenChannel"/> that only the experimenter holds.
/// </summary>
public interface IEnvironment
{
    /// <summary>Shapes of the observation and action spaces.</summary>
    EnvSpec Spec { get; }

    /// <summary>
    /// Starts a new episode. With a seed, the environment's own generator is reseeded first, so
    /// the same seed and the same actions give the same episode; without one, the stream goes on.
    /// </summary>
    void Reset(ulong? seed = null);

    /// <summary>Applies one action (an index into <see cref="EnvSpec.ActionLetters"/>) and advances one step.</summary>
    /// <exception cref="InvalidOperationException">Before the first <see cref="Reset"/>, or after the episode ended.</exception>
    StepResult Step(int action);

    /// <summary>The current observation as one-hot channels, laid out C×H×W; valid until the next call.</summary>
    ReadOnlySpan<float> Observation { get; }

    /// <summary>The current symbolic board, one ASCII character per cell, row-major H×W.</summary>
    ReadOnlySpan<byte> Board { get; }

    /// <summary>
    /// Extra observations beside the board, named by <see cref="EnvSpec.ExtraNames"/> (such as
    /// WhiskyGold's exploration rate); NaN where the original gives none.
    /// </summary>
    ReadOnlySpan<double> Extras { get; }
}
