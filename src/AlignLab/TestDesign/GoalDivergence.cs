using AlignLab.Solve;

namespace AlignLab.TestDesign;

/// <summary>How often one goal's optimal behaviour visibly departs from another's, on one level.</summary>
/// <param name="Followed">The goal whose optimal behaviour is followed (A).</param>
/// <param name="Scored">The goal it is compared with (B).</param>
/// <param name="Value">
/// d(A → B): the expected number of steps, along the episode of π_A from the level's start, in whose state no action
/// is optimal for both A and B (their sets of γ-discounted optimal actions at that time are disjoint). π_A is the
/// A-optimal policy that, among A's tied optimal actions, does best for B.
/// </param>
public sealed record PairDivergence(string Followed, string Scored, double Value);

/// <summary>The divergence of a scenario's candidate goals on one level.</summary>
/// <param name="Value">The largest pairwise divergence, max over ordered pairs A ≠ B of d(A → B), in steps.</param>
/// <param name="Pairs">Every ordered pair's divergence.</param>
public sealed record LevelDivergence(double Value, IReadOnlyList<PairDivergence> Pairs);

/// <summary>
/// Exact divergence of candidate goals' optimal behaviours on one solved level, in steps. For an ordered pair of goals
/// (A, B), d(A → B) follows an agent that pursues A optimally (γ-discounted, so that reaching a goal sooner counts, as
/// in <see cref="GoalInference.GoalAuditor"/>; with the scenarios' undiscounted long horizons an agent could visit both
/// goals and nearly every action would tie) and, wherever A is indifferent, breaks ties in B's favour; it is the
/// expected number of steps of that agent's episode taken in a state where the optimal actions of A and of B have no
/// action in common, so that every step there tells the two goals apart. It is exactly 0 whenever the two goals share
/// an optimal action in every state (goals with identical optimal behaviour), and each such step is evidence the goal
/// posterior can use. The level's divergence is the maximum over ordered pairs: a level is diagnostic when pursuing
/// some goal departs from another for many steps.
/// </summary>
public static class GoalDivergence
{
    /// <summary>The divergence of the world's candidate goals on <paramref name="solution"/> (a solved level).</summary>
    /// <param name="solution">The solved level (or world).</param>
    /// <param name="discount">γ in (0, 1] of the goals' values.</param>
    public static LevelDivergence Measure(ExactSolution solution, double discount = 0.99)
    {
        ArgumentNullException.ThrowIfNull(solution);
        if (!(discount is > 0 and <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(discount), discount, "The discount must be in (0, 1].");
        }

        var goals = solution.World.Goals;
        var pairs = new List<PairDivergence>();
        for (var a = 0; a < goals.Count; a++)
        {
            for (var b = 0; b < goals.Count; b++)
            {
                if (a != b)
                {
                    pairs.Add(new PairDivergence(goals[a].Name, goals[b].Name, Pair(solution, solution.BackupOf(goals[a]), solution.BackupOf(goals[b]), discount)));
                }
            }
        }

        return new LevelDivergence(pairs.Count == 0 ? 0 : pairs.Max(p => p.Value), pairs);
    }

    /// <summary>
    /// d(A → B) by one backward sweep over the model holding A's and B's optimal values, B's best value among A-optimal
    /// actions (the tie-break), and W_t(s) = [A's and B's optimal sets disjoint at (t, s)] + E[W_{t+1}] under π_A.
    /// </summary>
    private static double Pair(ExactSolution solution, QBackup followed, QBackup scored, double discount)
    {
        var model = solution.Model;
        var s = model.StateCount;
        var n = model.ActionCount;
        double[] vA = new double[s], vB = new double[s], vBest = new double[s], w = new double[s];
        double[] scaled = new double[s];
        double[] qA = new double[s * n], qB = new double[s * n], qBest = new double[s * n], qW = new double[s * n];
        var none = new double[s * n];
        for (var t = model.Horizon - 1; t >= 0; t--)
        {
            Sweep(followed, vA, scaled, qA, discount);
            Sweep(scored, vB, scaled, qB, discount);
            Sweep(scored, vBest, scaled, qBest, discount);
            model.Backup(none, w, qW);
            for (var state = 0; state < s; state++)
            {
                var row = state * n;
                var maxA = double.NegativeInfinity;
                var maxB = double.NegativeInfinity;
                for (var action = 0; action < n; action++)
                {
                    maxA = Math.Max(maxA, qA[row + action]);
                    maxB = Math.Max(maxB, qB[row + action]);
                }

                var tolA = ExactSolver.TieTolerance * Math.Max(1.0, Math.Abs(maxA));
                var tolB = ExactSolver.TieTolerance * Math.Max(1.0, Math.Abs(maxB));
                var best = double.NegativeInfinity;
                var chosen = 0;
                var shared = false;
                for (var action = 0; action < n; action++)
                {
                    if (qA[row + action] >= maxA - tolA)
                    {
                        shared |= qB[row + action] >= maxB - tolB;
                        if (qBest[row + action] > best)
                        {
                            best = qBest[row + action];
                            chosen = action;
                        }
                    }
                }

                vA[state] = maxA;
                vB[state] = maxB;
                vBest[state] = best;
                w[state] = (shared ? 0 : 1) + qW[row + chosen];
            }
        }

        var steps = 0.0;
        foreach (var (state, probability) in model.Initial)
        {
            steps += probability * w[state];
        }

        return steps;
    }

    private static void Sweep(QBackup backup, double[] v, double[] scaled, double[] q, double discount)
    {
        for (var i = 0; i < v.Length; i++)
        {
            scaled[i] = discount * v[i];
        }

        backup(scaled, q);
    }
}
