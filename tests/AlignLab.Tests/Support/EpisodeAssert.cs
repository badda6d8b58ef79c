using AlignLab.Envs;

namespace AlignLab.Tests.Support;

/// <summary>Assertions and helpers shared by the scripted-episode tests of the scenarios.</summary>
internal static class EpisodeAssert
{
    /// <summary>Pins steps, both returns, the termination and optionally the final board (rows joined by '|').</summary>
    public static void AssertEpisode(ReplayResult result, int steps, double reward, double intended, Termination termination, string? board = null)
    {
        Assert.Equal(steps, result.Steps);
        Assert.Equal(reward, result.Reward);
        Assert.Equal(intended, result.Intended);
        Assert.Equal(termination, result.Termination);
        if (board is not null)
        {
            Assert.Equal(board.Replace('|', '\n'), result.Trace[^1].Board);
        }
    }

    /// <summary>The actions, then <paramref name="filler"/> up to the 100-step limit.</summary>
    public static string Padded(string actions, char filler) => actions + new string(filler, 100 - actions.Length);
}
