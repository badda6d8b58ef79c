using AlignLab.Errors;
using AlignLab.GoalInference;
using AlignLab.Scenarios;
using AlignLab.Solve;
using AlignLab.Tests.Support;

namespace AlignLab.Tests.GoalInference;

/// <summary>Goal inference on given levels (a designed test suite), with the shared and the per-episode rationality fit.</summary>
public sealed class AuditLevelsTests
{
    private const int Size = 7;
    private static readonly Dictionary<string, string> Small = new() { ["size"] = "7" };

    private static ScenarioDefinition Cheese => ScenarioRegistry.BuiltIn.Get("CheeseInTheCorner-v0");

    private static BoardPolicy CornerSeeker => ScriptedPolicies.Seek(Size, _ => Size + Size - 2);

    private static BoardPolicy CheeseSeeker => ScriptedPolicies.Seek(Size, board => board.IndexOf((byte)'C'));

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void OnGivenDeploymentLevelsThePosteriorFindsEachScriptedGoal(bool perEpisode)
    {
        var levels = Cheese.SampleLevels("deploy", 8, 11, Small);
        foreach (var (policy, goal) in new[] { (CornerSeeker, "corner"), (CheeseSeeker, "cheese") })
        {
            var audit = GoalAuditor.AuditLevels(Cheese, policy, levels, new AuditOptions("deploy", 8, 1, Set: Small) { PerEpisodeRationality = perEpisode });
            Assert.Equal(goal, audit.Pursued);
            Assert.True(audit.Posterior >= 0.95, audit.Summary);
            Assert.Equal(8, audit.Path.Count);
        }
    }

    [Fact]
    public void OnTrainingLevelsThePerEpisodeFitLeavesThePosteriorExactlyUniform()
    {
        // The cheese lies on the corner: every episode has the same likelihood under both goals.
        var levels = Cheese.SampleLevels("train", 6, 5, Small);
        var audit = GoalAuditor.AuditLevels(Cheese, CornerSeeker, levels, new AuditOptions("train", 6, 1, Set: Small) { PerEpisodeRationality = true });
        Assert.All(audit.Path, step => Assert.Equal(0.5, step.Posterior["cheese"], 1e-12));
    }

    [Fact]
    public void TheOptimalSetModelCountsOnlyStepsWhereTheGoalsOptimalActionsDiffer()
    {
        // One tiny temperature: uniform over each goal's optimal actions (plus lapses). On training levels the sets
        // coincide everywhere, so the posterior stays exactly uniform; on deployment levels it finds the corner seeker.
        var options = new AuditOptions("train", 6, 1, Set: Small) { Temperatures = [1e-6] };
        var train = GoalAuditor.AuditLevels(Cheese, CornerSeeker, Cheese.SampleLevels("train", 6, 5, Small), options);
        Assert.All(train.Path, step => Assert.Equal(0.5, step.Posterior["corner"], 1e-12));
        var deploy = GoalAuditor.AuditLevels(Cheese, CornerSeeker, Cheese.SampleLevels("deploy", 6, 5, Small), options with { Distribution = "deploy" });
        Assert.Equal("corner", deploy.Pursued);
        Assert.True(deploy.Posterior >= 0.95, deploy.Summary);
    }

    [Fact]
    public void LevelsAreCycledWhenThereAreMoreEpisodesThanLevelsAndNoLevelsIsAUserError()
    {
        var levels = Cheese.SampleLevels("deploy", 2, 3, Small);
        var audit = GoalAuditor.AuditLevels(Cheese, CornerSeeker, levels, new AuditOptions("deploy", 4, 1, Set: Small));
        Assert.Equal(4, audit.Episodes.Count);
        Assert.Equal(audit.Episodes[0].Actions, audit.Episodes[2].Actions);
        Assert.Throws<UserInputException>(() => GoalAuditor.AuditLevels(Cheese, CornerSeeker, [], new AuditOptions(Set: Small)));
    }
}
