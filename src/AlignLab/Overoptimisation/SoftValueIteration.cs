using AlignLab.Objectives;
using AlignLab.Solve;

namespace AlignLab.Overoptimisation;

/// <summary>
/// KL-regularised optimal policies, exact: soft value iteration over the model's finite,
/// undiscounted horizon. For a temperature β &gt; 0, backwards from V_H = 0:
/// Q_t = proxy backup of V_{t+1}; V_t(s) = β log Σ_a π_ref(a|s) exp(Q_t(s,a)/β) (a stable
/// log-sum-exp); π_β,t(a|s) ∝ π_ref(a|s) exp(Q_t(s,a)/β). π_β maximises
/// E[proxy return] − β·KL(π ‖ π_ref) over all (time-dependent, stochastic) policies, and the
/// same backward pass evaluates it exactly: its proxy and gold returns, and its trajectory KL
/// E_π Σ_t KL(π_t(·|s_t) ‖ π_ref(·|s_t)) (the per-state KL as the immediate term). Hence
/// V_0 = proxy − β·KL. As β → 0, π_β tends to a proxy-optimal policy (ties split in proportion
/// to π_ref); as β → ∞, to π_ref. All scratch tables are allocated once per instance.
/// </summary>
internal sealed class SoftValueIteration
{
    /// <summary>The floor of (q − max)/β: exp(−1000) is exactly 0 in double precision.</summary>
    private const double MinExponent = -1000;

    private readonly IExactModel _model;
    private readonly QBackup _proxy;
    private readonly Objective _gold;
    private readonly Objective _zero;
    private readonly ReferencePolicy _reference;
    private readonly double[] _q;
    private readonly double[] _qProxy;
    private readonly double[] _qGold;
    private readonly double[] _qKl;
    private readonly double[] _policy;
    private readonly double[] _x;
    private readonly double[] _max;
    private readonly double[] _logZ;
    private readonly double[] _inverseZ;
    private readonly double[][] _vectors;

    /// <summary>Prepares soft value iteration of <paramref name="proxy"/> over <paramref name="model"/>, evaluating <paramref name="gold"/> too.</summary>
    public SoftValueIteration(IExactModel model, QBackup proxy, Objective gold, ReferencePolicy reference)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(proxy);
        ArgumentNullException.ThrowIfNull(gold);
        ArgumentNullException.ThrowIfNull(reference);
        if (reference.StateCount != model.StateCount || reference.ActionCount != model.ActionCount)
        {
            throw new ArgumentException($"The reference policy is for {reference.StateCount} states × {reference.ActionCount} actions, the model has {model.StateCount} × {model.ActionCount}.", nameof(reference));
        }

        _model = model;
        _proxy = proxy;
        _gold = gold;
        _zero = new Objective("zero", gold.EventNames, []);
        _reference = reference;
        var pairs = model.StateCount * model.ActionCount;
        _q = new double[pairs];
        _qProxy = new double[pairs];
        _qGold = new double[pairs];
        _qKl = new double[pairs];
        _policy = new double[pairs];
        _x = new double[pairs];
        _max = new double[model.StateCount];
        _logZ = new double[model.StateCount];
        _inverseZ = new double[model.StateCount];
        _vectors = [.. Enumerable.Range(0, 8).Select(_ => new double[model.StateCount])];
    }

    /// <summary>State-action backups performed so far (four per pair and step of a solve).</summary>
    public long Backups { get; private set; }

    /// <summary>
    /// Solves for temperature <paramref name="beta"/> (&gt; 0) and evaluates π_β exactly from the
    /// model's initial distribution.
    /// </summary>
    public SoftPoint Solve(double beta)
    {
        if (!(beta > 0) || double.IsInfinity(beta))
        {
            throw new ArgumentOutOfRangeException(nameof(beta), beta, "The temperature must be positive and finite.");
        }

        var s = _model.StateCount;
        var a = _model.ActionCount;
        var (v, vn, p, pn) = (_vectors[0], _vectors[1], _vectors[2], _vectors[3]);
        var (g, gn, k, kn) = (_vectors[4], _vectors[5], _vectors[6], _vectors[7]);
        foreach (var vector in _vectors)
        {
            Array.Clear(vector);
        }

        for (var t = _model.Horizon - 1; t >= 0; t--)
        {
            _proxy(v, _q);
            _proxy(p, _qProxy);
            _model.Backup(_gold, g, _qGold);
            _model.Backup(_zero, k, _qKl);
            Backups += 4L * s * a;
            SoftRows(beta);
            for (var state = 0; state < s; state++)
            {
                var row = state * a;
                var logZ = _logZ[state];
                var inverseZ = _inverseZ[state];
                double proxy = 0, gold = 0, future = 0, weighted = 0;
                for (var action = 0; action < a; action++)
                {
                    var w = _policy[row + action] * inverseZ;
                    proxy += w * _qProxy[row + action];
                    gold += w * _qGold[row + action];
                    future += w * _qKl[row + action];
                    weighted += w * _x[row + action];
                }

                vn[state] = _max[state] + (beta * logZ);
                pn[state] = proxy;
                gn[state] = gold;
                kn[state] = Math.Max(0, weighted - logZ) + future;
            }

            (v, vn) = (vn, v);
            (p, pn) = (pn, p);
            (g, gn) = (gn, g);
            (k, kn) = (kn, k);
        }

        return new SoftPoint(beta, Math.Max(0, Initial(k)), Initial(p), Initial(g), Initial(v));
    }

    /// <summary>
    /// One soft sweep: q = proxy backup of <paramref name="vNext"/>, then per state the soft value
    /// into <paramref name="v"/> and π_β's row into <paramref name="policy"/> [s·A + a]. What
    /// <see cref="Solve"/> does per step besides evaluating; exposed for the benchmark.
    /// </summary>
    public void SoftSweep(double beta, ReadOnlySpan<double> vNext, Span<double> v, Span<double> policy)
    {
        var a = _model.ActionCount;
        _proxy(vNext, _q);
        Backups += (long)_model.StateCount * a;
        SoftRows(beta);
        for (var state = 0; state < v.Length; state++)
        {
            var row = state * a;
            var inverseZ = _inverseZ[state];
            for (var action = 0; action < a; action++)
            {
                policy[row + action] = _policy[row + action] * inverseZ;
            }

            v[state] = _max[state] + (beta * _logZ[state]);
        }
    }

    /// <summary>
    /// The batched form of <see cref="SoftState"/> over every state of <c>_q</c>, so that the
    /// exponentials and logarithms run as whole-array vector operations: leaves per state the
    /// largest allowed q in <c>_max</c>, x = (q − max)/β in <c>_x</c> (−1000 for actions π_ref
    /// forbids, whose exponential is exactly 0), π_ref·exp(x) in <c>_policy</c> (unnormalised),
    /// log Z in <c>_logZ</c> and 1/Z in <c>_inverseZ</c>. Then π = _policy·(1/Z),
    /// V = max + β log Z and KL = Σ π x − log Z.
    /// </summary>
    private void SoftRows(double beta)
    {
        var s = _model.StateCount;
        var a = _model.ActionCount;
        var reference = _reference.Probabilities;
        var inverseBeta = 1.0 / beta;
        for (var state = 0; state < s; state++)
        {
            var row = state * a;
            var m = double.NegativeInfinity;
            for (var action = 0; action < a; action++)
            {
                if (reference[row + action] > 0 && _q[row + action] > m)
                {
                    m = _q[row + action];
                }
            }

            _max[state] = m;
            for (var action = 0; action < a; action++)
            {
                _x[row + action] = reference[row + action] > 0 ? Math.Max(MinExponent, (_q[row + action] - m) * inverseBeta) : MinExponent;
            }
        }

        VectorMath.Exp(_x, _policy);
        for (var state = 0; state < s; state++)
        {
            var row = state * a;
            var z = 0.0;
            for (var action = 0; action < a; action++)
            {
                var e = reference[row + action] * _policy[row + action];
                _policy[row + action] = e;
                z += e;
            }

            _logZ[state] = z;
            _inverseZ[state] = 1.0 / z;
        }

        VectorMath.Log(_logZ, _logZ);
    }

    /// <summary>
    /// The soft value β log Σ_a π_ref(a) exp(q(a)/β) of one state, computed as
    /// m + β log Σ_a π_ref(a) exp((q(a) − m)/β) with m the largest q among actions π_ref allows;
    /// writes π(a) ∝ π_ref(a) exp(q(a)/β) and returns KL(π ‖ π_ref) = Σ_a π(a)(q(a) − m)/β − log Z.
    /// </summary>
    internal static double SoftState(ReadOnlySpan<double> q, ReadOnlySpan<double> reference, double beta, Span<double> pi, out double kl)
    {
        var m = double.NegativeInfinity;
        for (var action = 0; action < q.Length; action++)
        {
            if (reference[action] > 0 && q[action] > m)
            {
                m = q[action];
            }
        }

        var inverseBeta = 1.0 / beta;
        var z = 0.0;
        for (var action = 0; action < q.Length; action++)
        {
            var e = reference[action] > 0 ? reference[action] * Math.Exp((q[action] - m) * inverseBeta) : 0.0;
            pi[action] = e;
            z += e;
        }

        var inverseZ = 1.0 / z;
        var weighted = 0.0;
        for (var action = 0; action < q.Length; action++)
        {
            var w = pi[action] * inverseZ;
            pi[action] = w;
            if (w > 0)
            {
                weighted += w * (q[action] - m);
            }
        }

        var logZ = Math.Log(z);
        kl = Math.Max(0, (weighted * inverseBeta) - logZ);
        return m + (beta * logZ);
    }

    private double Initial(ReadOnlySpan<double> values)
    {
        var total = 0.0;
        foreach (var (state, probability) in _model.Initial)
        {
            total += probability * values[state];
        }

        return total;
    }
}

/// <summary>One KL-regularised optimal policy π_β, evaluated exactly.</summary>
/// <param name="Beta">The temperature β.</param>
/// <param name="Kl">Trajectory KL(π_β ‖ π_ref) from the initial distribution, in nats.</param>
/// <param name="Proxy">π_β's expected proxy return.</param>
/// <param name="Gold">π_β's expected gold (intended) return.</param>
/// <param name="SoftValue">V_0, the regularised objective's optimum: Proxy − β·Kl.</param>
public sealed record SoftPoint(double Beta, double Kl, double Proxy, double Gold, double SoftValue)
{
    /// <summary>√KL, the x-axis of Gao et al.'s overoptimisation curves.</summary>
    public double SqrtKl => Math.Sqrt(Kl);
}
