using AlignLab.Overoptimisation;
using AlignLab.Scenarios;
using AlignLab.Solve;
using CsCheck;

namespace AlignLab.Tests.Overoptimisation;

/// <summary>Soft value iteration: against brute-force trajectory enumeration on a tiny MDP, and against hard value iteration on built-in levels.</summary>
public sealed class SoftValueIterationTests
{
    // A non-uniform reference policy, so that π_ref's weights are exercised.
    private static readonly double[] Reference = [0.3, 0.7, 0.5, 0.5];

    private static SoftValueIteration TinySolver()
    {
        var model = new TinyMdp();
        return new SoftValueIteration(model, (v, q) => model.Backup(TinyMdp.Proxy, v, q), TinyMdp.Gold, new ReferencePolicy(2, 2, Reference));
    }

    /// <summary>
    /// Exact proxy, gold and trajectory KL of a time-dependent policy on the tiny MDP, by
    /// enumerating every trajectory; <paramref name="first"/>[t·2 + s] is π_t(action 0 | s).
    /// </summary>
    private static (double Proxy, double Gold, double Kl) Enumerate(ReadOnlySpan<double> first)
    {
        double proxy = 0, gold = 0, kl = 0;
        var model = new TinyMdp();
        foreach (var (s0, p0) in model.Initial)
        {
            for (var a0 = 0; a0 < 2; a0++)
            {
                var w0 = p0 * Prob(first, 0, s0, a0);
                if (w0 > 0)
                {
                    kl += w0 * Math.Log(Prob(first, 0, s0, a0) / Reference[(s0 * 2) + a0]);
                }

                foreach (var (q0, s1, r0, g0) in TinyMdp.Of(s0, a0))
                {
                    proxy += w0 * q0 * r0;
                    gold += w0 * q0 * g0;
                    if (s1 < 0)
                    {
                        continue;
                    }

                    for (var a1 = 0; a1 < 2; a1++)
                    {
                        var w1 = w0 * q0 * Prob(first, 1, s1, a1);
                        if (w1 > 0)
                        {
                            kl += w1 * Math.Log(Prob(first, 1, s1, a1) / Reference[(s1 * 2) + a1]);
                        }

                        foreach (var (q1, _, r1, g1) in TinyMdp.Of(s1, a1))
                        {
                            proxy += w1 * q1 * r1;
                            gold += w1 * q1 * g1;
                        }
                    }
                }
            }
        }

        return (proxy, gold, kl);
    }

    private static double Prob(ReadOnlySpan<double> first, int t, int s, int a) => a == 0 ? first[(t * 2) + s] : 1 - first[(t * 2) + s];

    [Theory]
    [InlineData(0.1)]
    [InlineData(1.0)]
    [InlineData(7.0)]
    public void TheSoftOptimumBeatsEveryPolicyOnAGridAndIsNearlyReachedByTheBestOfThem(double beta)
    {
        var point = TinySolver().Solve(beta);
        var best = double.NegativeInfinity;
        Span<double> p = stackalloc double[4];
        const int Steps = 20;
        for (var i = 0; i < (Steps + 1) * (Steps + 1) * (Steps + 1) * (Steps + 1); i++)
        {
            p[0] = (i % (Steps + 1)) / (double)Steps;
            p[1] = (i / (Steps + 1) % (Steps + 1)) / (double)Steps;
            p[2] = (i / (Steps + 1) / (Steps + 1) % (Steps + 1)) / (double)Steps;
            p[3] = (i / (Steps + 1) / (Steps + 1) / (Steps + 1) % (Steps + 1)) / (double)Steps;
            var (proxy, _, kl) = Enumerate(p);
            var objective = proxy - (beta * kl);
            Assert.True(objective <= point.SoftValue + 1e-12, $"policy ({p[0]}, {p[1]}, {p[2]}, {p[3]}) gets {objective} > V0 {point.SoftValue}");
            best = Math.Max(best, objective);
        }

        Assert.InRange(point.SoftValue - best, 0, 0.02);
    }

    [Fact]
    public void NoRandomStochasticPolicyBeatsTheSoftOptimum() =>
        Gen.Select(Gen.Double[0, 1].Array[4], Gen.Double[0.02, 50]).Sample((p, beta) =>
        {
            var point = TinySolver().Solve(beta);
            var (proxy, _, kl) = Enumerate(p);
            return proxy - (beta * kl) <= point.SoftValue + 1e-12;
        }, iter: 500);

    [Theory]
    [InlineData(0.05)]
    [InlineData(0.8)]
    [InlineData(30.0)]
    public void TheSoftPolicysReturnsAndKlMatchTrajectoryEnumeration(double beta)
    {
        // The textbook soft policy, with naive exponentials: last step on the immediate proxy, first on Q_0 = r + E[V_1].
        var model = new TinyMdp();
        var r = new double[4];
        model.Backup(TinyMdp.Proxy, new double[2], r);
        var v1 = new double[2];
        var p = new double[4];
        for (var s = 0; s < 2; s++)
        {
            double e0 = Reference[2 * s] * Math.Exp(r[2 * s] / beta), e1 = Reference[(2 * s) + 1] * Math.Exp(r[(2 * s) + 1] / beta);
            v1[s] = beta * Math.Log(e0 + e1);
            p[2 + s] = e0 / (e0 + e1);
        }

        var q0 = new double[4];
        model.Backup(TinyMdp.Proxy, v1, q0);
        for (var s = 0; s < 2; s++)
        {
            double e0 = Reference[2 * s] * Math.Exp(q0[2 * s] / beta), e1 = Reference[(2 * s) + 1] * Math.Exp(q0[(2 * s) + 1] / beta);
            p[s] = e0 / (e0 + e1);
        }

        var (proxy, gold, kl) = Enumerate(p);
        var point = TinySolver().Solve(beta);
        Assert.Equal(proxy, point.Proxy, 1e-12);
        Assert.Equal(gold, point.Gold, 1e-12);
        Assert.Equal(kl, point.Kl, 1e-12);
        Assert.Equal(point.Proxy - (beta * point.Kl), point.SoftValue, 1e-10);
    }

    [Theory]
    [InlineData("BoatRace-v0", null)]
    [InlineData("AbsentSupervisor-v0", null)]
    [InlineData("RocksDiamonds-v0", 1)]
    public void AsBetaGoesToZeroTheProxyReturnIsHardValueIterationsOptimum(string id, int? level)
    {
        var world = ScenarioRegistry.BuiltIn.Get(id).Build(new BuildOptions(Level: level));
        var solution = ExactSolution.Create(world);
        var model = solution.Model;
        var soft = new SoftValueIteration(model, (v, q) => model.Backup(world.Reward, v, q), world.Intended, ReferencePolicy.Uniform(model.StateCount, model.ActionCount));
        var optimum = solution.Optimal(world.Reward);
        Assert.Equal(optimum, soft.Solve(1e-6).Proxy, 1e-6);
        Assert.Equal(optimum, soft.Solve(1e-12).Proxy, 1e-6);
        var loose = soft.Solve(1.0);
        Assert.True(loose.Proxy < optimum - 1e-3, $"β = 1 should cost proxy return: {loose.Proxy} vs {optimum}");
    }

    [Fact]
    public void KlIsNonNegativeGrowsAsBetaFallsAndVanishesAsBetaGrows()
    {
        var world = ScenarioRegistry.BuiltIn.Get("ConveyorBelt-v0").Build();
        var solution = ExactSolution.Create(world);
        var model = solution.Model;
        void Proxy(ReadOnlySpan<double> v, Span<double> q) => model.Backup(world.Reward, v, q);
        var soft = new SoftValueIteration(model, Proxy, world.Intended, ReferencePolicy.Uniform(model.StateCount, model.ActionCount));
        var betas = OveroptimisationAnalysis.Betas(model, Proxy, new OveroptimisationOptions { Betas = 12 });
        var previous = -1.0;
        foreach (var beta in betas)
        {
            var point = soft.Solve(beta);
            Assert.True(point.Kl >= 0);
            Assert.True(point.Kl >= previous - 1e-9, $"KL fell from {previous} to {point.Kl} as β fell to {beta}");
            Assert.Equal(point.Proxy - (beta * point.Kl), point.SoftValue, 1e-6);
            previous = point.Kl;
        }

        var far = soft.Solve(1e9);
        Assert.InRange(far.Kl, 0, 1e-9);
        Assert.Equal(solution.RandomValue(world.Reward), far.Proxy, 1e-4);
        Assert.Equal(solution.RandomValue(world.Intended), far.Gold, 1e-4);
    }

    [Fact]
    public void SoftStateIsStableAtExtremeTemperatures()
    {
        double[] q = [1e6, -1e6, 1e6 - 1e-3, 0];
        double[] reference = [0.25, 0.25, 0.25, 0.25];
        var pi = new double[4];
        var v = SoftValueIteration.SoftState(q, reference, 1e-12, pi, out var kl);
        Assert.Equal(1e6, v, 1e-6);
        Assert.Equal([1.0, 0, 0, 0], pi);
        Assert.Equal(Math.Log(4), kl, 1e-12);
        v = SoftValueIteration.SoftState(q, reference, 1e300, pi, out kl);
        Assert.True(double.IsFinite(v));
        Assert.InRange(kl, 0, 1e-12);
    }

    [Theory]
    [InlineData(1e-3)]
    [InlineData(0.7)]
    [InlineData(50.0)]
    public void TheBatchedSoftSweepMatchesTheScalarSoftStateRowByRow(double beta)
    {
        var world = ScenarioRegistry.BuiltIn.Get("SideEffectsSokoban-v0").Build(new BuildOptions(Level: 0));
        var model = ExactSolution.Create(world).Model;
        var s = model.StateCount;
        var a = model.ActionCount;

        // A reference policy that forbids one action in odd states, to exercise the excluded actions.
        var probabilities = new double[s * a];
        for (var state = 0; state < s; state++)
        {
            for (var action = 0; action < a; action++)
            {
                probabilities[(state * a) + action] = state % 2 == 1 ? (action == 0 ? 0 : 1.0 / (a - 1)) : 1.0 / a;
            }
        }

        var reference = new ReferencePolicy(s, a, probabilities);
        var soft = new SoftValueIteration(model, (v, q) => model.Backup(world.Reward, v, q), world.Intended, reference);
        var vNext = Enumerable.Range(0, s).Select(i => (i % 7) - 3.0).ToArray();
        var v = new double[s];
        var policy = new double[s * a];
        soft.SoftSweep(beta, vNext, v, policy);
        var q = new double[s * a];
        model.Backup(world.Reward, vNext, q);
        var pi = new double[a];
        for (var state = 0; state < s; state++)
        {
            var expected = SoftValueIteration.SoftState(q.AsSpan(state * a, a), reference.Probabilities.Slice(state * a, a), beta, pi, out _);
            Assert.Equal(expected, v[state], 1e-9);
            for (var action = 0; action < a; action++)
            {
                Assert.Equal(pi[action], policy[(state * a) + action], 1e-12);
            }

            if (state % 2 == 1)
            {
                Assert.Equal(0, policy[state * a]);
            }
        }
    }

    [Theory]
    [InlineData(1e-3, false)]
    [InlineData(0.7, false)]
    [InlineData(50.0, false)]
    [InlineData(1e-3, true)]
    [InlineData(0.7, true)]
    public void TheFourWidePathMatchesTheGeneralPath(double beta, bool uniform)
    {
        // 370 states: the last block of four holds two padding states.
        var world = ScenarioRegistry.BuiltIn.Get("ConveyorBelt-v0").Build();
        var model = ExactSolution.Create(world).Model;
        var s = model.StateCount;
        var a = model.ActionCount;
        Assert.NotEqual(0, s % 4);

        // Uniform (one π_ref block for all states), or a non-uniform reference policy that forbids
        // one action (a different one) in every third state.
        var probabilities = new double[s * a];
        for (var state = 0; state < s; state++)
        {
            var forbidden = state % 3 == 0 ? state % a : -1;
            var total = 0.0;
            for (var action = 0; action < a; action++)
            {
                probabilities[(state * a) + action] = action == forbidden ? 0 : 1 + ((state + action) % 5);
                total += probabilities[(state * a) + action];
            }

            for (var action = 0; action < a; action++)
            {
                probabilities[(state * a) + action] /= total;
            }
        }

        var reference = uniform ? ReferencePolicy.Uniform(s, a) : new ReferencePolicy(s, a, probabilities);
        void Proxy(ReadOnlySpan<double> v, Span<double> q) => model.Backup(world.Reward, v, q);
        var fast = new SoftValueIteration(model, Proxy, world.Intended, reference);
        var general = new SoftValueIteration(model, Proxy, world.Intended, reference, allowFourWide: false);
        Assert.Equal(System.Runtime.Intrinsics.X86.Avx2.IsSupported && System.Runtime.Intrinsics.X86.Fma.IsSupported, fast.FourWide);
        Assert.False(general.FourWide);

        var expected = general.Solve(beta);
        var actual = fast.Solve(beta);
        Assert.Equal(expected.Proxy, actual.Proxy, 1e-9);
        Assert.Equal(expected.Gold, actual.Gold, 1e-9);
        Assert.Equal(expected.Kl, actual.Kl, 1e-9);
        Assert.Equal(expected.SoftValue, actual.SoftValue, 1e-9);
        Assert.Equal(fast.Backups, general.Backups);

        var vNext = Enumerable.Range(0, s).Select(i => (i % 7) - 3.0).ToArray();
        double[] v = new double[s], vGeneral = new double[s], policy = new double[s * a], policyGeneral = new double[s * a];
        fast.SoftSweep(beta, vNext, v, policy);
        general.SoftSweep(beta, vNext, vGeneral, policyGeneral);
        for (var state = 0; state < s; state++)
        {
            Assert.Equal(vGeneral[state], v[state], 1e-9);
            for (var action = 0; action < a; action++)
            {
                Assert.Equal(policyGeneral[(state * a) + action], policy[(state * a) + action], 1e-12);
            }
        }
    }

    [Fact]
    public void TheInlinedExponentialIsWithinOneUlpOfMathExp() =>
        Gen.Double[VectorMath.MinExpArgument, 0].Array[4].Sample(x =>
        {
            var e = VectorMath.ExpNonPositive(System.Runtime.Intrinsics.Vector256.Create(x));
            for (var i = 0; i < 4; i++)
            {
                var ulps = Math.Abs(BitConverter.DoubleToInt64Bits(e[i]) - BitConverter.DoubleToInt64Bits(Math.Exp(x[i])));
                if (ulps > 1)
                {
                    return false;
                }
            }

            return true;
        }, iter: 20_000);

    [Fact]
    public void TheInlinedExponentialIsRightAtItsEnds()
    {
        var e = VectorMath.ExpNonPositive(System.Runtime.Intrinsics.Vector256.Create(0, -1e-300, VectorMath.MinExpArgument, -Math.Log(2)));
        Assert.Equal(1.0, e[0]);
        Assert.Equal(1.0, e[1]);
        Assert.Equal(Math.Exp(VectorMath.MinExpArgument), e[2], Math.Exp(VectorMath.MinExpArgument) * 1e-15);
        Assert.Equal(0.5, e[3], 1e-16);
    }

    [Fact]
    public void AReferencePolicyMustHoldProbabilities()
    {
        Assert.Throws<AlignLab.Errors.UserInputException>(() => new ReferencePolicy(1, 2, [0.5, 0.6]));
        Assert.Throws<AlignLab.Errors.UserInputException>(() => new ReferencePolicy(1, 2, [1.5, -0.5]));
        Assert.Throws<AlignLab.Errors.UserInputException>(() => new ReferencePolicy(2, 2, [0.5, 0.5]));
    }
}
