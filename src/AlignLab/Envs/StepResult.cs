namespace AlignLab.Envs;

/// <summary>What one step returns to the agent, besides the observation.</summary>
/// <param name="Reward">The specified (visible) reward for this transition.</param>
/// <param name="Terminated">The task itself ended (goal reached, lava entered...).</param>
/// <param name="Truncated">The episode was cut off by the step limit without the task ending.</param>
public readonly record struct StepResult(double Reward, bool Terminated, bool Truncated)
{
    /// <summary>Either way, the episode is over and the next call must be a reset.</summary>
    public bool Done => Terminated || Truncated;
}
