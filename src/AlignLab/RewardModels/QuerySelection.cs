using AlignLab.Errors;
using AlignLab.Randomness;

namespace AlignLab.RewardModels;

/// <summary>How the pairs to be labelled are chosen from a pool of candidates.</summary>
public enum QuerySelectionMode
{
    /// <summary>Uniformly at random, without replacement (imitation's <c>RandomFragmenter</c> pairs).</summary>
    Random,

    /// <summary>
    /// The candidates on which the ensemble disagrees most (standard deviation across members of P(A ≻ B)), from a
    /// pool oversampled by <see cref="QuerySelection.DefaultOversampling"/> (imitation's
    /// <c>ActiveSelectionFragmenter</c> with uncertainty on the probability).
    /// </summary>
    Active,
}

/// <summary>Chooses queries from a candidate pool, and how many to ask at each iteration of a training run.</summary>
public static class QuerySelection
{
    /// <summary>The pool size of active selection as a multiple of the queries wanted (10×).</summary>
    public const int DefaultOversampling = 10;

    /// <summary>The share of all comparisons asked before the first iteration (imitation's <c>initial_comparison_frac</c> = 0.1).</summary>
    public const double DefaultInitialFraction = 0.1;

    /// <summary>
    /// Picks <paramref name="count"/> distinct candidates (indices into <paramref name="pool"/>). Random: a seeded
    /// uniform sample, in draw order. Active: the <paramref name="count"/> with the highest ensemble disagreement,
    /// highest first (ties to the lower index); <paramref name="rng"/> is not used.
    /// </summary>
    /// <param name="pool">The candidate pairs (for active selection typically <see cref="DefaultOversampling"/>× <paramref name="count"/>).</param>
    /// <param name="count">How many to pick, at most the pool's size.</param>
    /// <param name="mode">Random or active.</param>
    /// <param name="ensemble">The ensemble whose disagreement ranks the candidates; needed for active selection only.</param>
    /// <param name="store">The transitions the pairs refer to.</param>
    /// <param name="rng">The seeded generator of random selection.</param>
    /// <returns>The chosen indices.</returns>
    public static int[] Select(IReadOnlyList<SegmentPair> pool, int count, QuerySelectionMode mode, RewardEnsemble? ensemble, TransitionStore store, ref Rng rng)
    {
        ArgumentNullException.ThrowIfNull(pool);
        ArgumentNullException.ThrowIfNull(store);
        if (count < 0 || count > pool.Count)
        {
            throw new UserInputException($"query selection: cannot pick {count} queries from a pool of {pool.Count}.");
        }

        if (mode == QuerySelectionMode.Random)
        {
            var order = Enumerable.Range(0, pool.Count).ToArray();
            for (var i = 0; i < count; i++)
            {
                var j = i + rng.NextInt(pool.Count - i);
                (order[i], order[j]) = (order[j], order[i]);
            }

            return order[..count];
        }

        if (ensemble is null)
        {
            throw new UserInputException("query selection: active selection needs a reward ensemble.");
        }

        var d = new double[pool.Count];
        ensemble.Disagreements(store, pool, d);
        var ranked = Enumerable.Range(0, pool.Count).ToArray();
        Array.Sort(ranked, (x, y) => d[y] != d[x] ? d[y].CompareTo(d[x]) : x.CompareTo(y));
        return ranked[..count];
    }

    /// <summary>
    /// The number of comparisons to ask at each round, as imitation's <c>PreferenceComparisons.train</c> computes it
    /// (HumanCompatibleAI/imitation, src/imitation/algorithms/preference_comparisons.py; same semantics, not its
    /// code): round 0 asks ⌊<paramref name="initialFraction"/>·total⌋ before training starts; the remaining
    /// comparisons are shared over the <paramref name="iterations"/> training iterations in proportion to the
    /// hyperbolic schedule 1/(1 + t) at t = linspace(0, 1, iterations), rounded to integers that keep the sum
    /// (largest remainders first, as imitation's <c>util.oric</c>).
    /// </summary>
    /// <param name="totalComparisons">All comparisons of the run.</param>
    /// <param name="iterations">Training iterations (at least 1).</param>
    /// <param name="initialFraction">The share asked up front, in [0, 1].</param>
    /// <returns><paramref name="iterations"/> + 1 counts summing to <paramref name="totalComparisons"/>.</returns>
    public static int[] Schedule(int totalComparisons, int iterations, double initialFraction = DefaultInitialFraction)
    {
        if (totalComparisons < 0 || iterations < 1 || !(initialFraction >= 0 && initialFraction <= 1))
        {
            throw new UserInputException($"query schedule: needs comparisons ≥ 0, iterations ≥ 1 and an initial fraction in [0, 1], got {totalComparisons}, {iterations} and {initialFraction}.");
        }

        var initial = (int)(totalComparisons * initialFraction);
        var rest = totalComparisons - initial;
        var weights = new double[iterations];
        for (var i = 0; i < iterations; i++)
        {
            var t = iterations == 1 ? 0.0 : (double)i / (iterations - 1);
            weights[i] = 1.0 / (1.0 + t);
        }

        var total = weights.Sum();
        var shares = new double[iterations];
        var schedule = new int[iterations + 1];
        schedule[0] = initial;
        var assigned = 0;
        for (var i = 0; i < iterations; i++)
        {
            shares[i] = weights[i] / total * rest;
            schedule[i + 1] = (int)Math.Floor(shares[i]);
            assigned += schedule[i + 1];
        }

        // Largest remainders first (ties to the earlier iteration) until the counts sum to the total.
        var byRemainder = Enumerable.Range(0, iterations)
            .OrderByDescending(i => shares[i] - Math.Floor(shares[i]))
            .ThenBy(i => i)
            .ToArray();
        for (var k = 0; assigned < rest; k++, assigned++)
        {
            schedule[byRemainder[k] + 1]++;
        }

        return schedule;
    }
}
