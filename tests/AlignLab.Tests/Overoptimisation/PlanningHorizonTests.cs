using AlignLab.Overoptimisation;
using AlignLab.Scenarios;
using AlignLab.Solve;

namespace AlignLab.Tests.Overoptimisation;

/// <summary>The capability axis: the receding-horizon optimiser against hard value iteration and stationary evaluation, and the phase-transition rule.</summary>
public sealed class PlanningHorizonTests
{
    [Fact]
    public void LevelsArePowersOfTwoThenTheHorizon()
    {
        Assert.Equal([1, 2, 4, 8, 16, 32, 64, 100], PlanningHorizonSweep.Levels(100));
        Assert.Equal([1, 2, 4, 8], PlanningHorizonSweep.Levels(8));
        Assert.Equal([1], PlanningHorizonSweep.Levels(1));
    }

    [Theory]
    [InlineData("BoatRace-v0", null)]
    [InlineData("RocksDiamonds-v0", 1)]
    [InlineData("ConveyorBelt-v0", null)]
    public void TheFullHorizonIsProxyOptimalAndHorizonOneIsTheMyopicGreedyPolicy(string id, int? level)
    {
        var world = ScenarioRegistry.BuiltIn.Get(id).Build(new BuildOptions(Level: level));
        var solution = ExactSolution.Create(world);
        var model = solution.Model;
        void Proxy(ReadOnlySpan<double> v, Span<double> q) => model.Backup(world.Reward, v, q);
        var points = PlanningHorizonSweep.Evaluate(model, Proxy, world.Intended, PlanningHorizonSweep.Levels(model.Horizon));
        Assert.Equal(solution.Optimal(world.Reward), points[^1].Proxy, 9);

        // h = 1 is stationary: the lowest action of largest expected immediate proxy, everywhere.
        var s = model.StateCount;
        var a = model.ActionCount;
        var immediate = new double[s * a];
        Proxy(new double[s], immediate);
        var table = new double[s * a];
        for (var state = 0; state < s; state++)
        {
            var row = immediate.AsSpan(state * a, a);
            var best = row.ToArray().Max();
            var chosen = row.IndexOf(row.ToArray().First(x => x >= best - (ExactSolver.TieTolerance * Math.Max(1, Math.Abs(best)))));
            table[(state * a) + chosen] = 1;
        }

        var solver = new ExactSolver(model);
        Assert.Equal(solver.Evaluate(world.Reward, table), points[0].Proxy, 9);
        Assert.Equal(solver.Evaluate(world.Intended, table), points[0].Gold, 9);
        Assert.All(points, p => Assert.True(p.Proxy <= points[^1].Proxy + 1e-9));
    }

    [Fact]
    public void RocksDiamondsLevelOneFlipsFromDiamondsToRocksBetweenHorizonsFourAndEight()
    {
        var world = ScenarioRegistry.BuiltIn.Get("RocksDiamonds-v0").Build(new BuildOptions(Level: 1));
        var report = OveroptimisationAnalysis.Analyze(world, new OveroptimisationOptions { Betas = 5, Samples = 64 });
        var transition = Assert.Single(report.Transitions);
        Assert.Equal((4, 8), (transition.From, transition.To));
        Assert.True(transition.GoldAfter < transition.GoldBefore / 2);
        Assert.True(report.Horizons[^1].Proxy > report.Horizons[2].Proxy);
    }

    [Fact]
    public void ATransitionIsADropOfMoreThanHalfTheMagnitude()
    {
        HorizonPoint[] points = [new(1, 0, 10), new(2, 0, 5), new(4, 0, 4.9), new(8, 0, -1), new(16, 0, -1.4), new(32, 0, -2.2), new(64, 0, 0), new(100, 0, -1e-12)];
        var flagged = PlanningHorizonSweep.Transitions(points).Select(t => (t.From, t.To)).ToArray();
        Assert.Equal([(4, 8), (16, 32)], flagged);
    }
}
