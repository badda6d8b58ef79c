using System.Diagnostics;
using AlignLab.Errors;
using AlignLab.Grid;
using AlignLab.Objectives;
using AlignLab.Solve;

namespace AlignLab.Overoptimisation;

/// <summary>
/// Exact overoptimisation curves (Gao et al. 2023; Pan et al. 2022) with the specified reward as
/// the proxy and the intended objective as gold: how the gold return moves as an optimiser pushes
/// the proxy harder. Three axes: KL-regularised optimal policies over a log-spaced sweep of β
/// (exact), best-of-n over π_ref's episodes (KL analytic, returns sampled), and a receding-horizon
/// optimiser's planning horizon (exact). π_ref is the uniformly random policy.
/// </summary>
public static class OveroptimisationAnalysis
{
    /// <summary>Solves <paramref name="world"/> exactly within <paramref name="limits"/> and measures its three overoptimisation curves.</summary>
    /// <exception cref="UserInputException">Options out of range, or a world the solver cannot take.</exception>
    /// <exception cref="SolverLimitException">The world is too large for <paramref name="limits"/>.</exception>
    public static OveroptimisationReport Analyze(GridWorld world, OveroptimisationOptions? options = null, SolverLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(world);
        options ??= new OveroptimisationOptions();
        options.Validate();
        var solution = ExactSolution.Create(world, limits);
        var model = solution.Model;
        void Proxy(ReadOnlySpan<double> v, Span<double> q) => model.Backup(world.Reward, v, q);
        return Analyze(world.Id, solution.ModelKind, model, Proxy, world.Intended, ReferencePolicy.Uniform(model.StateCount, model.ActionCount), options);
    }

    /// <summary>
    /// The three curves with a tabulated transition reward (a reward learned from preferences) as the proxy and the
    /// intended objective as gold, on the solution the table was tabulated on.
    /// </summary>
    /// <exception cref="UserInputException">Options out of range.</exception>
    public static OveroptimisationReport Analyze(ExactSolution solution, TransitionRewardTable proxy, OveroptimisationOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(solution);
        ArgumentNullException.ThrowIfNull(proxy);
        options ??= new OveroptimisationOptions();
        options.Validate();
        var model = solution.Model;
        return Analyze(solution.World.Id, solution.ModelKind, model, proxy.Backup, solution.World.Intended, ReferencePolicy.Uniform(model.StateCount, model.ActionCount), options) with { Proxy = proxy.Name };
    }

    /// <summary>The three curves for any proxy backup and reference policy over an exact model.</summary>
    internal static OveroptimisationReport Analyze(string id, string modelKind, IExactModel model, QBackup proxy, Objective gold, ReferencePolicy reference, OveroptimisationOptions options)
    {
        options.Validate();
        var clock = Stopwatch.StartNew();
        void Gold(ReadOnlySpan<double> v, Span<double> q) => model.Backup(gold, v, q);
        var referenceProxy = EvaluateStationary(model, proxy, reference.Probabilities);
        var referenceGold = EvaluateStationary(model, Gold, reference.Probabilities);
        var goldOptimal = HardOptimal(model, Gold);

        var soft = new SoftValueIteration(model, proxy, gold, reference);
        var rl = Betas(model, proxy, options).Select(soft.Solve).ToArray();
        var rlFit = GaoFits.Rl([.. rl.Select(p => p.SqrtKl)], [.. rl.Select(p => p.Gold - referenceGold)]);

        var (proxySamples, goldSamples) = BestOfN.SampleEpisodes(model, proxy, gold, reference, options.Samples, options.Seed);
        var bon = new List<BestOfNPoint>();
        for (var n = 1; n <= options.MaxBestOf; n *= 2)
        {
            var (p, g) = BestOfN.Estimate(proxySamples, goldSamples, n);
            bon.Add(new BestOfNPoint(n, BestOfN.Kl(n), p, g));
        }

        var sampledReferenceGold = bon[0].Gold;
        var bonFit = GaoFits.BestOfN([.. bon.Select(p => p.SqrtKl)], [.. bon.Select(p => p.Gold - sampledReferenceGold)]);

        var horizons = PlanningHorizonSweep.Evaluate(model, proxy, gold, PlanningHorizonSweep.Levels(model.Horizon));
        // Soft sweeps, plus per step of the horizon: π_ref's proxy and gold, the gold optimum, the
        // receding-horizon optimum and two evaluations per level; plus the immediate values.
        var pairs = (long)model.StateCount * model.ActionCount;
        var backups = soft.Backups + ((4 + (2L * horizons.Length)) * model.Horizon * pairs) + (3 * pairs);
        return new OveroptimisationReport(
            id,
            model.StateCount,
            model.ActionCount,
            model.Horizon,
            modelKind,
            referenceProxy,
            referenceGold,
            horizons[^1].Proxy,
            goldOptimal,
            rl,
            rlFit,
            RisesThenFalls([.. rl.Select(p => p.Gold)]),
            options.Samples,
            options.Seed,
            [.. bon],
            bonFit,
            RisesThenFalls([.. bon.Select(p => p.Gold)]),
            horizons,
            PlanningHorizonSweep.Transitions(horizons),
            backups,
            clock.Elapsed);
    }

    /// <summary>
    /// The β sweep, largest first: log-spaced from MaxBeta·scale·horizon down to MinBeta·scale,
    /// where scale is the largest |expected immediate proxy| over state-action pairs (1 if all are 0).
    /// </summary>
    internal static double[] Betas(IExactModel model, QBackup proxy, OveroptimisationOptions options)
    {
        var zeros = new double[model.StateCount];
        var immediate = new double[model.StateCount * model.ActionCount];
        proxy(zeros, immediate);
        var scale = 0.0;
        foreach (var r in immediate)
        {
            scale = Math.Max(scale, Math.Abs(r));
        }

        scale = scale > 0 ? scale : 1.0;
        var high = Math.Log(options.MaxBeta * scale * model.Horizon);
        var low = Math.Log(options.MinBeta * scale);
        var betas = new double[options.Betas];
        for (var i = 0; i < betas.Length; i++)
        {
            betas[i] = Math.Exp(high + ((low - high) * i / (betas.Length - 1)));
        }

        return betas;
    }

    /// <summary>
    /// Whether the gold values, in order of increasing KL, rise to a peak and then fall: the
    /// maximum is above both the first and the last value by more than 1e-6 of its magnitude (at least 1e-6).
    /// </summary>
    internal static bool RisesThenFalls(ReadOnlySpan<double> gold)
    {
        if (gold.Length < 3)
        {
            return false;
        }

        var peak = double.NegativeInfinity;
        foreach (var g in gold)
        {
            peak = Math.Max(peak, g);
        }

        var tolerance = 1e-6 * Math.Max(1.0, Math.Abs(peak));
        return peak > gold[0] + tolerance && peak > gold[^1] + tolerance;
    }

    /// <summary>The exact return of a stationary policy [s·A + a] under a backup, from the initial distribution.</summary>
    internal static double EvaluateStationary(IExactModel model, QBackup backup, ReadOnlySpan<double> policy)
    {
        var s = model.StateCount;
        var a = model.ActionCount;
        var q = new double[s * a];
        var v = new double[s];
        var next = new double[s];
        for (var t = model.Horizon - 1; t >= 0; t--)
        {
            backup(v, q);
            for (var state = 0; state < s; state++)
            {
                var value = 0.0;
                for (var action = 0; action < a; action++)
                {
                    value += policy[(state * a) + action] * q[(state * a) + action];
                }

                next[state] = value;
            }

            (v, next) = (next, v);
        }

        return Initial(model, v);
    }

    private static double HardOptimal(IExactModel model, QBackup backup)
    {
        var s = model.StateCount;
        var a = model.ActionCount;
        var q = new double[s * a];
        var v = new double[s];
        for (var t = model.Horizon - 1; t >= 0; t--)
        {
            backup(v, q);
            for (var state = 0; state < s; state++)
            {
                var best = double.NegativeInfinity;
                for (var action = 0; action < a; action++)
                {
                    best = Math.Max(best, q[(state * a) + action]);
                }

                v[state] = best;
            }
        }

        return Initial(model, v);
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

/// <summary>The settings of an overoptimisation analysis; every field is a documented hyper-parameter.</summary>
public sealed record OveroptimisationOptions
{
    /// <summary>Number of temperatures β in the KL-regularised sweep (at least 2), log-spaced.</summary>
    public int Betas { get; init; } = 17;

    /// <summary>Smallest β (near-greedy), in units of the largest |expected immediate proxy|.</summary>
    public double MinBeta { get; init; } = 1e-3;

    /// <summary>Largest β (near π_ref), in units of the largest |expected immediate proxy| times the horizon.</summary>
    public double MaxBeta { get; init; } = 100;

    /// <summary>Number m of π_ref episodes sampled for the best-of-n estimates (at least 4).</summary>
    public int Samples { get; init; } = 4096;

    /// <summary>Seed of the generator that samples π_ref's episodes.</summary>
    public ulong Seed { get; init; }

    /// <summary>Largest n of best-of-n: the largest power of two at most m/4, so that every estimate averages over at least the top quarter of the samples.</summary>
    public int MaxBestOf => (int)Math.Max(1, 1L << (int)Math.Floor(Math.Log2(Math.Max(1, Samples / 4))));

    /// <summary>Throws a <see cref="UserInputException"/> for a setting out of range.</summary>
    public void Validate()
    {
        if (Betas is < 2 or > 1000)
        {
            throw new UserInputException($"--betas must be between 2 and 1000, not {Betas}.");
        }

        if (Samples is < 4 or > 10_000_000)
        {
            throw new UserInputException($"--samples must be between 4 and 10,000,000, not {Samples}.");
        }

        if (!(MinBeta > 0 && MaxBeta > 0 && double.IsFinite(MinBeta) && double.IsFinite(MaxBeta)))
        {
            throw new UserInputException($"The β range must be positive and finite, not {MinBeta} to {MaxBeta}.");
        }
    }
}

/// <summary>The overoptimisation curves of one world (proxy = specified reward, gold = intended objective).</summary>
/// <param name="Id">The world's id.</param>
/// <param name="States">States of the exact model.</param>
/// <param name="Actions">Actions per state.</param>
/// <param name="Horizon">Episode length (undiscounted).</param>
/// <param name="Model">Kind of exact model (enumerated or factored).</param>
/// <param name="ReferenceProxy">π_ref's exact proxy return.</param>
/// <param name="ReferenceGold">π_ref's exact gold return; gains are measured from it on the RL curve.</param>
/// <param name="ProxyOptimal">The proxy's optimal return (hard value iteration).</param>
/// <param name="GoldOptimal">The gold objective's optimal return (hard value iteration).</param>
/// <param name="Rl">KL-regularised optimal policies, in order of decreasing β, so of increasing KL (exact).</param>
/// <param name="RlFit">R_RL(d) = d(α − β log d) fitted to the RL curve's gold gain.</param>
/// <param name="RlRisesThenFalls">Whether gold rises to a peak and then falls along the RL curve.</param>
/// <param name="Samples">Number m of π_ref episodes sampled for best-of-n.</param>
/// <param name="Seed">The sampling seed.</param>
/// <param name="BestOfN">Best-of-n points for n = 1, 2, 4, … (KL analytic, returns sampled); n = 1 is the sample mean of π_ref, from which gains are measured.</param>
/// <param name="BestOfNFit">R_bon(d) = d(α − βd) fitted to the best-of-n curve's gold gain.</param>
/// <param name="BestOfNRisesThenFalls">Whether gold rises to a peak and then falls along the best-of-n curve.</param>
/// <param name="Horizons">The receding-horizon optimiser at h = 1, 2, 4, …, horizon (exact).</param>
/// <param name="Transitions">Adjacent planning horizons between which gold falls by more than half its magnitude.</param>
/// <param name="Backups">State-action backups performed by the dynamic programming.</param>
/// <param name="Elapsed">Time the analysis took (model building excluded).</param>
public sealed record OveroptimisationReport(
    string Id,
    int States,
    int Actions,
    int Horizon,
    string Model,
    double ReferenceProxy,
    double ReferenceGold,
    double ProxyOptimal,
    double GoldOptimal,
    IReadOnlyList<SoftPoint> Rl,
    GaoFit RlFit,
    bool RlRisesThenFalls,
    int Samples,
    ulong Seed,
    IReadOnlyList<BestOfNPoint> BestOfN,
    GaoFit BestOfNFit,
    bool BestOfNRisesThenFalls,
    IReadOnlyList<HorizonPoint> Horizons,
    IReadOnlyList<PhaseTransition> Transitions,
    long Backups,
    TimeSpan Elapsed)
{
    /// <summary>What the proxy is: the specified reward, or a learned reward's name.</summary>
    public string Proxy { get; init; } = "specified reward";
}
