using AlignLab.Envs;
using AlignLab.Randomness;
using AlignLab.Scenarios;

namespace AlignLab.Tests.Curricula;

/// <summary>A vectorised environment replays the level a curriculum assigns it at every reset, and is unchanged without one.</summary>
public sealed class AssignedLevelTests
{
    private static readonly Dictionary<string, string> Size7 = new() { ["size"] = "7" };

    private static string Board(VectorEnv env, int i, int cells) => string.Concat(env.Boards.Slice(i * cells, cells).ToArray().Select(b => (char)b));

    [Fact]
    public void AnAssignedLevelStartsEveryEpisodeAndOthersAreUntouched()
    {
        var scenario = ScenarioRegistry.BuiltIn.Get("CheeseInTheCorner-v0");
        var world = scenario.Build(new BuildOptions(Set: Size7));
        var level = scenario.SampleLevels("deploy", 1, 99, Size7)[0];
        var expected = level.ToAscii('A').Replace("\n", string.Empty, StringComparison.Ordinal);
        var cells = world.CellCount;

        var env = EnvironmentFactory.MakeVector(world, 3, 5).Env;
        var reference = EnvironmentFactory.MakeVector(world, 3, 5).Env;
        env.AssignLevel(1, level);
        env.Reset();
        reference.Reset();
        Assert.Equal(expected, Board(env, 1, cells));

        // Random walks: every episode of environment 1 starts in the level; environments 0 and 2 play exactly
        // the episodes of a batch without assignments.
        var rng = new Rng(3);
        var actions = new int[3];
        var episodes = 0;
        for (var t = 0; t < 2000; t++)
        {
            for (var i = 0; i < 3; i++)
            {
                actions[i] = rng.NextInt(4);
            }

            env.Step(actions);
            reference.Step(actions);
            if (env.Terminated[1] || env.Truncated[1])
            {
                episodes++;
                Assert.Equal(expected, Board(env, 1, cells));
            }

            Assert.Equal(Board(reference, 0, cells), Board(env, 0, cells));
            Assert.Equal(Board(reference, 2, cells), Board(env, 2, cells));
            Assert.Equal(reference.Rewards[2], env.Rewards[2]);
        }

        Assert.True(episodes >= 5, $"only {episodes} episodes ended");

        // Unassigned again, the next reset draws from the generator.
        env.AssignLevel(1, null);
        env.Reset();
        Assert.NotEqual(expected, Board(env, 1, cells));
    }

    [Fact]
    public void ALevelOfAnotherSizeIsRefused()
    {
        var scenario = ScenarioRegistry.BuiltIn.Get("CheeseInTheCorner-v0");
        var world = scenario.Build(new BuildOptions(Set: Size7));
        var env = EnvironmentFactory.MakeVector(world, 2, 0).Env;
        var small = scenario.SampleLevels("deploy", 1, 0, new Dictionary<string, string> { ["size"] = "5" })[0];
        Assert.Throws<ArgumentException>(() => env.AssignLevel(0, small));
    }
}
