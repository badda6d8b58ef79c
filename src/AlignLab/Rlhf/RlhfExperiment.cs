using System.Diagnostics;
using AlignLab.Errors;
using AlignLab.Grid;
using AlignLab.Preferences;
using AlignLab.Randomness;
using AlignLab.RewardModels;
using AlignLab.Solve;

namespace AlignLab.Rlhf;

/// <summary>
/// Reward learning from preferences, measured exactly (Christiano et al. 2017): segments drawn from a behaviour
/// policy are compared by a labeller, a reward ensemble is fitted to the labels, and the exact solver optimises
/// the learned reward, giving the learned reward's specification gap, the same metric as the specified reward's.
/// </summary>
/// <remarks>
/// <para>
/// One run, step by step. The seed is split into three streams: segments, labels, reward models.
/// The query schedule asks <see cref="RlhfOptions.InitialFraction"/> of the comparisons first and the rest over
/// <see cref="RlhfOptions.Rounds"/> rounds on imitation's hyperbolic schedule. Each round draws twice as many
/// segments as it has candidate pairs from the behaviour policy (uniformly random unless given), pairs them in
/// draw order, chooses its queries (random selection: the first pairs; active: the pairs with the highest
/// ensemble disagreement, out of <see cref="RlhfOptions.Oversampling"/>× as many candidates), asks the labeller,
/// and stores the chosen segments' transitions. Active selection refits the ensemble on every label so far before
/// each later round. After the last round the final ensemble is fitted, evaluated on every transition the exact
/// model enumerates, and solved.
/// </para>
/// <para>
/// Labels are hard (1 when the first segment is preferred, 0 otherwise), one draw of the labeller's probability,
/// as imitation's synthetic gatherer samples them.
/// </para>
/// </remarks>
public static class RlhfExperiment
{
    /// <summary>
    /// Runs RLHF on the solution's world with <paramref name="labeller"/> and measures the learned reward exactly on
    /// <paramref name="solution"/> (the world's exact solution).
    /// </summary>
    /// <param name="solution">The exact solution of the world.</param>
    /// <param name="labeller">Who compares the segments.</param>
    /// <param name="options">Comparisons, selection, rounds, reward model, seed.</param>
    /// <param name="behaviour">The policy segments are drawn from; null for uniformly random actions.</param>
    /// <returns>The learned reward and its exact specification gap.</returns>
    /// <exception cref="UserInputException">Bad options, or a reward model the exact model cannot take.</exception>
    public static RlhfResult Run(ExactSolution solution, IPreferenceLabeller labeller, RlhfOptions options, BoardPolicy? behaviour = null)
    {
        ArgumentNullException.ThrowIfNull(solution);
        ArgumentNullException.ThrowIfNull(labeller);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var clock = Stopwatch.StartNew();
        var world = solution.World;
        var kind = Resolve(options.Model, solution);
        if (kind == RewardModelKind.Features)
        {
            var readable = LearnReadable(world, labeller, options, behaviour);
            var fitted = clock.Elapsed;
            using var table = solution.Tabulate(Reward(kind, null, readable.Model, world), $"learned ({labeller.Name} labels, observable features)");
            var readableGap = solution.Gap(table);
            return new RlhfResult(
                labeller.Name,
                options,
                kind,
                readable.Comparisons,
                readableGap,
                readable.Model.Model.Report.ValidationAccuracy,
                readable.Model.Model.Report.ValidationLoss,
                readable.AgreementWithIntended,
                readable.PrincipleCounts,
                null,
                fitted,
                clock.Elapsed - fitted)
            { Readable = readable.Model };
        }

        var learned = Learn(world, labeller, options, kind, behaviour);
        var trained = clock.Elapsed;
        var gap = MeasureGap(solution, learned.Ensemble, kind, $"learned ({labeller.Name} labels)");
        return new RlhfResult(
            labeller.Name,
            options,
            kind,
            learned.Comparisons,
            gap,
            learned.Ensemble.Members.Average(m => m.Report.ValidationAccuracy),
            learned.Ensemble.Members.Average(m => m.Report.ValidationLoss),
            learned.AgreementWithIntended,
            learned.PrincipleCounts,
            learned.Ensemble,
            trained,
            clock.Elapsed - trained);
    }

    /// <summary>The learned reward of a finished run as the exact solver takes it.</summary>
    internal static ITransitionReward Reward(RlhfResult result, GridWorld world) => Reward(result.Model, result.Ensemble, result.Readable, world);

    /// <summary>A learned reward of kind <paramref name="kind"/> as the exact solver takes it: the readable model, the linear ensemble folded into one cellwise map, or the MLP ensemble.</summary>
    private static ITransitionReward Reward(RewardModelKind kind, RewardEnsemble? ensemble, LinearRewardModel? readable, GridWorld world) => kind switch
    {
        RewardModelKind.Features => new ObservableFeatureReward(readable!, world),
        RewardModelKind.Linear => new LinearCellwiseReward(ensemble!, world),
        _ => new EnsembleTransitionReward(ensemble!, new BoardTransitions(world)),
    };

    /// <summary>Collects the labels (random selection) and fits the readable linear model over observable features.</summary>
    internal static (LinearRewardModel Model, int Comparisons, double AgreementWithIntended, int[]? PrincipleCounts) LearnReadable(GridWorld world, IPreferenceLabeller labeller, RlhfOptions options, BoardPolicy? behaviour)
    {
        if (options.Selection == QuerySelectionMode.Active)
        {
            throw new UserInputException("the readable features model is a single linear model, with no ensemble to disagree: use --select random with --model features.");
        }

        var rng = new Rng(options.Seed);
        var collector = new PreferenceCollector(world, labeller, options, RewardModelKind.Features, ref rng);
        collector.Collect(options.Comparisons, behaviour, null);
        return (collector.FitReadable(), collector.Count, collector.AgreementWithIntended, collector.Principles);
    }

    /// <summary>The model kind <paramref name="requested"/> resolves to on <paramref name="solution"/>'s exact model.</summary>
    internal static RewardModelKind Resolve(RewardModelKind requested, ExactSolution solution) => requested switch
    {
        RewardModelKind.Auto => solution.ModelKind.StartsWith("factored", StringComparison.Ordinal) ? RewardModelKind.Linear : RewardModelKind.Mlp,
        RewardModelKind.Mlp or RewardModelKind.Features when solution.ModelKind.StartsWith("factored", StringComparison.Ordinal) =>
            throw new UserInputException($"{solution.World.Id}: the factored exact model takes only cellwise rewards, and an {(requested == RewardModelKind.Mlp ? "MLP reward" : "observable-feature reward (its enter, leave and stand features span two cells)")} is not cellwise; use --model linear (the default here)."),
        _ => requested,
    };

    /// <summary>Collects the labels and fits the ensemble (no solving).</summary>
    internal static LearnedReward Learn(GridWorld world, IPreferenceLabeller labeller, RlhfOptions options, RewardModelKind kind, BoardPolicy? behaviour)
    {
        var rng = new Rng(options.Seed);
        var collector = new PreferenceCollector(world, labeller, options, kind, ref rng);
        var active = options.Selection == QuerySelectionMode.Active;
        int[] schedule = active ? QuerySelection.Schedule(options.Comparisons, options.Rounds, options.InitialFraction) : [options.Comparisons];
        foreach (var count in schedule)
        {
            if (count == 0)
            {
                continue;
            }

            var ensemble = active && collector.Count > 0 ? collector.Fit() : null;
            collector.Collect(count, behaviour, ensemble);
        }

        return collector.Result(collector.Fit());
    }

    /// <summary>
    /// Whether a labeller's answers train as soft targets (its probability that the first segment is better): AI
    /// feedback from a constitution does, as Constitutional AI trains on the feedback model's probabilities; a
    /// synthetic human gives one sampled answer, as imitation's synthetic gatherer does.
    /// </summary>
    internal static bool SoftLabels(IPreferenceLabeller labeller) => labeller is ConstitutionLabeller { Temperature: > 0 };

    /// <summary>
    /// The exact specification gap of <paramref name="ensemble"/>'s reward on <paramref name="solution"/>: tabulated on
    /// every transition (folded into a cellwise reward for a linear ensemble, which every exact model takes) and solved.
    /// </summary>
    internal static RewardGap MeasureGap(ExactSolution solution, RewardEnsemble ensemble, RewardModelKind kind, string name)
    {
        using var table = solution.Tabulate(Reward(kind, ensemble, null, solution.World), name);
        return solution.Gap(table);
    }
}

/// <summary>A fitted reward ensemble and what its labels were.</summary>
/// <param name="Ensemble">The ensemble fitted to every label.</param>
/// <param name="Comparisons">Labels collected.</param>
/// <param name="AgreementWithIntended">Share of labels (over pairs whose intended returns differ) that prefer the segment with the higher intended return.</param>
/// <param name="PrincipleCounts">For a constitution: labels decided by each principle, then ties (last); null otherwise.</param>
internal sealed record LearnedReward(RewardEnsemble Ensemble, int Comparisons, double AgreementWithIntended, int[]? PrincipleCounts);

/// <summary>One RLHF run, measured exactly.</summary>
/// <param name="Labeller">The labeller's name.</param>
/// <param name="Options">The run's options.</param>
/// <param name="Model">The reward model fitted (never <see cref="RewardModelKind.Auto"/>).</param>
/// <param name="Comparisons">Labels collected.</param>
/// <param name="Gap">The learned reward's exact specification gap (its optimum, and the intended return over its optimal policies).</param>
/// <param name="ValidationAccuracy">Members' mean held-out accuracy on the labels (NaN when nothing was held out).</param>
/// <param name="ValidationLoss">Members' mean held-out Bradley–Terry loss.</param>
/// <param name="AgreementWithIntended">Share of labels agreeing with the intended returns (pairs whose intended returns differ).</param>
/// <param name="PrincipleCounts">For a constitution: labels decided by each principle, then ties (last); null otherwise.</param>
/// <param name="Ensemble">The fitted ensemble; null for the readable features model (<see cref="RlhfResult.Readable"/>).</param>
/// <param name="LearnTime">Sampling, labelling and fitting.</param>
/// <param name="SolveTime">Evaluating the learned reward on every transition and solving it.</param>
public sealed record RlhfResult(
    string Labeller,
    RlhfOptions Options,
    RewardModelKind Model,
    int Comparisons,
    RewardGap Gap,
    double ValidationAccuracy,
    double ValidationLoss,
    double AgreementWithIntended,
    IReadOnlyList<int>? PrincipleCounts,
    RewardEnsemble? Ensemble,
    TimeSpan LearnTime,
    TimeSpan SolveTime)
{
    /// <summary>The readable linear model over observable features (<see cref="RewardModelKind.Features"/>); null otherwise. Its <see cref="LinearRewardModel.Describe"/> lists the learned weights.</summary>
    public LinearRewardModel? Readable { get; init; }
}
