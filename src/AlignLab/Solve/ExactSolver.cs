using AlignLab.Objectives;
using AlignLab.Randomness;

namespace AlignLab.Solve;

/// <summary>
/// Finite-horizon dynamic programming over an exact model: optimal values and policies for any
/// objective, the exact value of any stationary (possibly stochastic) policy, and the range of a
/// second objective over all policies that are optimal for a first one (ties).
/// </summary>
internal sealed class ExactSolver(IExactModel model)
{
    /// <summary>Relative tolerance under which two action values count as tied.</summary>
    public const double TieTolerance = 1e-9;

    public IExactModel Model { get; } = model;

    /// <summary>State-action backups performed so far (for speed reports).</summary>
    public long Backups { get; private set; }

    /// <summary>
    /// The optimal value of <paramref name="primary"/>, and over the policies optimal for it, the
    /// best and worst expected return of <paramref name="secondary"/>. Also returns the
    /// time-dependent action choices realising the best and the worst case, as [t·S + s].
    /// </summary>
    public TieRange RangeAmongOptimal(Objective primary, Objective secondary)
    {
        var s = Model.StateCount;
        var a = Model.ActionCount;
        var horizon = Model.Horizon;
        var vp = new double[s];
        var vmax = new double[s];
        var vmin = new double[s];
        var np = new double[s];
        var nmax = new double[s];
        var nmin = new double[s];
        var qp = new double[s * a];
        var qmax = new double[s * a];
        var qmin = new double[s * a];
        var bestPolicy = new byte[horizon * s];
        var worstPolicy = new byte[horizon * s];
        for (var t = horizon - 1; t >= 0; t--)
        {
            Model.Backup(primary, vp, qp);
            Model.Backup(secondary, vmax, qmax);
            Model.Backup(secondary, vmin, qmin);
            Backups += 3 * Model.BackupsPerSweep;
            for (var state = 0; state < s; state++)
            {
                var row = state * a;
                var best = double.NegativeInfinity;
                for (var action = 0; action < a; action++)
                {
                    best = Math.Max(best, qp[row + action]);
                }

                var tolerance = TieTolerance * Math.Max(1.0, Math.Abs(best));
                var hi = double.NegativeInfinity;
                var lo = double.PositiveInfinity;
                int hiAction = 0, loAction = 0;
                for (var action = 0; action < a; action++)
                {
                    if (qp[row + action] >= best - tolerance)
                    {
                        if (qmax[row + action] > hi)
                        {
                            hi = qmax[row + action];
                            hiAction = action;
                        }

                        if (qmin[row + action] < lo)
                        {
                            lo = qmin[row + action];
                            loAction = action;
                        }
                    }
                }

                np[state] = best;
                nmax[state] = hi;
                nmin[state] = lo;
                bestPolicy[(t * s) + state] = (byte)hiAction;
                worstPolicy[(t * s) + state] = (byte)loAction;
            }

            (vp, np) = (np, vp);
            (vmax, nmax) = (nmax, vmax);
            (vmin, nmin) = (nmin, vmin);
        }

        return new TieRange(InitialValue(vp), InitialValue(vmax), InitialValue(vmin), bestPolicy, worstPolicy);
    }

    /// <summary>The optimal expected return of <paramref name="objective"/> from the initial distribution.</summary>
    public double Optimal(Objective objective)
    {
        var s = Model.StateCount;
        var a = Model.ActionCount;
        var v = new double[s];
        var next = new double[s];
        var q = new double[s * a];
        for (var t = Model.Horizon - 1; t >= 0; t--)
        {
            Model.Backup(objective, v, q);
            Backups += Model.BackupsPerSweep;
            for (var state = 0; state < s; state++)
            {
                var row = state * a;
                var best = q[row];
                for (var action = 1; action < a; action++)
                {
                    best = Math.Max(best, q[row + action]);
                }

                next[state] = best;
            }

            (v, next) = (next, v);
        }

        return InitialValue(v);
    }

    /// <summary>
    /// The exact expected return of a stationary policy, given as probabilities
    /// <paramref name="policy"/>[s·A + a] (each row sums to 1).
    /// </summary>
    public double Evaluate(Objective objective, ReadOnlySpan<double> policy)
    {
        var s = Model.StateCount;
        var a = Model.ActionCount;
        if (policy.Length != s * a)
        {
            throw new ArgumentException($"A policy needs {s * a} probabilities (states × actions), got {policy.Length}.", nameof(policy));
        }

        var v = new double[s];
        var next = new double[s];
        var q = new double[s * a];
        for (var t = Model.Horizon - 1; t >= 0; t--)
        {
            Model.Backup(objective, v, q);
            Backups += Model.BackupsPerSweep;
            for (var state = 0; state < s; state++)
            {
                var row = state * a;
                var value = 0.0;
                for (var action = 0; action < a; action++)
                {
                    value += policy[row + action] * q[row + action];
                }

                next[state] = value;
            }

            (v, next) = (next, v);
        }

        return InitialValue(v);
    }

    /// <summary>The exact expected return of the uniformly random policy.</summary>
    public double Random(Objective objective)
    {
        var uniform = new double[Model.StateCount * Model.ActionCount];
        Array.Fill(uniform, 1.0 / Model.ActionCount);
        return Evaluate(objective, uniform);
    }

    /// <summary>
    /// Follows a time-dependent deterministic policy ([t·S + s]) from the most likely initial
    /// state, sampling stochastic transitions with <paramref name="rng"/>; returns the action
    /// indices taken and the states visited.
    /// </summary>
    public (List<int> Actions, List<int> States) Rollout(byte[] policy, ref Rng rng)
    {
        var s = Model.StateCount;
        var state = Model.Initial.MaxBy(i => i.Probability).State;
        var actions = new List<int>();
        var states = new List<int> { state };
        for (var t = 0; t < Model.Horizon && state >= 0; t++)
        {
            var action = policy[(t * s) + state];
            actions.Add(action);
            state = Model.SampleNext(state, action, ref rng);
            if (state >= 0)
            {
                states.Add(state);
            }
        }

        return (actions, states);
    }

    private double InitialValue(ReadOnlySpan<double> v)
    {
        var total = 0.0;
        foreach (var (state, probability) in Model.Initial)
        {
            total += probability * v[state];
        }

        return total;
    }
}

/// <summary>Values of a primary objective's optimum and the range of a secondary objective over its tied optimal policies.</summary>
/// <param name="PrimaryOptimal">Optimal expected return of the primary objective.</param>
/// <param name="SecondaryBest">Best expected return of the secondary objective among primary-optimal policies.</param>
/// <param name="SecondaryWorst">Worst expected return of the secondary objective among primary-optimal policies.</param>
/// <param name="BestPolicy">Actions realising the best case, [t·S + s].</param>
/// <param name="WorstPolicy">Actions realising the worst case, [t·S + s].</param>
internal sealed record TieRange(double PrimaryOptimal, double SecondaryBest, double SecondaryWorst, byte[] BestPolicy, byte[] WorstPolicy);
