using AlignLab.Overoptimisation;
using AlignLab.Randomness;
using AlignLab.Scenarios;
using AlignLab.Solve;
using CsCheck;

namespace AlignLab.Tests.Overoptimisation;

/// <summary>Best-of-n: the analytic KL against brute force, the unbiased estimator against every n-subset, and determinism of the sampling.</summary>
public sealed class BestOfNTests
{
    /// <summary>KL(best-of-n ‖ uniform) over K distinct equally likely outcomes, by brute force over the n draws' maximum.</summary>
    private static double BruteForceKl(int outcomes, int n)
    {
        var kl = 0.0;
        for (var k = 1; k <= outcomes; k++)
        {
            // P(max = k) = (k/K)^n − ((k−1)/K)^n.
            var p = Math.Pow((double)k / outcomes, n) - Math.Pow((k - 1.0) / outcomes, n);
            if (p > 0)
            {
                kl += p * Math.Log(p * outcomes);
            }
        }

        return kl;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(8)]
    [InlineData(64)]
    public void TheAnalyticKlIsTheContinuumLimitAndAnUpperBoundOfTheDiscreteCase(int n)
    {
        Assert.Equal(0, BestOfN.Kl(1));
        var formula = BestOfN.Kl(n);
        var previousGap = double.PositiveInfinity;
        foreach (var outcomes in new[] { 4, 40, 400, 40_000 })
        {
            var brute = BruteForceKl(outcomes, n);
            Assert.True(brute <= formula + 1e-12, $"K = {outcomes}: brute force {brute} > formula {formula}");
            var gap = formula - brute;
            Assert.True(gap <= previousGap + 1e-12);
            previousGap = gap;
        }

        Assert.InRange(previousGap, -1e-12, 1e-3);
    }

    /// <summary>The expected proxy and gold of the chosen episode, averaged over every n-subset of the samples (ties broken uniformly).</summary>
    private static (double Proxy, double Gold) EverySubset(double[] proxy, double[] gold, int n)
    {
        var m = proxy.Length;
        double sumP = 0, sumG = 0;
        var subsets = 0;
        for (var mask = 0; mask < 1 << m; mask++)
        {
            if (System.Numerics.BitOperations.PopCount((uint)mask) != n)
            {
                continue;
            }

            var best = double.NegativeInfinity;
            for (var i = 0; i < m; i++)
            {
                if ((mask >> i & 1) == 1)
                {
                    best = Math.Max(best, proxy[i]);
                }
            }

            double g = 0;
            var tied = 0;
            for (var i = 0; i < m; i++)
            {
                if ((mask >> i & 1) == 1 && proxy[i] == best)
                {
                    g += gold[i];
                    tied++;
                }
            }

            sumP += best;
            sumG += g / tied;
            subsets++;
        }

        return (sumP / subsets, sumG / subsets);
    }

    [Fact]
    public void TheEstimatorEqualsTheAverageOverEveryNSubsetWithTiesBrokenUniformly() =>
        Gen.Select(Gen.Int[0, 4].Array[2, 11], Gen.Double[-5, 5].Array[11], Gen.Int[1, 11]).Sample((levels, golds, n) =>
        {
            // Few distinct proxy values, so ties are common.
            var m = levels.Length;
            n = Math.Min(n, m);
            var proxy = levels.Select(l => (double)l).ToArray();
            var gold = golds[..m];
            var (p, g) = BestOfN.Estimate(proxy, gold, n);
            var (bp, bg) = EverySubset(proxy, gold, n);
            Assert.Equal(bp, p, 1e-9);
            Assert.Equal(bg, g, 1e-9);
        }, iter: 300);

    [Fact]
    public void BestOfOneIsTheSampleMeanAndBestOfAllIsTheTopGroup()
    {
        double[] proxy = [3, 1, 3, 2];
        double[] gold = [10, 0, 20, 5];
        var (p1, g1) = BestOfN.Estimate(proxy, gold, 1);
        Assert.Equal(2.25, p1, 1e-12);
        Assert.Equal(8.75, g1, 1e-12);
        var (p4, g4) = BestOfN.Estimate(proxy, gold, 4);
        Assert.Equal(3, p4, 1e-12);
        Assert.Equal(15, g4, 1e-12);
        Assert.Equal((double[])[1, 2, 3, 3], BestOfN.SortWithTiesAveraged(proxy, gold).Proxy);
    }

    [Fact]
    public void SamplingIsDeterministicInTheSeedAndUnbiasedForTheReferencePolicy()
    {
        var world = ScenarioRegistry.BuiltIn.Get("ConveyorBelt-v0").Build();
        var solution = ExactSolution.Create(world);
        var model = solution.Model;
        void Proxy(ReadOnlySpan<double> v, Span<double> q) => model.Backup(world.Reward, v, q);
        var reference = ReferencePolicy.Uniform(model.StateCount, model.ActionCount);
        var a = BestOfN.SampleEpisodes(model, Proxy, world.Intended, reference, 2000, seed: 7);
        var b = BestOfN.SampleEpisodes(model, Proxy, world.Intended, reference, 2000, seed: 7);
        var c = BestOfN.SampleEpisodes(model, Proxy, world.Intended, reference, 2000, seed: 8);
        Assert.Equal(a.Proxy, b.Proxy);
        Assert.Equal(a.Gold, b.Gold);
        Assert.NotEqual(a.Gold, c.Gold);

        // The sample means are within five standard errors of π_ref's exact returns.
        foreach (var (samples, exact) in new[] { (a.Proxy, solution.RandomValue(world.Reward)), (a.Gold, solution.RandomValue(world.Intended)) })
        {
            var mean = samples.Average();
            var se = Math.Sqrt(samples.Sum(x => (x - mean) * (x - mean)) / (samples.Length - 1) / samples.Length);
            Assert.InRange(mean, exact - (5 * se), exact + (5 * se));
        }
    }

    [Fact]
    public void EpisodesOfTheTinyMdpAddExpectedImmediateValuesAlongTheSampledPath()
    {
        var model = new TinyMdp();
        var reference = ReferencePolicy.Uniform(2, 2);
        var (proxy, gold) = BestOfN.SampleEpisodes(model, (v, q) => model.Backup(TinyMdp.Proxy, v, q), TinyMdp.Gold, reference, 20_000, seed: 3);
        var exactProxy = OveroptimisationAnalysis.EvaluateStationary(model, (v, q) => model.Backup(TinyMdp.Proxy, v, q), reference.Probabilities);
        var exactGold = OveroptimisationAnalysis.EvaluateStationary(model, (v, q) => model.Backup(TinyMdp.Gold, v, q), reference.Probabilities);
        Assert.Equal(exactProxy, proxy.Average(), 1e-1);
        Assert.Equal(exactGold, gold.Average(), 1e-1);
        var rng = new Rng(3);
        Assert.InRange(reference.Sample(0, ref rng), 0, 1);
    }
}
