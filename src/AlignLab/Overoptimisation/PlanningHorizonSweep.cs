using AlignLab.Objectives;
using AlignLab.Solve;

namespace AlignLab.Overoptimisation;

/// <summary>
/// The capability axis of Pan et al. (2022), "The effects of reward misspecification": a
/// receding-horizon proxy optimiser whose capability is its planning horizon h. At every step,
/// with r steps of the episode left, it takes the first action of a policy optimal for the proxy
/// over the next min(h, r) steps (no value beyond them); among tied actions (within
/// <see cref="ExactSolver.TieTolerance"/> relative) it takes the lowest-numbered. With h = horizon
/// it is a proxy-optimal policy. Each level is evaluated exactly on proxy and gold from the
/// initial distribution, in one backward pass over remaining steps r = 1..horizon that shares the
/// hard value iteration: level h uses the r-step greedy actions while r ≤ h and keeps the h-step
/// ones afterwards. (A training-steps axis is out of scope: the optimisers here are exact.)
/// </summary>
internal static class PlanningHorizonSweep
{
    /// <summary>The levels h = 1, 2, 4, 8, … below <paramref name="horizon"/>, then the horizon itself.</summary>
    public static int[] Levels(int horizon)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(horizon);
        var levels = new List<int>();
        for (var h = 1; h < horizon; h *= 2)
        {
            levels.Add(h);
        }

        levels.Add(horizon);
        return [.. levels];
    }

    /// <summary>Evaluates the receding-horizon optimiser at each of <paramref name="levels"/> (ascending, each in 1..horizon).</summary>
    public static HorizonPoint[] Evaluate(IExactModel model, QBackup proxy, Objective gold, IReadOnlyList<int> levels)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(proxy);
        ArgumentNullException.ThrowIfNull(gold);
        ArgumentNullException.ThrowIfNull(levels);
        var s = model.StateCount;
        var a = model.ActionCount;
        var count = levels.Count;
        var q = new double[s * a];
        var qp = new double[s * a];
        var qg = new double[s * a];
        var v = new double[s];
        var vn = new double[s];
        var greedy = new int[s];
        var actions = new int[count][];
        var p = new double[count][];
        var g = new double[count][];
        var pn = new double[s];
        var gn = new double[s];
        for (var i = 0; i < count; i++)
        {
            if (levels[i] < 1 || levels[i] > model.Horizon)
            {
                throw new ArgumentOutOfRangeException(nameof(levels), levels[i], $"A planning horizon must be in 1..{model.Horizon}.");
            }

            actions[i] = new int[s];
            p[i] = new double[s];
            g[i] = new double[s];
        }

        for (var r = 1; r <= model.Horizon; r++)
        {
            proxy(v, q);
            for (var state = 0; state < s; state++)
            {
                var row = state * a;
                var best = q[row];
                for (var action = 1; action < a; action++)
                {
                    best = Math.Max(best, q[row + action]);
                }

                var tolerance = ExactSolver.TieTolerance * Math.Max(1.0, Math.Abs(best));
                var chosen = 0;
                while (q[row + chosen] < best - tolerance)
                {
                    chosen++;
                }

                greedy[state] = chosen;
                vn[state] = best;
            }

            (v, vn) = (vn, v);
            for (var i = 0; i < count; i++)
            {
                if (r <= levels[i])
                {
                    greedy.CopyTo(actions[i], 0);
                }

                proxy(p[i], qp);
                model.Backup(gold, g[i], qg);
                var act = actions[i];
                for (var state = 0; state < s; state++)
                {
                    var pair = (state * a) + act[state];
                    pn[state] = qp[pair];
                    gn[state] = qg[pair];
                }

                (p[i], pn) = (pn, p[i]);
                (g[i], gn) = (gn, g[i]);
            }
        }

        var points = new HorizonPoint[count];
        for (var i = 0; i < count; i++)
        {
            points[i] = new HorizonPoint(levels[i], Initial(model, p[i]), Initial(model, g[i]));
        }

        return points;
    }

    /// <summary>
    /// Adjacent levels between which the gold return drops by more than half of its magnitude:
    /// gold(h_next) &lt; gold(h) − ½·|gold(h)| and the drop exceeds 1e-9 (so from a gold of 0, any
    /// real drop counts).
    /// </summary>
    public static PhaseTransition[] Transitions(IReadOnlyList<HorizonPoint> points)
    {
        ArgumentNullException.ThrowIfNull(points);
        var transitions = new List<PhaseTransition>();
        for (var i = 0; i + 1 < points.Count; i++)
        {
            var before = points[i].Gold;
            var after = points[i + 1].Gold;
            var drop = before - after;
            if (drop > 0.5 * Math.Abs(before) && drop > 1e-9)
            {
                transitions.Add(new PhaseTransition(points[i].Horizon, points[i + 1].Horizon, before, after));
            }
        }

        return [.. transitions];
    }

    private static double Initial(IExactModel model, ReadOnlySpan<double> values)
    {
        var total = 0.0;
        foreach (var (state, probability) in model.Initial)
        {
            total += probability * values[state];
        }

        return total;
    }
}

/// <summary>The receding-horizon proxy optimiser at one planning horizon, evaluated exactly.</summary>
/// <param name="Horizon">Planning horizon h (steps looked ahead).</param>
/// <param name="Proxy">Expected proxy return.</param>
/// <param name="Gold">Expected gold return.</param>
public sealed record HorizonPoint(int Horizon, double Proxy, double Gold);

/// <summary>A phase transition on the capability axis: gold falls by more than half its magnitude from one level to the next.</summary>
/// <param name="From">The lower planning horizon.</param>
/// <param name="To">The next planning horizon.</param>
/// <param name="GoldBefore">Gold return at <paramref name="From"/>.</param>
/// <param name="GoldAfter">Gold return at <paramref name="To"/>.</param>
public sealed record PhaseTransition(int From, int To, double GoldBefore, double GoldAfter);
