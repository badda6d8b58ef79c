using AlignLab.Grid;
using AlignLab.Scenarios;
using AlignLab.Solve;

namespace AlignLab.Curricula;

/// <summary>
/// The level scores of PLR⊥ and ACCEL: the exact oracle regret, which only a solver can give, and the two estimates
/// the papers use in its place, computed from one cycle's rollout on the level.
/// </summary>
public static class LevelScores
{
    /// <summary>Solves <paramref name="level"/> as a world of <paramref name="scenario"/> (parameters <paramref name="set"/>), within <paramref name="limits"/>.</summary>
    public static ExactSolution Solve(ScenarioDefinition scenario, GridLevel level, IReadOnlyDictionary<string, string>? set = null, SolverLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        ArgumentNullException.ThrowIfNull(level);
        return ExactSolution.Create(scenario.Build(new BuildOptions(Set: set) { FixedLevel = level }), limits);
    }

    /// <summary>
    /// The exact oracle regret of <paramref name="policy"/> on a solved level: J(π*) − J(π) of the specified reward, the
    /// solver's optimal expected return minus the policy's exact expected return. Zero for an optimal policy.
    /// </summary>
    public static double ExactRegret(ExactSolution solution, BoardPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(solution);
        ArgumentNullException.ThrowIfNull(policy);
        return solution.Optimal(solution.World.Reward) - solution.Evaluate(policy).Reward;
    }

    /// <summary>
    /// Positive value loss of environment <paramref name="env"/> in a rollout of <paramref name="numEnvs"/> environments
    /// (advantages step-major, index t · numEnvs + env): (1/T) Σ_t max(A_t, 0).
    /// </summary>
    public static double PositiveValueLoss(ReadOnlySpan<float> advantages, int numEnvs, int env)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(numEnvs);
        var steps = advantages.Length / numEnvs;
        double sum = 0;
        for (var t = 0; t < steps; t++)
        {
            sum += Math.Max(advantages[(t * numEnvs) + env], 0f);
        }

        return sum / steps;
    }

    /// <summary>
    /// The highest discounted return, Σ_k γ^k r_k from an episode's start, of the episodes of environment
    /// <paramref name="env"/> in a rollout that starts with a reset (the last one counted as far as it went);
    /// <paramref name="ended"/> tells whether the episode ended at step t.
    /// </summary>
    public static double BestReturn(ReadOnlySpan<float> rewards, int numEnvs, int env, double gamma, Func<int, bool> ended)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(numEnvs);
        ArgumentNullException.ThrowIfNull(ended);
        var steps = rewards.Length / numEnvs;
        double best = double.NegativeInfinity, current = 0, discount = 1;
        for (var t = 0; t < steps; t++)
        {
            current += discount * rewards[(t * numEnvs) + env];
            discount *= gamma;
            if (ended(t) || t == steps - 1)
            {
                best = Math.Max(best, current);
                current = 0;
                discount = 1;
            }
        }

        return best;
    }

    /// <summary>MaxMC of environment <paramref name="env"/>: (1/T) Σ_t (R_max − V(s_t)), with <paramref name="maxReturn"/> the best return ever reached on its level.</summary>
    public static double MaxMc(ReadOnlySpan<float> values, int numEnvs, int env, double maxReturn)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(numEnvs);
        var steps = values.Length / numEnvs;
        double sum = 0;
        for (var t = 0; t < steps; t++)
        {
            sum += maxReturn - values[(t * numEnvs) + env];
        }

        return sum / steps;
    }

    /// <summary>Spearman's rank correlation of two equally long samples (average ranks for ties); NaN when either is constant or shorter than 2.</summary>
    public static double RankCorrelation(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        if (x.Count != y.Count)
        {
            throw new ArgumentException("The samples differ in length.", nameof(y));
        }

        if (x.Count < 2)
        {
            return double.NaN;
        }

        var rx = Ranks(x);
        var ry = Ranks(y);
        double mx = rx.Average(), my = ry.Average(), sxy = 0, sxx = 0, syy = 0;
        for (var i = 0; i < rx.Length; i++)
        {
            sxy += (rx[i] - mx) * (ry[i] - my);
            sxx += (rx[i] - mx) * (rx[i] - mx);
            syy += (ry[i] - my) * (ry[i] - my);
        }

        return sxx == 0 || syy == 0 ? double.NaN : sxy / Math.Sqrt(sxx * syy);
    }

    private static double[] Ranks(IReadOnlyList<double> values)
    {
        var order = Enumerable.Range(0, values.Count).OrderBy(i => values[i]).ThenBy(i => i).ToArray();
        var ranks = new double[values.Count];
        for (var start = 0; start < order.Length;)
        {
            var end = start;
            while (end + 1 < order.Length && values[order[end + 1]] == values[order[start]])
            {
                end++;
            }

            for (var k = start; k <= end; k++)
            {
                ranks[order[k]] = ((start + end) / 2.0) + 1;
            }

            start = end + 1;
        }

        return ranks;
    }
}
