using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
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
/// With four actions (every grid world) and AVX2 with FMA, each step runs in one fused pass over blocks of
/// four states: a block's four q rows are transposed into four action columns, so the max, the
/// exponentials, Z, log Z and the evaluation sums are all lane-wise over four states at once, in
/// the same order of operations as the general path (its exponential, <see cref="VectorMath.ExpNonPositive"/>,
/// is inlined and within an ulp of the general path's).
/// </summary>
internal sealed class SoftValueIteration
{
    /// <summary>
    /// The floor of x = (q − max)/β, standing for exp(x) = 0: the most negative argument the
    /// vectorised exponentials take (the runtime's falls back to a slow scalar loop for the whole
    /// vector below it), and e^−708 ≈ 3·10^−308 is far below the rounding of Z ≥ the largest term.
    /// </summary>
    private const double MinExponent = VectorMath.MinExpArgument;

    private readonly IExactModel _model;
    private readonly QBackup _proxy;
    private readonly Objective _gold;
    private readonly Objective _zero;
    private readonly ReferencePolicy _reference;
    private readonly bool _fourWide;
    private readonly int _pairs;
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

    /// <summary>π_ref in blocks of four states, action-major, [16·block + 4·a + lane]. Four-wide path only.</summary>
    private readonly double[] _referenceColumns;

    /// <summary>Doubles from one block of <see cref="_referenceColumns"/> to the next: 16, or 0 where π_ref is the same in every state.</summary>
    private readonly int _referenceStride;

    /// <summary>The outputs of <see cref="SoftSweep"/> for a last, partial block of four states.</summary>
    private readonly double[] _tailPolicy = new double[16];
    private readonly double[] _tailValue = new double[4];

    /// <summary>Prepares soft value iteration of <paramref name="proxy"/> over <paramref name="model"/>, evaluating <paramref name="gold"/> too.</summary>
    /// <param name="model">The exact model.</param>
    /// <param name="proxy">The proxy objective's backup (the optimised reward).</param>
    /// <param name="gold">The gold objective, evaluated.</param>
    /// <param name="reference">π_ref.</param>
    /// <param name="allowFourWide">Whether a four-action model may run four states at a time (with AVX2 and FMA); tests turn it off to compare with the general path.</param>
    public SoftValueIteration(IExactModel model, QBackup proxy, Objective gold, ReferencePolicy reference, bool allowFourWide = true)
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
        _pairs = model.StateCount * model.ActionCount;
        _fourWide = allowFourWide && model.ActionCount == 4 && Avx2.IsSupported && Fma.IsSupported;

        // The four-wide path reads whole blocks of four states, so its q tables and value vectors
        // are padded to a multiple of four states (the padding's q stays 0, its π_ref is uniform or
        // the one row of a π_ref that is the same everywhere; its outputs are never read).
        var blocks = (model.StateCount + 3) / 4;
        var states = _fourWide ? 4 * blocks : model.StateCount;
        _q = new double[states * model.ActionCount];
        _qProxy = new double[_q.Length];
        _qGold = new double[_q.Length];
        _qKl = new double[_q.Length];
        _vectors = [.. Enumerable.Range(0, 8).Select(_ => new double[states])];
        if (_fourWide)
        {
            _policy = _x = _max = _logZ = _inverseZ = [];
            // A π_ref that is the same in every state (the uniform one, say) is stored as one block
            // read for every block: a stride of 0, and no π_ref table to stream through the cache.
            var probabilities = reference.Probabilities;
            var sameEverywhere = true;
            for (var pair = 4; pair < _pairs && sameEverywhere; pair++)
            {
                sameEverywhere = probabilities[pair] == probabilities[pair % 4];
            }

            _referenceStride = sameEverywhere ? 0 : 16;
            _referenceColumns = new double[sameEverywhere ? 16 : 16 * blocks];
            for (var state = 0; state < _referenceColumns.Length / 4; state++)
            {
                for (var action = 0; action < 4; action++)
                {
                    _referenceColumns[(16 * (state / 4)) + (4 * action) + (state % 4)] = sameEverywhere ? probabilities[action] : state < model.StateCount ? probabilities[(4 * state) + action] : 0.25;
                }
            }
        }
        else
        {
            _policy = new double[_pairs];
            _x = new double[_pairs];
            _max = new double[model.StateCount];
            _logZ = new double[model.StateCount];
            _inverseZ = new double[model.StateCount];
            _referenceColumns = [];
        }
    }

    /// <summary>Whether steps run four states at a time (a four-action model on a machine with AVX2 and FMA).</summary>
    internal bool FourWide => _fourWide;

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
            _proxy(v.AsSpan(0, s), _q.AsSpan(0, _pairs));
            _proxy(p.AsSpan(0, s), _qProxy.AsSpan(0, _pairs));
            _model.Backup(_gold, g.AsSpan(0, s), _qGold.AsSpan(0, _pairs));
            _model.Backup(_zero, k.AsSpan(0, s), _qKl.AsSpan(0, _pairs));
            Backups += 4L * s * a;
            if (_fourWide)
            {
                EvaluateFourWide(beta, vn, pn, gn, kn);
            }
            else
            {
                Evaluate(beta, vn, pn, gn, kn);
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
        _proxy(vNext, _q.AsSpan(0, _pairs));
        Backups += (long)_model.StateCount * a;
        if (_fourWide)
        {
            SoftSweepFourWide(beta, v, policy);
            return;
        }

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
    /// The general path's evaluation step after the four backups: the soft value, π_β's expected
    /// proxy and gold, and its KL to go, per state into the next vectors.
    /// </summary>
    private void Evaluate(double beta, double[] vn, double[] pn, double[] gn, double[] kn)
    {
        var a = _model.ActionCount;
        SoftRows(beta);
        for (var state = 0; state < _model.StateCount; state++)
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
    }

    /// <summary>
    /// <see cref="Evaluate"/> four states at a time, in one pass: per block, <see cref="SoftBlock"/>
    /// on the block's q rows, then the expectations under π_β of the block's proxy, gold and KL
    /// rows (transposed into action columns the same way), summed over actions in order.
    /// </summary>
    private void EvaluateFourWide(double beta, double[] vn, double[] pn, double[] gn, double[] kn)
    {
        ref var q = ref MemoryMarshal.GetArrayDataReference(_q);
        ref var qProxy = ref MemoryMarshal.GetArrayDataReference(_qProxy);
        ref var qGold = ref MemoryMarshal.GetArrayDataReference(_qGold);
        ref var qKl = ref MemoryMarshal.GetArrayDataReference(_qKl);
        ref var reference = ref MemoryMarshal.GetArrayDataReference(_referenceColumns);
        var inverseBeta = Vector256.Create(1.0 / beta);
        var betas = Vector256.Create(beta);
        var blocks = vn.Length / 4;
        for (var block = 0; block < blocks; block++)
        {
            var at = (nuint)(16 * block);
            SoftBlock(ref Unsafe.Add(ref q, at), ref Unsafe.Add(ref reference, (nuint)(_referenceStride * block)), inverseBeta, out var max, out var x, out var e, out var logZ, out var inverseZ);
            var (w0, w1, w2, w3) = (e.C0 * inverseZ, e.C1 * inverseZ, e.C2 * inverseZ, e.C3 * inverseZ);
            var proxy = Expect(ref Unsafe.Add(ref qProxy, at), w0, w1, w2, w3);
            var gold = Expect(ref Unsafe.Add(ref qGold, at), w0, w1, w2, w3);
            var future = Expect(ref Unsafe.Add(ref qKl, at), w0, w1, w2, w3);
            var weighted = (((w0 * x.C0) + (w1 * x.C1)) + (w2 * x.C2)) + (w3 * x.C3);
            var state = 4 * block;
            (max + (betas * logZ)).StoreUnsafe(ref MemoryMarshal.GetArrayDataReference(vn), (nuint)state);
            proxy.StoreUnsafe(ref MemoryMarshal.GetArrayDataReference(pn), (nuint)state);
            gold.StoreUnsafe(ref MemoryMarshal.GetArrayDataReference(gn), (nuint)state);
            (Vector256.MaxNative(Vector256<double>.Zero, weighted - logZ) + future).StoreUnsafe(ref MemoryMarshal.GetArrayDataReference(kn), (nuint)state);
        }
    }

    /// <summary><see cref="SoftSweep"/>'s per-state work four states at a time (see <see cref="SoftBlock"/>).</summary>
    private void SoftSweepFourWide(double beta, Span<double> v, Span<double> policy)
    {
        ref var q = ref MemoryMarshal.GetArrayDataReference(_q);
        ref var reference = ref MemoryMarshal.GetArrayDataReference(_referenceColumns);
        var inverseBeta = Vector256.Create(1.0 / beta);
        var betas = Vector256.Create(beta);
        var states = _model.StateCount;
        var blocks = (states + 3) / 4;
        for (var block = 0; block < blocks; block++)
        {
            var at = (nuint)(16 * block);
            SoftBlock(ref Unsafe.Add(ref q, at), ref Unsafe.Add(ref reference, (nuint)(_referenceStride * block)), inverseBeta, out var max, out _, out var e, out var logZ, out var inverseZ);
            var pi = new Columns(e.C0 * inverseZ, e.C1 * inverseZ, e.C2 * inverseZ, e.C3 * inverseZ);
            Transpose(ref pi);
            var value = max + (betas * logZ);
            var state = 4 * block;
            if (state + 4 <= states)
            {
                pi.Store(policy.Slice(4 * state, 16));
                value.CopyTo(v.Slice(state, 4));
            }
            else
            {
                // The last block holds padding states: write only the real ones.
                pi.Store(_tailPolicy);
                value.CopyTo(_tailValue);
                _tailPolicy.AsSpan(0, 4 * (states - state)).CopyTo(policy[(4 * state)..]);
                _tailValue.AsSpan(0, states - state).CopyTo(v[state..]);
            }
        }
    }

    /// <summary>
    /// The soft step of four states (16 pairs) from their q rows at <paramref name="q"/> and π_ref's
    /// columns at <paramref name="reference"/>, lane per state and column per action, exactly as
    /// <see cref="SoftRows"/> does per state: the largest allowed q (<paramref name="max"/>),
    /// x = max(−708, (q − max)/β) for allowed actions and −708 otherwise, e = π_ref·exp(x) (0 where x = −708),
    /// Z = ((e₀ + e₁) + e₂) + e₃, log Z and 1/Z.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void SoftBlock(ref double q, ref double reference, Vector256<double> inverseBeta, out Vector256<double> max, out Columns x, out Columns e, out Vector256<double> logZ, out Vector256<double> inverseZ)
    {
        var c = Columns.Load(ref q);
        Transpose(ref c);
        var r = Columns.Load(ref reference);
        var zero = Vector256<double>.Zero;
        var (a0, a1, a2, a3) = (Vector256.GreaterThan(r.C0, zero), Vector256.GreaterThan(r.C1, zero), Vector256.GreaterThan(r.C2, zero), Vector256.GreaterThan(r.C3, zero));
        var none = Vector256.Create(double.NegativeInfinity);
        max = Vector256.MaxNative(
            Vector256.MaxNative(Vector256.ConditionalSelect(a0, c.C0, none), Vector256.ConditionalSelect(a1, c.C1, none)),
            Vector256.MaxNative(Vector256.ConditionalSelect(a2, c.C2, none), Vector256.ConditionalSelect(a3, c.C3, none)));
        var floor = Vector256.Create(MinExponent);
        x = new Columns(
            Vector256.ConditionalSelect(a0, Vector256.MaxNative(floor, (c.C0 - max) * inverseBeta), floor),
            Vector256.ConditionalSelect(a1, Vector256.MaxNative(floor, (c.C1 - max) * inverseBeta), floor),
            Vector256.ConditionalSelect(a2, Vector256.MaxNative(floor, (c.C2 - max) * inverseBeta), floor),
            Vector256.ConditionalSelect(a3, Vector256.MaxNative(floor, (c.C3 - max) * inverseBeta), floor));
        e = new Columns(
            Vector256.ConditionalSelect(Vector256.GreaterThan(x.C0, floor), r.C0 * VectorMath.ExpNonPositive(x.C0), zero),
            Vector256.ConditionalSelect(Vector256.GreaterThan(x.C1, floor), r.C1 * VectorMath.ExpNonPositive(x.C1), zero),
            Vector256.ConditionalSelect(Vector256.GreaterThan(x.C2, floor), r.C2 * VectorMath.ExpNonPositive(x.C2), zero),
            Vector256.ConditionalSelect(Vector256.GreaterThan(x.C3, floor), r.C3 * VectorMath.ExpNonPositive(x.C3), zero));
        var z = ((e.C0 + e.C1) + e.C2) + e.C3;
        logZ = Vector256.Log(z);
        inverseZ = Vector256<double>.One / z;
    }

    /// <summary>Σ_a w_a·y_a per lane, in action order, for the four q rows at <paramref name="rows"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<double> Expect(ref double rows, Vector256<double> w0, Vector256<double> w1, Vector256<double> w2, Vector256<double> w3)
    {
        var y = Columns.Load(ref rows);
        Transpose(ref y);
        return (((w0 * y.C0) + (w1 * y.C1)) + (w2 * y.C2)) + (w3 * y.C3);
    }

    /// <summary>Transposes a 4 × 4 block: rows (one state's four actions each) to columns (one action's four states each), and back.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose(ref Columns m)
    {
        var t0 = Avx.UnpackLow(m.C0, m.C1);
        var t1 = Avx.UnpackHigh(m.C0, m.C1);
        var t2 = Avx.UnpackLow(m.C2, m.C3);
        var t3 = Avx.UnpackHigh(m.C2, m.C3);
        m = new Columns(Avx.Permute2x128(t0, t2, 0x20), Avx.Permute2x128(t1, t3, 0x20), Avx.Permute2x128(t0, t2, 0x31), Avx.Permute2x128(t1, t3, 0x31));
    }

    /// <summary>Four vectors of four doubles: a 4 × 4 block of 16 consecutive doubles.</summary>
    private readonly record struct Columns(Vector256<double> C0, Vector256<double> C1, Vector256<double> C2, Vector256<double> C3)
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Columns Load(ref double at) =>
            new(Vector256.LoadUnsafe(ref at), Vector256.LoadUnsafe(ref at, 4), Vector256.LoadUnsafe(ref at, 8), Vector256.LoadUnsafe(ref at, 12));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Store(Span<double> to)
        {
            C0.CopyTo(to);
            C1.CopyTo(to[4..]);
            C2.CopyTo(to[8..]);
            C3.CopyTo(to[12..]);
        }
    }

    /// <summary>
    /// The batched form of <see cref="SoftState"/> over every state of <c>_q</c>, so that the
    /// exponentials and logarithms run as whole-array vector operations: leaves per state the
    /// largest allowed q in <c>_max</c>, x = (q − max)/β in <c>_x</c> (floored at −708,
    /// as for actions π_ref forbids, and then standing for exp(x) = 0), π_ref·exp(x) in <c>_policy</c> (unnormalised),
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
                var e = _x[row + action] > MinExponent ? reference[row + action] * _policy[row + action] : 0.0;
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
