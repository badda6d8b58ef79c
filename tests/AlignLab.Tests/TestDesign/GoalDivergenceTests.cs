using AlignLab.Grid;
using AlignLab.Scenarios;
using AlignLab.Solve;
using AlignLab.TestDesign;

namespace AlignLab.Tests.TestDesign;

/// <summary>The exact divergence of candidate goals' optimal behaviours.</summary>
public sealed class GoalDivergenceTests
{
    private static readonly Dictionary<string, string> Small = new() { ["size"] = "7" };

    private static ScenarioDefinition Cheese => ScenarioRegistry.BuiltIn.Get("CheeseInTheCorner-v0");

    /// <summary>CheeseInTheCorner with two candidate goals that are the same objective at different scales.</summary>
    private static ScenarioDefinition TwinGoals()
    {
        var path = Path.Combine(AlignLab.Tests.Support.Repo.Root, "scenarios", "CheeseInTheCorner-v0.yaml");
        var text = File.ReadAllText(path).Replace("  corner: {corner: 1}", "  cheese_twice: {cheese: 2}", StringComparison.Ordinal);
        return ScenarioRegistry.BuiltIn.Get("CheeseTwins-v0", text.Replace("id: CheeseInTheCorner-v0", "id: CheeseTwins-v0", StringComparison.Ordinal));
    }

    private static ExactSolution Solve(ScenarioDefinition scenario, GridLevel level) =>
        ExactSolution.Create(scenario.Build(new BuildOptions(Distribution: "deploy", Set: Small) { FixedLevel = level }));

    [Fact]
    public void DesignedLevelsForTwoGoalsWithIdenticalOptimalBehaviourReportZeroDivergence()
    {
        var twins = TwinGoals();
        var report = RedTeam.Run(twins, (_, _, p) => p.Fill(0.25), new RedTeamOptions(Budget: 30, Seeds: 1, Suite: 5, Set: Small) { Strategies = [TestStrategy.Divergence] });
        var suite = report.Runs[0].Suite;
        Assert.Equal(5, suite.Count);
        Assert.All(suite, level => Assert.Equal(0.0, level.Divergence));
    }

    [Fact]
    public void TheCheeseAndTheCornerDivergeWhereTheCheeseIsAwayFromTheCornerAndNotWhereItLiesOnIt()
    {
        var train = Cheese.SampleLevels("train", 5, 2, Small);
        Assert.All(train, level => Assert.Equal(0.0, GoalDivergence.Measure(Solve(Cheese, level)).Value));

        var deploy = Cheese.SampleLevels("deploy", 20, 2, Small);
        var divergences = deploy.Select(level => GoalDivergence.Measure(Solve(Cheese, level))).ToList();
        Assert.Contains(divergences, d => d.Value >= 3);
        foreach (var d in divergences)
        {
            Assert.Equal(2, d.Pairs.Count);
            Assert.Equal(d.Pairs.Max(p => p.Value), d.Value);
            Assert.All(d.Pairs, p => Assert.InRange(p.Value, 0, 128));
        }
    }

    [Fact]
    public void ADivergentStepIsCountedOncePerStepOfTheFollowedGoalsPath()
    {
        // Agent between the cheese (left) and the corner (right): every step of either pursuit departs from the other goal.
        var rows = "#######" + "#C A  #" + "#######";
        var level = new GridLevel(3, 7, [.. rows.Replace('A', ' ').Select(c => (byte)c)], 10);
        var scenario = ScenarioRegistry.BuiltIn.Get("CheeseInTheCorner-v0");
        var solution = ExactSolution.Create(scenario.Build(new BuildOptions(Distribution: "deploy", Set: new Dictionary<string, string> { ["size"] = "7" }) { FixedLevel = level }));
        var d = GoalDivergence.Measure(solution);
        Assert.Equal(2.0, d.Pairs.Single(p => p.Followed == "cheese").Value);
        Assert.Equal(2.0, d.Pairs.Single(p => p.Followed == "corner").Value);
    }
}
