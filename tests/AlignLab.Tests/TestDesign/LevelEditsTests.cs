using AlignLab.Grid;
using AlignLab.Randomness;
using AlignLab.Scenarios;
using CsCheck;

namespace AlignLab.Tests.TestDesign;

/// <summary>ACCEL-style level edits keep levels legal.</summary>
public sealed class LevelEditsTests
{
    private static readonly LevelEdits Edits = new();

    private static GridLevel Draw(string id, string distribution, ulong seed, Dictionary<string, string> set) =>
        ScenarioRegistry.BuiltIn.Get(id).SampleLevels(distribution, 1, seed, set)[0];

    private static string Objects(GridLevel level) => string.Concat(level.CellsView.Where(c => c != '#' && c != ' ').Select(c => (char)c).Order());

    [Fact]
    public void EveryChainOfEditsKeepsTheLevelValidAndItsObjects()
    {
        (string Id, Dictionary<string, string> Set)[] scenarios =
        [
            ("CheeseInTheCorner-v0", new() { ["size"] = "7" }),
            ("KeysAndChests-v0", new() { ["size"] = "7" }),
            ("CoinAtTheEnd-v0", new()),
        ];
        Gen.Select(Gen.ULong, Gen.Int[0, 2], Gen.Int[1, 12]).Sample((seed, which, edits) =>
        {
            var (id, set) = scenarios[which];
            var level = Draw(id, "deploy", seed, set);
            Assert.True(Edits.IsValid(level));
            var objects = Objects(level);
            var rng = new Rng(seed);
            for (var k = 0; k < edits; k++)
            {
                var before = level.ToAscii('A');
                var edited = Edits.Mutate(level, ref rng);
                Assert.NotNull(edited);
                Assert.Equal(before, level.ToAscii('A'));
                level = edited.Value.Level;
                Assert.True(Edits.IsValid(level), level.ToAscii('A'));
                Assert.Equal(objects, Objects(level));
            }
        }, iter: 200);
    }

    [Fact]
    public void EachKindOfEditChangesWhatItSays()
    {
        var level = Draw("CheeseInTheCorner-v0", "train", 3, new() { ["size"] = "7" });
        var rng = new Rng(5);
        var cheese = level.CellsView.ToList().IndexOf((byte)'C');
        var moved = Edits.MoveObject(level, ref rng)!;
        Assert.NotEqual(cheese, moved.CellsView.ToList().IndexOf((byte)'C'));
        Assert.Equal(level.AgentStart, moved.AgentStart);

        var walls = level.CellsView.Count(c => c == '#');
        Assert.Equal(walls + 1, Edits.AddWall(level, ref rng)!.CellsView.Count(c => c == '#'));
        Assert.Equal(walls - 1, Edits.RemoveWall(level, ref rng)!.CellsView.Count(c => c == '#'));
        var agent = Edits.MoveAgent(level, ref rng)!;
        Assert.NotEqual(level.AgentStart, agent.AgentStart);
        Assert.Equal(level.CellsView, agent.CellsView);
    }

    [Fact]
    public void AWallThatWouldCutOffTheGoalIsNeverAdded()
    {
        // A corridor: every interior floor cell between the agent and the cheese is a cut cell.
        var cells = "#######" + "#A   C#" + "#######";
        var level = new GridLevel(3, 7, [.. cells.Replace('A', ' ').Select(c => (byte)c)], 8);
        Assert.True(Edits.IsValid(level));
        var rng = new Rng(1);
        Assert.Null(Edits.AddWall(level, ref rng));
        Assert.Null(Edits.RemoveWall(level, ref rng));
        var open = "#######" + "# C #  " + "#######";
        Assert.False(Edits.IsValid(new GridLevel(3, 7, [.. open.Select(c => (byte)c)], 8)));
    }
}
