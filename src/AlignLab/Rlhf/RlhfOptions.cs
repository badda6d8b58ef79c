using AlignLab.Errors;
using AlignLab.Preferences;
using AlignLab.RewardModels;

namespace AlignLab.Rlhf;

/// <summary>The reward model an RLHF run fits.</summary>
public enum RewardModelKind
{
    /// <summary>
    /// An MLP ensemble where the exact solver can take any r(o, a, o′) (enumerated models), the linear ensemble
    /// where it needs a cellwise reward (the factored tomato model).
    /// </summary>
    Auto,

    /// <summary>An ensemble of MLPs over [one-hot(o), one-hot(a), one-hot(o′)] (hidden sizes from <see cref="RewardModelOptions.Hidden"/>).</summary>
    Mlp,

    /// <summary>An ensemble of linear maps over the same input: cellwise, so every exact model solves it.</summary>
    Linear,

    /// <summary>
    /// The readable model: one linear map w·φ(o, o′) over the observable features constitution rules are written in
    /// (tiles entered, left and stood on, tile counts, tiles that appeared or vanished, cells changed, steps), whose
    /// learned weights say what the labels reward. Random selection only; not cellwise, so not on the tomato model.
    /// </summary>
    Features,
}

/// <summary>
/// Hyper-parameters of one RLHF run (Christiano et al. 2017, with imitation's defaults where it has them): how
/// many comparisons, how they are chosen and scheduled, the segments' length, the reward model and the seed.
/// </summary>
public sealed record RlhfOptions
{
    /// <summary>Labelled comparisons in all (default 1,000).</summary>
    public int Comparisons { get; init; } = 1000;

    /// <summary>Random pairs, or the pairs the current ensemble disagrees on most (from a pool <see cref="Oversampling"/>× larger).</summary>
    public QuerySelectionMode Selection { get; init; } = QuerySelectionMode.Random;

    /// <summary>
    /// Rounds of querying after the initial batch (imitation's iterations): <see cref="InitialFraction"/> of the
    /// comparisons are asked first, the rest over this many rounds on the hyperbolic schedule
    /// (<see cref="QuerySelection.Schedule"/>); active selection refits the ensemble before every round. Random
    /// selection asks every query in one round, since its choice does not depend on the model (same labels).
    /// </summary>
    public int Rounds { get; init; } = 5;

    /// <summary>The share of comparisons asked before the first refit (imitation's 0.1).</summary>
    public double InitialFraction { get; init; } = QuerySelection.DefaultInitialFraction;

    /// <summary>Candidate pool size of active selection, as a multiple of the queries of a round (default <see cref="QuerySelection.DefaultOversampling"/> = 10).</summary>
    public int Oversampling { get; init; } = QuerySelection.DefaultOversampling;

    /// <summary>Steps per segment (0 = whole episodes; default 25).</summary>
    public int SegmentLength { get; init; } = SegmentSampler.DefaultSegmentLength;

    /// <summary>Which reward model to fit.</summary>
    public RewardModelKind Model { get; init; } = RewardModelKind.Auto;

    /// <summary>The reward models' hyper-parameters (its seed is replaced by one drawn from <see cref="Seed"/>).</summary>
    public RewardModelOptions RewardModel { get; init; } = new();

    /// <summary>The synthetic labellers' noise (temperature 1, ε = 0.1); unused by a constitution.</summary>
    public BradleyTerryOptions Noise { get; init; } = new();

    /// <summary>The seed of every random choice: segments, labels, selection and the reward models.</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>Throws <see cref="UserInputException"/> naming the first bad value.</summary>
    public void Validate()
    {
        if (Comparisons < 1)
        {
            throw new UserInputException($"rlhf: the number of comparisons must be at least 1, got {Comparisons}.");
        }

        if (Comparisons > 1_000_000)
        {
            throw new UserInputException($"rlhf: at most 1,000,000 comparisons, got {Comparisons:N0}.");
        }

        if (Rounds < 1 || Rounds > 1000)
        {
            throw new UserInputException($"rlhf: rounds must be in [1, 1000], got {Rounds}.");
        }

        if (Oversampling < 1 || Oversampling > 100)
        {
            throw new UserInputException($"rlhf: oversampling must be in [1, 100], got {Oversampling}.");
        }

        if (SegmentLength < 0)
        {
            throw new UserInputException($"rlhf: the segment length must be ≥ 0 (0 = whole episodes), got {SegmentLength}.");
        }

        if (!(InitialFraction >= 0 && InitialFraction <= 1))
        {
            throw new UserInputException($"rlhf: the initial fraction must be in [0, 1], got {InitialFraction}.");
        }

        ArgumentNullException.ThrowIfNull(RewardModel);
        ArgumentNullException.ThrowIfNull(Noise);
        RewardModel.Validate();
        Noise.Validate();
    }
}
