using AlignLab.Errors;

namespace AlignLab.Experiments;

/// <summary>
/// Training produced losses or a policy that are not finite numbers, almost always because of hyper-parameters
/// the user chose (a learning rate or reward scale far too large). The run is marked failed; the message says
/// at which step and what went wrong, in one line.
/// </summary>
public sealed class TrainingDivergedException : UserInputException
{
    /// <summary>Creates the exception with its one-line message.</summary>
    public TrainingDivergedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with its message and the error behind it.</summary>
    public TrainingDivergedException(string message, Exception inner)
        : base(message, inner)
    {
    }

    /// <summary>Creates the exception with a generic message (kept for the analyzers).</summary>
    public TrainingDivergedException()
        : this("training diverged")
    {
    }
}
