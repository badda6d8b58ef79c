using AlignLab.Objectives;
using AlignLab.Randomness;
using AlignLab.Solve;

namespace AlignLab.Overoptimisation;

/// <summary>
/// Best-of-n over π_ref's episodes: draw n episodes of π_ref and keep the one the proxy ranks
/// highest. Its KL from π_ref is taken analytically, KL = log n − (n−1)/n, which is exact when
/// the proxy return is continuously distributed and an upper bound when it has ties (Beirami et
/// al. 2024). Its gold and proxy returns are <b>sampled</b>: m episodes of π_ref are drawn with a
/// seeded generator, and the expected return of the chosen episode is estimated without bias by
/// the standard order-statistics estimator: with the samples sorted by proxy, the i-th smallest
/// (1-based) is the best of a random n-subset with probability C(i−1, n−1)/C(m, n). Ties in the
/// proxy are broken uniformly at random, which this estimator realises exactly by giving each
/// tied group its mean gold (proxy returns within 1e-9 relative of their sorted neighbour tie).
/// An episode's return is the sum, along its sampled states and actions, of each objective's
/// expected immediate value given (s, a) (the proxy's from a backup of the zero value function):
/// the realised return when transitions are deterministic, and always unbiased for it.
/// </summary>
internal static class BestOfN
{
    /// <summary>Relative tolerance under which two sampled proxy returns count as tied.</summary>
    public const double TieTolerance = 1e-9;

    /// <summary>KL(best-of-n ‖ π_ref) = log n − (n−1)/n.</summary>
    public static double Kl(int n)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(n);
        return Math.Log(n) - ((n - 1.0) / n);
    }

    /// <summary>
    /// Samples <paramref name="count"/> episodes of <paramref name="reference"/> from the model's
    /// initial distribution; returns their proxy and gold returns.
    /// </summary>
    public static (double[] Proxy, double[] Gold) SampleEpisodes(IExactModel model, QBackup proxy, Objective gold, ReferencePolicy reference, int count, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(proxy);
        ArgumentNullException.ThrowIfNull(gold);
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        var a = model.ActionCount;
        var zeros = new double[model.StateCount];
        var proxyImmediate = new double[model.StateCount * a];
        var goldImmediate = new double[model.StateCount * a];
        proxy(zeros, proxyImmediate);
        model.Backup(gold, zeros, goldImmediate);
        var initial = model.Initial;
        var rng = new Rng(seed);
        var proxyReturns = new double[count];
        var goldReturns = new double[count];
        for (var episode = 0; episode < count; episode++)
        {
            var state = DrawInitial(initial, ref rng);
            double p = 0, g = 0;
            for (var t = 0; t < model.Horizon && state >= 0; t++)
            {
                var action = reference.Sample(state, ref rng);
                p += proxyImmediate[(state * a) + action];
                g += goldImmediate[(state * a) + action];
                state = model.SampleNext(state, action, ref rng);
            }

            proxyReturns[episode] = p;
            goldReturns[episode] = g;
        }

        return (proxyReturns, goldReturns);
    }

    /// <summary>
    /// The unbiased estimates of the proxy and gold return of the best of <paramref name="n"/>
    /// episodes, from <paramref name="proxy"/> and <paramref name="gold"/> returns of m ≥ n
    /// sampled episodes (not modified).
    /// </summary>
    public static (double Proxy, double Gold) Estimate(ReadOnlySpan<double> proxy, ReadOnlySpan<double> gold, int n)
    {
        var m = proxy.Length;
        if (gold.Length != m)
        {
            throw new ArgumentException("The proxy and gold samples differ in number.", nameof(gold));
        }

        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(n);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(n, m);
        var (sortedProxy, sortedGold) = SortWithTiesAveraged(proxy, gold);

        // w_i = C(i−1, n−1)/C(m, n) for i = n..m (1-based), from w_m = n/m and w_{i−1}/w_i = (i−n)/(i−1).
        double w = (double)n / m, p = 0, g = 0;
        for (var i = m; i >= n; i--)
        {
            p += w * sortedProxy[i - 1];
            g += w * sortedGold[i - 1];
            if (i > 1)
            {
                w *= (double)(i - n) / (i - 1);
            }
        }

        return (p, g);
    }

    /// <summary>The samples sorted by proxy (ascending, stable), each tied group's gold replaced by its mean.</summary>
    internal static (double[] Proxy, double[] Gold) SortWithTiesAveraged(ReadOnlySpan<double> proxy, ReadOnlySpan<double> gold)
    {
        var m = proxy.Length;
        var order = new int[m];
        for (var i = 0; i < m; i++)
        {
            order[i] = i;
        }

        var keys = proxy.ToArray();
        Array.Sort(order, (x, y) => keys[x] != keys[y] ? keys[x].CompareTo(keys[y]) : x.CompareTo(y));
        var sortedProxy = new double[m];
        var sortedGold = new double[m];
        for (var i = 0; i < m; i++)
        {
            sortedProxy[i] = proxy[order[i]];
            sortedGold[i] = gold[order[i]];
        }

        var start = 0;
        while (start < m)
        {
            var end = start + 1;
            while (end < m && sortedProxy[end] - sortedProxy[end - 1] <= TieTolerance * Math.Max(1.0, Math.Abs(sortedProxy[end])))
            {
                end++;
            }

            if (end - start > 1)
            {
                double sumProxy = 0, sumGold = 0;
                for (var i = start; i < end; i++)
                {
                    sumProxy += sortedProxy[i];
                    sumGold += sortedGold[i];
                }

                for (var i = start; i < end; i++)
                {
                    sortedProxy[i] = sumProxy / (end - start);
                    sortedGold[i] = sumGold / (end - start);
                }
            }

            start = end;
        }

        return (sortedProxy, sortedGold);
    }

    private static int DrawInitial(IReadOnlyList<(int State, double Probability)> initial, ref Rng rng)
    {
        var u = rng.NextDouble();
        foreach (var (state, probability) in initial)
        {
            u -= probability;
            if (u < 0)
            {
                return state;
            }
        }

        return initial[^1].State;
    }
}

/// <summary>One point of the best-of-n curve.</summary>
/// <param name="N">Number of π_ref episodes the proxy chooses among.</param>
/// <param name="Kl">log n − (n−1)/n, analytic.</param>
/// <param name="Proxy">Expected proxy return of the chosen episode, estimated from the samples.</param>
/// <param name="Gold">Expected gold return of the chosen episode, estimated from the samples.</param>
public sealed record BestOfNPoint(int N, double Kl, double Proxy, double Gold)
{
    /// <summary>√KL.</summary>
    public double SqrtKl => Math.Sqrt(Kl);
}
