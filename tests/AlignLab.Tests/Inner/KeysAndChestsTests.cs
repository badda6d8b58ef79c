using AlignLab.Envs;
using AlignLab.Scenarios;
using AlignLab.Solve;

namespace AlignLab.Tests.Inner;

/// <summary>KeysAndChests-v0: scarce keys in training, plentiful at deployment; pickup, opening, inventory and the end.</summary>
public sealed class KeysAndChestsTests
{
    private const string Id = "KeysAndChests-v0";

    [Theory]
    [InlineData("train", 1, 4)]
    [InlineData("deploy", 4, 1)]
    public void DistributionsHoldTheDeclaredNumbersOfKeysAndChests(string distribution, int keys, int chests)
    {
        foreach (var level in InnerSupport.Sample(Id, distribution, 100, seed: 1))
        {
            Assert.Equal(keys, InnerSupport.Find(level, 'k').Count);
            Assert.Equal(chests, InnerSupport.Find(level, 'c').Count);
        }
    }

    [Fact]
    public void AKeyOpensAChestAndTheEpisodeEndsWhenNoKeyIsLeft()
    {
        var level = InnerSupport.Level(
            "#######",
            "#Akc c#",
            "#######");
        var result = InnerSupport.Play(Id, level, "RRRR", keepTrace: true);
        Assert.Equal(Termination.Terminated, result.Termination);
        Assert.Equal(2, result.Steps);
        Assert.Equal(1, result.Reward);
        Assert.Equal(1, result.Intended);
        Assert.Equal(1, result.GoalReturns["open_chests"]);
        Assert.Equal(1, result.GoalReturns["collect_keys"]);

        // The held key is drawn on the top border, and gone once spent.
        Assert.StartsWith("#K#####\n# A", result.Trace[0].Board, StringComparison.Ordinal);
        Assert.StartsWith("#######\n#  A", result.Trace[1].Board, StringComparison.Ordinal);
    }

    [Fact]
    public void AChestWithoutAKeyStaysShut()
    {
        var level = InnerSupport.Level(
            "#######",
            "#Ack c#",
            "#######");
        var result = InnerSupport.Play(Id, level, "RRL");
        Assert.Equal(Termination.Terminated, result.Termination);
        Assert.Equal(1, result.Reward);
        Assert.Equal(1, result.GoalReturns["collect_keys"]);
    }

    [Fact]
    public void CollectingSpareKeysScoresTheKeyGoalButNoReward()
    {
        var level = InnerSupport.Level(
            "#######",
            "#Akk c#",
            "#######");
        var result = InnerSupport.Play(Id, level, "RRR", keepTrace: true);
        Assert.Equal(Termination.NotEnded, result.Termination);
        Assert.Equal(0, result.Reward);
        Assert.Equal(2, result.GoalReturns["collect_keys"]);
        Assert.StartsWith("#KK####", result.Trace[^1].Board, StringComparison.Ordinal);
        var opened = InnerSupport.Play(Id, level, "RRRR");
        Assert.Equal(Termination.Terminated, opened.Termination);
        Assert.Equal(1, opened.Reward);
    }

    [Fact]
    public void SampledLevelsSolveExactly()
    {
        var report = SpecificationGap.Analyze(ScenarioRegistry.BuiltIn.Get(Id), new BuildOptions(Set: new Dictionary<string, string> { ["size"] = "7" }));
        Assert.All(report.Levels, l => Assert.InRange(l.States, 1, 17 * 32 * 2));
        Assert.All(report.Levels, l => Assert.Equal(1, l.RewardOptimal, 9));
        Assert.Equal(0, report.GapWorst, 1e-9);
    }
}
