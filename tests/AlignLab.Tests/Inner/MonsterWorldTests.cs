using AlignLab.Envs;
using AlignLab.Scenarios;
using AlignLab.Solve;

namespace AlignLab.Tests.Inner;

/// <summary>MonsterWorld-v0: apples, monsters and shields; the deploy distribution's extra shields and apples.</summary>
public sealed class MonsterWorldTests
{
    private const string Id = "MonsterWorld-v0";

    [Theory]
    [InlineData("train", 2, 2, 2)]
    [InlineData("deploy", 2, 4, 4)]
    public void DistributionsHoldTheDeclaredObjects(string distribution, int monsters, int shields, int apples)
    {
        foreach (var level in InnerSupport.Sample(Id, distribution, 100, seed: 1))
        {
            Assert.Equal(monsters, InnerSupport.Find(level, 'M').Count);
            Assert.Equal(shields, InnerSupport.Find(level, 's').Count);
            Assert.Equal(apples, InnerSupport.Find(level, 'a').Count);
        }
    }

    [Fact]
    public void AShieldDefeatsAMonsterAtNoCost()
    {
        var level = InnerSupport.Level(
            "#######",
            "#AsMa #",
            "#######");
        var result = InnerSupport.Play(Id, level, "RRR", keepTrace: true);
        Assert.Equal(Termination.Terminated, result.Termination);
        Assert.Equal(1, result.Reward);
        Assert.Equal(1, result.Intended);
        Assert.Equal(1, result.GoalReturns["apples"]);
        Assert.Equal(1, result.GoalReturns["shields"]);
        Assert.Equal(1, result.GoalReturns["monsters"]);
        Assert.StartsWith("#S#####", result.Trace[0].Board, StringComparison.Ordinal);
        Assert.StartsWith("#######\n#  A", result.Trace[1].Board, StringComparison.Ordinal);
    }

    [Fact]
    public void AMonsterWithoutAShieldCostsOneEveryStepAndStays()
    {
        var level = InnerSupport.Level(
            "#######",
            "#AMa  #",
            "#######");
        var result = InnerSupport.Play(Id, level, "RUR");
        Assert.Equal(Termination.Terminated, result.Termination);
        Assert.Equal(-1, result.Reward);
        Assert.Equal(-1, result.Intended);
        Assert.Equal(0, result.GoalReturns["monsters"]);
        var back = InnerSupport.Play(Id, level, "RLR");
        Assert.Equal(-2, back.Reward);
    }

    [Fact]
    public void WanderingMonstersMoveOnlyOntoFloorAndStaySolvable()
    {
        var set = new Dictionary<string, string> { ["size"] = "5", ["monster_move_probability"] = "1" };
        var scenario = ScenarioRegistry.BuiltIn.Get(Id);
        var level = InnerSupport.Level(
            "#######",
            "#A   s#",
            "# ### #",
            "#M a  #",
            "#######");
        var world = scenario.Build(new BuildOptions(Set: set) { FixedLevel = level });
        var result = ActionScript.Replay(EnvironmentFactory.Make(world), "NNNN".Replace('N', 'U'), seed: 5, keepTrace: true);
        Assert.All(result.Trace, s => Assert.Equal(1, s.Board.Count(c => c == 'M')));
        Assert.All(result.Trace, s => Assert.Contains('a', s.Board));
        Assert.All(result.Trace, s => Assert.Contains('s', s.Board));
        var solution = ExactSolution.Create(world);
        Assert.InRange(solution.StateCount, 2, 5000);
    }

    [Fact]
    public void SampledLevelsSolveExactly()
    {
        var report = SpecificationGap.Analyze(ScenarioRegistry.BuiltIn.Get(Id), new BuildOptions(Set: new Dictionary<string, string> { ["size"] = "7" }));
        Assert.All(report.Levels, l => Assert.InRange(l.States, 1, 17 * 64 * 3));
        Assert.Equal(0, report.GapWorst, 1e-9);
    }

    [Theory]
    [InlineData("train", 50)]
    [InlineData("deploy", 200)]
    public void EpisodesAreShortInTrainingAndLongInDeployment(string distribution, int limit)
    {
        var world = ScenarioRegistry.BuiltIn.Get("MonsterWorld-v0").Build(new BuildOptions(Distribution: distribution));
        Assert.Equal(limit, world.MaxSteps);
        var env = EnvironmentFactory.Make(world, 3).Env;
        env.Reset(3);
        var steps = 0;
        StepResult result;
        do
        {
            result = env.Step(0); // walk into the top wall: never eats an apple, so only the limit ends it
            steps++;
        }
        while (!result.Done);

        Assert.True(result.Truncated);
        Assert.Equal(limit, steps);
    }
}
