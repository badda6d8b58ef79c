using AlignLab.Agents;
using AlignLab.Errors;
using AlignLab.RewardModels;

namespace AlignLab.Rlhf;

/// <summary>
/// Hyper-parameters of iterated RLHF by learning (<see cref="RlhfTraining"/>): how many collect–fit–train cycles, which
/// agent trains on the learned reward and for how long, how much the behaviour policy explores, and the preference
/// learning itself (<see cref="Rlhf"/>: comparisons in all, query selection, segments, reward model, seed).
/// </summary>
public sealed record RlhfTrainingOptions
{
    /// <summary>
    /// Collect–fit–train cycles (default 3). The comparisons are spread over them on imitation's schedule
    /// (<see cref="QuerySelection.Schedule"/> with <see cref="RlhfOptions.InitialFraction"/> of them in the first and the
    /// rest hyperbolically over the others); one iteration asks them all. <see cref="RlhfOptions.Rounds"/> is not used.
    /// </summary>
    public int Iterations { get; init; } = 3;

    /// <summary>The registry name of the agent that trains on the learned reward (<c>q</c>, <c>sarsa</c>, <c>dqn</c>, <c>ppo</c>; default <c>q</c>).</summary>
    public string Agent { get; init; } = "q";

    /// <summary>
    /// The agent's options record (a preset of its <see cref="AgentDefinition"/> with overrides), or null for its default
    /// preset. Its budget becomes <see cref="Iterations"/> × <see cref="StepsPerIteration"/> and its seed one drawn
    /// from <see cref="RlhfOptions.Seed"/>.
    /// </summary>
    public object? AgentOptions { get; init; }

    /// <summary>Environment steps the agent trains on the learned reward in each iteration (default 20,000).</summary>
    public long StepsPerIteration { get; init; } = 20_000;

    /// <summary>
    /// In the iterations after the first, segments are drawn from the agent's policy mixed with uniformly random
    /// actions, (1 − ε)·π + ε/|A| per step, with this ε in [0, 1] (imitation's <c>exploration_frac</c>; default 0:
    /// the agent's policy alone). The first iteration's segments are uniformly random.
    /// </summary>
    public double Exploration { get; init; }

    /// <summary>The preference learning: comparisons in all, selection, segment length, reward model, labeller noise and the seed of everything.</summary>
    public RlhfOptions Rlhf { get; init; } = new();

    /// <summary>The agent's whole budget: <see cref="Iterations"/> × <see cref="StepsPerIteration"/>.</summary>
    public long TotalSteps => checked(Iterations * StepsPerIteration);

    /// <summary>Throws <see cref="UserInputException"/> naming the first bad value (the agent's own options are checked when it is configured).</summary>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(Rlhf);
        Rlhf.Validate();
        if (Iterations < 1 || Iterations > 1000)
        {
            throw new UserInputException($"rlhf: iterations must be in [1, 1000], got {Iterations}.");
        }

        if (StepsPerIteration < 1 || StepsPerIteration > 1_000_000_000)
        {
            throw new UserInputException($"rlhf: the agent's steps per iteration must be in [1, 1,000,000,000], got {StepsPerIteration:N0}.");
        }

        if (!(Exploration >= 0 && Exploration <= 1))
        {
            throw new UserInputException($"rlhf: the exploration fraction must be in [0, 1], got {Exploration}.");
        }

        if (Schedule()[0] < 1)
        {
            throw new UserInputException($"rlhf: the first iteration asks no comparisons ({Rlhf.Comparisons} × initial fraction {Rlhf.InitialFraction} < 1), so there is no reward to train on; ask more comparisons or a larger initial fraction.");
        }

        _ = AgentRegistry.Get(Agent);
    }

    /// <summary>The comparisons each iteration asks, in order (they sum to <see cref="RlhfOptions.Comparisons"/>).</summary>
    internal int[] Schedule() => Iterations == 1
        ? [Rlhf.Comparisons]
        : QuerySelection.Schedule(Rlhf.Comparisons, Iterations - 1, Rlhf.InitialFraction);
}
