using AlignLab.Curricula;
using AlignLab.Grid;
using AlignLab.Scenarios;
using AlignLab.Tests.Support;

namespace AlignLab.Tests.Curricula;

/// <summary>The exact oracle regret and the estimated regrets of PLR⊥.</summary>
public sealed class LevelScoresTests
{
    private static readonly Dictionary<string, string> Size7 = new() { ["size"] = "7" };

    // A 7×7 level: the agent in the middle, the cheese bottom-left; the corner cell (row 1, col 5) is empty.
    private static GridLevel Level()
    {
        const string map =
            "#######" +
            "#     #" +
            "# ### #" +
            "#  A  #" +
            "# ### #" +
            "#C    #" +
            "#######";
        var cells = map.Select(c => (byte)(c == 'A' ? ' ' : c)).ToArray();
        return new GridLevel(7, 7, cells, map.IndexOf('A', StringComparison.Ordinal));
    }

    [Fact]
    public void ExactRegretIsZeroForTheOptimalPolicyAndPositiveForTheCornerSeeker()
    {
        var scenario = ScenarioRegistry.BuiltIn.Get("CheeseInTheCorner-v0");
        var solution = LevelScores.Solve(scenario, Level(), Size7);
        var cheeseSeeker = ScriptedPolicies.Seek(7, board => board.IndexOf((byte)'C'));
        var cornerSeeker = ScriptedPolicies.Seek(7, _ => (1 * 7) + 5);

        Assert.Equal(1.0, solution.Optimal(solution.World.Reward), 1e-12);
        Assert.Equal(0.0, LevelScores.ExactRegret(solution, cheeseSeeker), 1e-9);
        var regret = LevelScores.ExactRegret(solution, cornerSeeker);
        Assert.True(regret > 0.01, $"corner seeker's regret {regret}");
        Assert.True(regret <= 1 + 1e-9);
    }

    [Fact]
    public void PositiveValueLossAveragesThePositiveAdvantagesOfOneEnvironment()
    {
        // Two environments, three steps, step-major: env 1 has advantages −1, 2, 4.
        float[] advantages = [5, -1, -3, 2, 0, 4];
        Assert.Equal(2.0, LevelScores.PositiveValueLoss(advantages, 2, 1), 1e-12);
        Assert.Equal(5.0 / 3, LevelScores.PositiveValueLoss(advantages, 2, 0), 1e-12);
    }

    [Fact]
    public void BestReturnAndMaxMcFollowTheEpisodes()
    {
        // One environment, four steps: episode 1 = rewards 0, 1 (ends at t = 1), episode 2 = 0, 0.5 (cut at the end).
        float[] rewards = [0, 1, 0, 0.5f];
        var best = LevelScores.BestReturn(rewards, 1, 0, 0.5, t => t == 1);
        Assert.Equal(0.5, best, 1e-12); // max(0 + 0.5·1, 0 + 0.5·0.5)
        float[] values = [0.25f, 0.5f, 0, 0.25f];
        Assert.Equal(0.5 - 0.25, LevelScores.MaxMc(values, 1, 0, best), 1e-7);
    }

    [Fact]
    public void RankCorrelationIsSpearmans()
    {
        Assert.Equal(1.0, LevelScores.RankCorrelation([1, 2, 3, 4], [10, 20, 30, 1000]), 1e-12);
        Assert.Equal(-1.0, LevelScores.RankCorrelation([1, 2, 3], [3, 2, 1]), 1e-12);

        // Ranks 1, 2.5, 2.5, 4 against 1, 2, 3, 4: Pearson of the ranks.
        var r = LevelScores.RankCorrelation([1, 2, 2, 3], [1, 2, 3, 4]);
        Assert.Equal(4.5 / Math.Sqrt(4.5 * 5), r, 1e-12);
        Assert.True(double.IsNaN(LevelScores.RankCorrelation([1, 1, 1], [1, 2, 3])));
    }
}
