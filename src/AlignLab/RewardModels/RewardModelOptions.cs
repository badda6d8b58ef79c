using AlignLab.Errors;
using AlignLab.Nn;

namespace AlignLab.RewardModels;

/// <summary>
/// Hyper-parameters of the reward models (<see cref="RewardModel"/>, <see cref="RewardEnsemble"/>,
/// <see cref="LinearRewardModel"/>). Defaults follow imitation's preference comparisons (Bradley–Terry loss,
/// an ensemble of 5 trained on bootstrap resamples) with AdamW in place of Adam.
/// </summary>
public sealed record RewardModelOptions
{
    /// <summary>Hidden layer sizes of the MLP r(o, a, o′) (ignored by the linear model).</summary>
    public int[] Hidden { get; init; } = [64, 64];

    /// <summary>The MLP's hidden activation.</summary>
    public Activation Activation { get; init; } = Activation.Relu;

    /// <summary>AdamW's learning rate.</summary>
    public double LearningRate { get; init; } = 1e-3;

    /// <summary>AdamW's decoupled weight decay λ (each step multiplies the weights by 1 − lr·λ).</summary>
    public double WeightDecay { get; init; } = 0.01;

    /// <summary>Passes over the training comparisons, reshuffled every pass.</summary>
    public int Epochs { get; init; } = 10;

    /// <summary>Comparisons per minibatch (each contributes both of its segments' transitions); the last one of an epoch may be smaller.</summary>
    public int BatchSize { get; init; } = 32;

    /// <summary>
    /// Fraction of the comparisons held out for validation (drawn at random, seeded, before any bootstrap);
    /// validation loss and accuracy are reported on them. 0 trains on everything and reports NaN.
    /// </summary>
    public double ValidationFraction { get; init; } = 0.1;

    /// <summary>Members of a <see cref="RewardEnsemble"/>.</summary>
    public int EnsembleSize { get; init; } = 5;

    /// <summary>
    /// Whether each ensemble member trains on a bootstrap resample of the training comparisons (as many, drawn
    /// with replacement); when false every member sees them all and members differ only by initialisation and
    /// minibatch order. A single <see cref="RewardModel"/> never resamples.
    /// </summary>
    public bool Bootstrap { get; init; } = true;

    /// <summary>
    /// Whether the normalised reward is also centred (zero mean over the training transitions) besides scaled to unit
    /// deviation. Centring keeps which of two equal-length segments is better, but adds a constant to every step, so
    /// it changes which policy is optimal wherever episodes can end at different times: the Bradley–Terry loss sees a
    /// segment cut short by the end of its episode as earning 0 afterwards, and a shift undoes that. RLHF turns it off
    /// so that the reward the solver optimises keeps termination worth exactly what the labels made it.
    /// </summary>
    public bool Center { get; init; } = true;

    /// <summary>The seed of every random choice: validation split, resamples, initial weights, minibatch order.</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>Throws <see cref="UserInputException"/> naming the first invalid field.</summary>
    internal void Validate()
    {
        if (Hidden is null || Hidden.Any(h => h < 1))
        {
            throw new UserInputException("reward model: every hidden size must be positive.");
        }

        if (!(LearningRate > 0) || !double.IsFinite(LearningRate))
        {
            throw new UserInputException($"reward model: the learning rate must be positive, got {LearningRate}.");
        }

        if (!(WeightDecay >= 0) || LearningRate * WeightDecay >= 1)
        {
            throw new UserInputException($"reward model: the weight decay must be in [0, 1/learning rate), got {WeightDecay}.");
        }

        if (Epochs < 1 || BatchSize < 1 || EnsembleSize < 1)
        {
            throw new UserInputException($"reward model: epochs, batch size and ensemble size must be positive, got {Epochs}, {BatchSize} and {EnsembleSize}.");
        }

        if (!(ValidationFraction >= 0 && ValidationFraction < 1))
        {
            throw new UserInputException($"reward model: the validation fraction must be in [0, 1), got {ValidationFraction}.");
        }
    }
}

/// <summary>How a reward model did on its training and held-out comparisons.</summary>
/// <param name="TrainingLoss">Mean Bradley–Terry loss on the training comparisons (as resampled) after training.</param>
/// <param name="ValidationLoss">Mean Bradley–Terry loss on the held-out comparisons; NaN when none were held out.</param>
/// <param name="ValidationAccuracy">
/// Fraction of held-out comparisons with a strict label (≠ 0.5) whose preferred segment has the higher predicted
/// return; NaN when there are none.
/// </param>
/// <param name="TrainingComparisons">Comparisons trained on (with repeats when resampled).</param>
/// <param name="ValidationComparisons">Comparisons held out.</param>
/// <param name="Steps">Optimiser steps taken.</param>
public sealed record RewardTrainingReport(
    double TrainingLoss, double ValidationLoss, double ValidationAccuracy, int TrainingComparisons, int ValidationComparisons, int Steps);
