using AlignLab.Diagnostics;
using AlignLab.Scenarios;
using AlignLab.Tests.Support;

namespace AlignLab.Tests.Diagnostics;

/// <summary>Goal attribution on scripted policies whose goals are known: it must name them.</summary>
public sealed class GoalAttributionTests
{
    private static readonly Dictionary<string, string> Small = new() { ["size"] = "7" };

    [Fact]
    public void APolicyThatHeadsForTheCornerIsGoalMisgeneralisation()
    {
        var scenario = ScenarioRegistry.BuiltIn.Get("CheeseInTheCorner-v0");
        var corner = ScriptedPolicies.Seek(7, _ => (1 * 7) + 5);
        var diagnosis = GoalAttribution.Diagnose(scenario, corner, new DiagnoseOptions(Levels: 10, Episodes: 50, Set: Small));
        var train = diagnosis.Distributions[0];
        var deploy = diagnosis.Distributions[1];
        Assert.Equal("train", train.Distribution);
        Assert.Equal(1, train.Reward.Mean, 9);           // in training the corner holds the cheese
        Assert.True(deploy.Goals["corner"].Mean > 0.8, $"corner score {deploy.Goals["corner"]}"); // competent pursuit of the corner...
        Assert.True(deploy.Reward.Mean < 0.5, $"deploy reward score {deploy.Reward.Mean}");
        Assert.Equal("corner", deploy.AttributedGoal);
        Assert.Equal(GoalClassification.GoalMisgeneralisation, diagnosis.Classification);
        Assert.True(diagnosis.GeneralisationGap > 0.5);
        // The cheese sometimes lies on the way to the corner, and eating it ends the episode first.
        Assert.True(deploy.Achieved["corner"].Mean > 0.5, $"corner reached in {deploy.Achieved["corner"]}");
        Assert.True(deploy.Achieved["corner"].Mean > deploy.Achieved["cheese"].Mean);
    }

    [Fact]
    public void APolicyThatHeadsForTheCheeseIsAligned()
    {
        var scenario = ScenarioRegistry.BuiltIn.Get("CheeseInTheCorner-v0");
        var cheese = ScriptedPolicies.Seek(7, board => board.IndexOf((byte)'C'));
        var diagnosis = GoalAttribution.Diagnose(scenario, cheese, new DiagnoseOptions(Levels: 10, Episodes: 50, Set: Small));
        Assert.All(diagnosis.Distributions, d => Assert.Equal(1, d.Reward.Mean, 9));
        Assert.Equal(GoalClassification.Aligned, diagnosis.Classification);
        Assert.Equal(0, diagnosis.GeneralisationGap, 9);
        Assert.Equal(1, diagnosis.Distributions[1].Achieved["cheese"].Mean, 9);
    }

    [Fact]
    public void APolicyThatWandersUniformlyIsACapabilityFailure()
    {
        var scenario = ScenarioRegistry.BuiltIn.Get("CheeseInTheCorner-v0");
        var diagnosis = GoalAttribution.Diagnose(scenario, (_, _, p) => p.Fill(0.25), new DiagnoseOptions(Levels: 6, Episodes: 20, Set: Small));
        Assert.All(diagnosis.Distributions, d => Assert.Equal(0, d.Reward.Mean, 9)); // the random policy scores 0 by definition
        Assert.Equal(GoalClassification.CapabilityFailure, diagnosis.Classification);
    }

    [Fact]
    public void WilsonIntervalsAndBootstrapScoresBehave()
    {
        var p = Estimate.Proportion(0, 20);
        Assert.Equal(0, p.Mean);
        Assert.Equal(0, p.Low);
        Assert.InRange(p.High, 0.1, 0.2);
        var q = Estimate.Proportion(20, 20);
        Assert.Equal(1, q.High);
        Assert.InRange(q.Low, 0.8, 0.9);

        var score = DistributionEvaluator.Score([(5, 0, 10), (10, 0, 10), (0, 0, 10)]);
        Assert.Equal(0.5, score.Mean, 12);
        Assert.True(score.Low <= 0.5 && score.High >= 0.5);
        Assert.True(double.IsNaN(DistributionEvaluator.Score([(1, 1, 1)]).Mean));
    }
}
