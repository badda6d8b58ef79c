using AlignLab.Nn;
using AlignLab.Objectives;
using AlignLab.Randomness;

namespace AlignLab.Solve;

/// <summary>
/// Finite-horizon dynamic programming over an exact model: optimal values and policies for any
/// objective, the exact value of any stationary (possibly stochastic) policy, and the range of a
/// second objective over all policies that are optimal for a first one (ties).
/// </summary>
internal sealed unsafe class ExactSolver(IExactModel model)
{
    /// <summary>States per piece of a parallel per-state step (fixed, so pieces never depend on the thread count).</summary>
    internal const int StatesPerPiece = 4096;

    /// <summary>Relative tolerance under which two action values count as tied.</summary>
    public const double TieTolerance = 1e-9;

    // Scratch tables reused by every sweep (one state-action table, two state vectors), so that a
    // large model's repeated solves allocate them once instead of leaving garbage of their size.
    private double[]? _q;
    private double[]? _v;
    private double[]? _next;
    private PieceBox? _work;

    public IExactModel Model { get; } = model;

    /// <summary>State-action backups performed so far (for speed reports).</summary>
    public long Backups { get; private set; }

    /// <summary>
    /// The optimal value of <paramref name="primary"/>, and over the policies optimal for it, the
    /// best and worst expected return of <paramref name="secondary"/>. Also returns the
    /// time-dependent action choices realising the best and the worst case, as [t·S + s]: the
    /// best case's action in the low four bits, the worst case's in the high four.
    /// </summary>
    public TieRange RangeAmongOptimal(Objective primary, Objective secondary) => RangeAmongOptimal(For(primary), For(secondary));

    /// <summary>
    /// <see cref="RangeAmongOptimal(Objective, Objective)"/> for rewards given by their backups
    /// (a tabulated transition reward, an objective).
    /// </summary>
    public TieRange RangeAmongOptimal(QBackup primary, QBackup secondary)
    {
        var s = Model.StateCount;
        var a = Model.ActionCount;
        var horizon = Model.Horizon;
        var (qp, vp, np) = Scratch();
        Array.Clear(vp);
        var vmax = new double[s];
        var vmin = new double[s];
        var nmax = new double[s];
        var nmin = new double[s];
        var qmax = new double[s * a];
        var qmin = new double[s * a];
        if (a > 16)
        {
            throw new InvalidOperationException($"The tie-break policies hold at most 16 actions, not {a}.");
        }

        var policies = new byte[horizon * s];
        for (var t = horizon - 1; t >= 0; t--)
        {
            primary(vp, qp);
            secondary(vmax, qmax);
            secondary(vmin, qmin);
            Backups += 3 * Model.BackupsPerSweep;
            fixed (double* pqp = qp, pqmax = qmax, pqmin = qmin, pnp = np, pnmax = nmax, pnmin = nmin)
            fixed (byte* ppol = policies)
            {
                var job = new TieStep(pqp, pqmax, pqmin, pnp, pnmax, pnmin, ppol + ((long)t * s), s, a);
                RunStates(&TieStates, &job, s);
            }

            (vp, np) = (np, vp);
            (vmax, nmax) = (nmax, vmax);
            (vmin, nmin) = (nmin, vmin);
        }

        return new TieRange(InitialValue(vp), InitialValue(vmax), InitialValue(vmin), policies);
    }

    /// <summary>The optimal expected return of <paramref name="objective"/> from the initial distribution.</summary>
    public double Optimal(Objective objective) => Optimal(For(objective));

    /// <summary>The optimal expected return of the reward whose backup is <paramref name="backup"/>.</summary>
    public double Optimal(QBackup backup)
    {
        var s = Model.StateCount;
        var a = Model.ActionCount;
        var (q, v, next) = Scratch();
        Array.Clear(v);
        for (var t = Model.Horizon - 1; t >= 0; t--)
        {
            backup(v, q);
            Backups += Model.BackupsPerSweep;
            fixed (double* pq = q, pnext = next)
            {
                var job = new StateStep(pq, pnext, null, a, s, uniform: false);
                RunStates(&MaxStates, &job, s);
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

        return Evaluate(For(objective), policy, uniform: false);
    }

    /// <summary>The exact expected return of the uniformly random policy.</summary>
    public double Random(Objective objective) => Evaluate(For(objective), default, uniform: true);

    /// <summary>The exact expected return of the uniformly random policy on the reward whose backup is <paramref name="backup"/>.</summary>
    public double Random(QBackup backup) => Evaluate(backup, default, uniform: true);

    /// <summary>The backup sweep of an objective over this model.</summary>
    public QBackup For(Objective objective) => (vNext, q) => Model.Backup(objective, vNext, q);

    private double Evaluate(QBackup backup, ReadOnlySpan<double> policy, bool uniform)
    {
        var s = Model.StateCount;
        var a = Model.ActionCount;
        var (q, v, next) = Scratch();
        Array.Clear(v);
        for (var t = Model.Horizon - 1; t >= 0; t--)
        {
            backup(v, q);
            Backups += Model.BackupsPerSweep;
            fixed (double* pq = q, pnext = next, ppolicy = policy)
            {
                var job = new StateStep(pq, pnext, ppolicy, a, s, uniform);
                RunStates(&ExpectedStates, &job, s);
            }

            (v, next) = (next, v);
        }

        return InitialValue(v);
    }

    /// <summary>
    /// Follows one of the two time-dependent deterministic policies packed in
    /// <paramref name="policies"/> ([t·S + s], as <see cref="RangeAmongOptimal(Objective, Objective)"/> returns them:
    /// the worst case when <paramref name="worst"/>, else the best) from the most likely initial
    /// state, sampling stochastic transitions with <paramref name="rng"/>; returns the action
    /// indices taken and the states visited.
    /// </summary>
    public (List<int> Actions, List<int> States) Rollout(byte[] policies, bool worst, ref Rng rng)
    {
        var s = Model.StateCount;
        var state = Model.Initial.MaxBy(i => i.Probability).State;
        var actions = new List<int>();
        var states = new List<int> { state };
        for (var t = 0; t < Model.Horizon && state >= 0; t++)
        {
            var packed = policies[(t * s) + state];
            var action = worst ? packed >> 4 : packed & 0xF;
            actions.Add(action);
            state = Model.SampleNext(state, action, ref rng);
            if (state >= 0)
            {
                states.Add(state);
            }
        }

        return (actions, states);
    }

    /// <summary>Runs a per-state step in pieces of <see cref="StatesPerPiece"/> states on the worker pool.</summary>
    private void RunStates(delegate*<void*, int, void> run, void* job, int states)
    {
        var work = _work ??= new PieceBox();
        work.Set(run, job);
        WorkerPool.For((states + StatesPerPiece - 1) / StatesPerPiece, work);
    }

    /// <summary>next[s] = max_a q[s·A + a] for the piece's states.</summary>
    private static void MaxStates(void* state, int piece)
    {
        ref var job = ref *(StateStep*)state;
        var (from, to) = Range(piece, job.States);
        int a = job.Actions;
        for (var s = from; s < to; s++)
        {
            var row = s * a;
            var best = job.Q[row];
            for (var action = 1; action < a; action++)
            {
                best = Math.Max(best, job.Q[row + action]);
            }

            job.Next[s] = best;
        }
    }

    /// <summary>next[s] = Σ_a π(a|s)·q[s·A + a] (π uniform or given) for the piece's states.</summary>
    private static void ExpectedStates(void* state, int piece)
    {
        ref var job = ref *(StateStep*)state;
        var (from, to) = Range(piece, job.States);
        int a = job.Actions;
        var weight = 1.0 / a;
        for (var s = from; s < to; s++)
        {
            var row = s * a;
            var value = 0.0;
            for (var action = 0; action < a; action++)
            {
                value += (job.Uniform ? weight : job.Policy[row + action]) * job.Q[row + action];
            }

            job.Next[s] = value;
        }
    }

    /// <summary>The tie-break step of <see cref="RangeAmongOptimal(QBackup, QBackup)"/> for the piece's states.</summary>
    private static void TieStates(void* state, int piece)
    {
        ref var job = ref *(TieStep*)state;
        var (from, to) = Range(piece, job.States);
        int a = job.Actions;
        for (var s = from; s < to; s++)
        {
            var row = s * a;
            var best = double.NegativeInfinity;
            for (var action = 0; action < a; action++)
            {
                best = Math.Max(best, job.Qp[row + action]);
            }

            var tolerance = TieTolerance * Math.Max(1.0, Math.Abs(best));
            var hi = double.NegativeInfinity;
            var lo = double.PositiveInfinity;
            int hiAction = 0, loAction = 0;
            for (var action = 0; action < a; action++)
            {
                if (job.Qp[row + action] >= best - tolerance)
                {
                    if (job.Qmax[row + action] > hi)
                    {
                        hi = job.Qmax[row + action];
                        hiAction = action;
                    }

                    if (job.Qmin[row + action] < lo)
                    {
                        lo = job.Qmin[row + action];
                        loAction = action;
                    }
                }
            }

            job.Np[s] = best;
            job.Nmax[s] = hi;
            job.Nmin[s] = lo;
            job.Policies[s] = (byte)(hiAction | (loAction << 4));
        }
    }

    private static (int From, int To) Range(int piece, int states) => (piece * StatesPerPiece, Math.Min(states, (piece + 1) * StatesPerPiece));

    /// <summary>The reused state-action table and two state vectors, allocated on first use.</summary>
    private (double[] Q, double[] V, double[] Next) Scratch()
    {
        _q ??= new double[Model.StateCount * Model.ActionCount];
        _v ??= new double[Model.StateCount];
        _next ??= new double[Model.StateCount];
        return (_q, _v, _next);
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
/// <param name="Policies">Actions realising the best case (low four bits) and the worst case (high four bits), [t·S + s].</param>
internal sealed record TieRange(double PrimaryOptimal, double SecondaryBest, double SecondaryWorst, byte[] Policies);

/// <summary>Operands of a per-state step of the exact solver (pinned by the caller for the length of the call).</summary>
internal readonly unsafe struct StateStep(double* q, double* next, double* policy, int actions, int states, bool uniform)
{
    public readonly double* Q = q;
    public readonly double* Next = next;
    public readonly double* Policy = policy;
    public readonly int Actions = actions;
    public readonly int States = states;
    public readonly bool Uniform = uniform;
}

/// <summary>Operands of the tie-break step: the three action-value tables, the three next-value vectors and this step's policy row.</summary>
internal readonly unsafe struct TieStep(double* qp, double* qmax, double* qmin, double* np, double* nmax, double* nmin, byte* policies, int states, int actions)
{
    public readonly double* Qp = qp;
    public readonly double* Qmax = qmax;
    public readonly double* Qmin = qmin;
    public readonly double* Np = np;
    public readonly double* Nmax = nmax;
    public readonly double* Nmin = nmin;
    public readonly byte* Policies = policies;
    public readonly int States = states;
    public readonly int Actions = actions;
}
