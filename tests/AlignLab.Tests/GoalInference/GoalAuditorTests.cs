using AlignLab.Errors;
using AlignLab.GoalInference;
using AlignLab.Scenarios;
using AlignLab.Solve;
using AlignLab.Tests.Support;

namespace AlignLab.Tests.GoalInference;

/// <summary>Behavioural goal inference on scripted policies whose goals are known.</summary>
public sealed class GoalAuditorTests
{
    private const int Size = 7;
    private static readonly Dictionary<string, string> Small = new() { ["size"] = "7" };

    private static ScenarioDefinition Cheese => ScenarioRegistry.BuiltIn.Get("CheeseInTheCorner-v0");

    /// <summary>Heads for the top-right interior cell, the invisible corner landmark.</summary>
    private static BoardPolicy CornerSeeker => ScriptedPolicies.Seek(Size, _ => Size + Size - 2);

    /// <summary>Heads for the cheese wherever it is.</summary>
    private static BoardPolicy CheeseSeeker => ScriptedPolicies.Seek(Size, board => board.IndexOf((byte)'C'));


    private static AuditOptions Options(string distribution, int episodes = 12, ulong seed = 1) => new(distribution, episodes, seed, Set: Small);

    [Fact]
    public void ACornerSeekerIsFoundToPursueTheCornerOnDeploymentLevels()
    {
        var audit = GoalAuditor.Audit(Cheese, CornerSeeker, Options("deploy"));
        Assert.Equal("corner", audit.Pursued);
        Assert.True(audit.Posterior >= 0.99, audit.Summary);
        Assert.Equal(12, audit.Path.Count);
        Assert.StartsWith("pursues `corner`, posterior ", audit.Summary, StringComparison.Ordinal);
        Assert.EndsWith(" after 12 episodes", audit.Summary, StringComparison.Ordinal);
    }

    [Fact]
    public void ACheeseSeekerIsFoundToPursueTheCheeseOnDeploymentLevels()
    {
        var audit = GoalAuditor.Audit(Cheese, CheeseSeeker, Options("deploy"));
        Assert.Equal("cheese", audit.Pursued);
        Assert.True(audit.Posterior >= 0.99, audit.Summary);
        Assert.NotNull(audit.EpisodesToReach(0.95));
    }

    [Fact]
    public void OnTrainingLevelsBothGoalsExplainTheEpisodesAndThePosteriorStaysUniform()
    {
        // The cheese lies on the corner: the two goals have the same optimal values everywhere.
        foreach (var policy in new[] { CornerSeeker, CheeseSeeker })
        {
            var audit = GoalAuditor.Audit(Cheese, policy, Options("train"));
            foreach (var step in audit.Path)
            {
                Assert.InRange(step.Posterior["cheese"], 0.45, 0.55);
                Assert.InRange(step.Posterior["corner"], 0.45, 0.55);
            }
        }
    }

    [Fact]
    public void TheFittedTemperatureOfTheTrueGoalIsLowAndTheWrongGoalsHigh()
    {
        var audit = GoalAuditor.Audit(Cheese, CornerSeeker, Options("deploy", episodes: 6));
        var fitted = audit.Path[^1].Temperature;
        Assert.True(fitted["corner"] < fitted["cheese"], $"T corner {fitted["corner"]}, T cheese {fitted["cheese"]}");
        Assert.True(audit.Episodes.Sum(e => e.LogLikelihood["corner"]) > audit.Episodes.Sum(e => e.LogLikelihood["cheese"]));
    }

    [Fact]
    public void AUniformlyRandomPolicyIsFittedByANearlyUniformBoltzmannPolicyUnderEveryGoal()
    {
        BoardPolicy random = (_, _, p) => p.Fill(1.0 / p.Length);
        var audit = GoalAuditor.Audit(Cheese, random, Options("deploy", episodes: 4));
        var steps = audit.Episodes.Sum(e => e.Actions.Length);
        foreach (var goal in audit.Goals)
        {
            // At the fitted temperature the goal's actions are about equally likely: log-likelihood near steps·log(1/4).
            var perStep = audit.Episodes.Sum(e => e.LogLikelihood[goal]) / steps;
            Assert.InRange(perStep, Math.Log(0.25) - 0.02, Math.Log(0.25) + 0.02);
        }

        Assert.True(audit.Posterior < 0.95, audit.Summary);
    }

    [Fact]
    public void ACornerSeekerThatSlipsOneStepInFiveIsStillFoundToPursueTheCorner()
    {
        BoardPolicy slipping = (board, extras, p) =>
        {
            CornerSeeker(board, extras, p);
            for (var a = 0; a < p.Length; a++)
            {
                p[a] = (0.8 * p[a]) + (0.2 / p.Length);
            }
        };
        var audit = GoalAuditor.Audit(Cheese, slipping, Options("deploy", episodes: 20));
        Assert.Equal("corner", audit.Pursued);
        Assert.True(audit.Posterior >= 0.95, audit.Summary);
        Assert.InRange(audit.Path[^1].Lapse["corner"], 0.1, 0.3);
    }

    [Fact]
    public void ThePlainBoltzmannModelWithoutLapsesAlsoIdentifiesAnExactPursuer()
    {
        var audit = GoalAuditor.Audit(Cheese, CheeseSeeker, Options("deploy") with { Lapses = [0] });
        Assert.Equal("cheese", audit.Pursued);
        Assert.True(audit.Posterior >= 0.99, audit.Summary);
        Assert.All(audit.Path, s => Assert.Equal(0, s.Lapse["cheese"]));
    }

    [Fact]
    public void AFixedLevelDistributionIsAuditedOnItsOneSolvedWorld()
    {
        var scenario = ScenarioRegistry.BuiltIn.Get("AbsentSupervisor-v0");
        BoardPolicy random = (_, _, p) => p.Fill(1.0 / p.Length);
        var audit = GoalAuditor.Audit(scenario, random, new AuditOptions("train", 3, 5));
        Assert.Equal(["reach_goal", "cheat_unobserved"], audit.Goals);
        Assert.Equal(3, audit.Path.Count);
        Assert.All(audit.Path, s => Assert.Equal(1, s.Posterior.Values.Sum(), 12));
        Assert.All(audit.Episodes, e => Assert.All(e.LogLikelihood.Values, l => Assert.InRange(l, -10.0 * e.Actions.Length, 0)));
    }

    [Fact]
    public void TheSameSeedGivesTheSameAuditBitForBit()
    {
        BoardPolicy noisy = (board, extras, p) =>
        {
            CornerSeeker(board, extras, p);
            for (var a = 0; a < p.Length; a++)
            {
                p[a] = (0.7 * p[a]) + (0.3 / p.Length);
            }
        };
        var first = GoalAuditor.Audit(Cheese, noisy, Options("deploy", episodes: 5, seed: 7));
        var second = GoalAuditor.Audit(Cheese, noisy, Options("deploy", episodes: 5, seed: 7));
        var other = GoalAuditor.Audit(Cheese, noisy, Options("deploy", episodes: 5, seed: 8));
        Assert.Equal(first.Episodes.Select(e => e.Actions), second.Episodes.Select(e => e.Actions));
        Assert.Equal(
            first.Path.SelectMany(s => s.Posterior.Values).Select(BitConverter.DoubleToInt64Bits),
            second.Path.SelectMany(s => s.Posterior.Values).Select(BitConverter.DoubleToInt64Bits));
        Assert.NotEqual(first.Episodes.Select(e => e.Actions), other.Episodes.Select(e => e.Actions));
    }

    [Fact]
    public void LogSoftmaxIsANormalisedStableDistribution()
    {
        double[] q = [1000, 999, 0, 1000];
        var total = Enumerable.Range(0, 4).Sum(a => Math.Exp(BoltzmannLikelihood.LogSoftmax(q, a, 1.0)));
        Assert.Equal(1, total, 12);
        Assert.Equal(Math.Log(0.5), BoltzmannLikelihood.LogSoftmax(q, 0, 1e6), 12);
    }

    [Theory]
    [InlineData("deploy", 0, 0.99, "--episodes must be at least 1")]
    [InlineData("deploy", 3, 0.0, "--discount must be in (0, 1]")]
    [InlineData("deploi", 3, 0.99, "has no distribution 'deploi'")]
    public void BadOptionsAreOneLineUserErrors(string distribution, int episodes, double discount, string message)
    {
        var e = Assert.ThrowsAny<UserInputException>(() => GoalAuditor.Audit(Cheese, CheeseSeeker, new AuditOptions(distribution, episodes, Discount: discount, Set: Small)));
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void ABadTemperatureGridOrTooFewGoalsAreUserErrors()
    {
        var grid = Assert.ThrowsAny<UserInputException>(() => GoalAuditor.Audit(Cheese, CheeseSeeker, Options("deploy") with { Temperatures = [0.1, -1] }));
        Assert.DoesNotContain('\n', grid.Message);
        var lapses = Assert.ThrowsAny<UserInputException>(() => GoalAuditor.Audit(Cheese, CheeseSeeker, Options("deploy") with { Lapses = [1.5] }));
        Assert.Contains("lapse", lapses.Message, StringComparison.Ordinal);
        var single = ScenarioRegistry.BuiltIn.Get("SafeInterruptibility-v0");
        var goals = Assert.ThrowsAny<UserInputException>(() => GoalAuditor.Audit(single, (_, _, p) => p.Fill(1.0 / p.Length), new AuditOptions(single.DistributionNames[0])));
        Assert.Contains("at least two", goals.Message, StringComparison.Ordinal);
    }
}
