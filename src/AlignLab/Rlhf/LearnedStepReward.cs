using AlignLab.Grid;
using AlignLab.RewardModels;

namespace AlignLab.Rlhf;

/// <summary>
/// A reward ensemble as the visible reward of an environment step, for agents that train on a learned reward through
/// the agent contract (<see cref="GridWorld.WithStepReward"/>): both rendered boards are one-hot encoded as the
/// labeller's segments and the solver's transitions are (<see cref="BoardTransitions"/>, the world's own encoding), and
/// the ensemble scores the transition as <see cref="EnsembleTransitionReward"/> does (the mean of the members'
/// normalised rewards), one transition at a time. The ensemble can be replaced between training chunks (iterated RLHF
/// refits it); allocates nothing per step; not thread-safe.
/// </summary>
internal sealed class LearnedStepReward : IStepReward
{
    private readonly GridWorld _world;
    private readonly float[] _before;
    private readonly float[] _after;

    /// <summary>A step reward on <paramref name="world"/>'s boards scoring with <paramref name="ensemble"/> (null: set before the first step).</summary>
    public LearnedStepReward(GridWorld world, RewardEnsemble? ensemble = null)
    {
        _world = world;
        _before = new float[world.Channels * world.CellCount];
        _after = new float[_before.Length];
        Ensemble = ensemble;
    }

    /// <summary>The ensemble that scores the steps; replaced when the reward model is refitted.</summary>
    public RewardEnsemble? Ensemble { get; set; }

    public double Reward(ReadOnlySpan<byte> before, int action, ReadOnlySpan<byte> after)
    {
        var ensemble = Ensemble ?? throw new InvalidOperationException("The learned step reward has no reward model yet.");
        _world.Encode(before, _before);
        _world.Encode(after, _after);
        return ensemble.StepReward(_before, action, _after);
    }
}
