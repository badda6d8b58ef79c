using AlignLab.Grid;
using AlignLab.Randomness;
using AlignLab.Scenarios;
using CsCheck;

namespace AlignLab.Tests.Inner;

/// <summary>
/// The procedural level generators: same seed → same map; every map is connected (all floor
/// reachable from the agent), keeps its border, holds exactly the objects asked for, and each
/// generator keeps its own structure (spanning trees for tree mazes, corner regions, corridors).
/// </summary>
public sealed class GeneratorTests
{
    private const string Yaml = """
        id: GeneratorProbe-v0
        parameters: {h: 7, w: 7, p: 0.5}
        legend:
          '#': {name: wall, blocks: true}
          ' ': {name: floor}
          'A': {name: agent, agent: true}
          'x': {name: x}
          'y': {name: y}
          'z': {name: z}
          'o': {name: o}
        distributions:
          train: {generator: tree_maze, with: {height: $h, width: $w, objects: xyz, corner_object: o, corner_size: 2}}
          edge: {generator: edge_maze, with: {height: $h, width: $w, edge_probability: $p, objects: xyz}}
          block: {generator: block_maze, with: {height: $h, width: $w, wall_probability: $p, objects: xyz, corner_object: o, corner: bottom_left}}
          open: {generator: open_room, with: {height: $h, width: $w, objects: xyz}}
          corridor: {generator: corridor, with: {height: $h, width: $w, pillar_probability: $p, coin_random_fraction: 0.5}}
        reward: 0
        intended: 0
        """;

    private static readonly ScenarioDefinition Probe = ScenarioParser.Parse(Yaml, "probe.yaml");

    private static LevelGenerator Generator(string distribution, int height, int width, double p = 0.5) =>
        Probe.Build(new BuildOptions(Distribution: distribution, Set: new Dictionary<string, string>
        {
            ["h"] = height.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["w"] = width.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["p"] = p.ToString(System.Globalization.CultureInfo.InvariantCulture),
        })).Generator!;

    private static GridLevel Draw(LevelGenerator generator, ulong seed)
    {
        var rng = new Rng(seed);
        return generator.Sample(ref rng);
    }

    [Theory]
    [InlineData("train")]
    [InlineData("edge")]
    [InlineData("block")]
    [InlineData("open")]
    [InlineData("corridor")]
    public void TheSameSeedDrawsTheSameMapAndOtherSeedsDrawOthers(string distribution)
    {
        var generator = Generator(distribution, 9, 11);
        var a = Draw(generator, 42);
        var b = Draw(Generator(distribution, 9, 11), 42);
        Assert.Equal(a.ToAscii('A'), b.ToAscii('A'));
        var distinct = Enumerable.Range(0, 20).Select(s => Draw(generator, (ulong)s).ToAscii('A')).Distinct().Count();
        Assert.True(distinct > 10, $"{distribution}: only {distinct} distinct maps in 20 seeds.");
    }

    [Fact]
    public void GeneratorsAreFoundByNameAndBadArgumentsAreReportedWithThePosition()
    {
        Assert.Contains("tree_maze", ComponentRegistry.BuiltIn.GeneratorNames);
        Assert.Contains("corridor", ComponentRegistry.BuiltIn.GeneratorNames);
        var even = Assert.Throws<ScenarioException>(() => Generator("train", 8, 7));
        Assert.Contains("odd", even.Message, StringComparison.Ordinal);
        var crowded = Assert.Throws<ScenarioException>(() => Generator("open", 3, 4));
        Assert.Contains("do not fit", crowded.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TreeMazesAreConnectedSpanningTreesWithTheCornerObjectInItsCorner() =>
        Gen.Select(Gen.ULong, Gen.Int[2, 7], Gen.Int[2, 7]).Sample((seed, a, b) =>
        {
            int h = (2 * a) + 1, w = (2 * b) + 1;
            var level = Draw(Generator("train", h, w), seed);
            CheckCommon(level, "xyzo");

            // A spanning tree of the J junctions carves J − 1 edges: 2J − 1 floor cells.
            var junctions = (h / 2) * (w / 2);
            Assert.Equal((2 * junctions) - 1, level.CellsView.Count(c => c != '#'));
            var o = Assert.Single(InnerSupport.Find(level, 'o'));
            Assert.InRange(o / w, 1, 2);
            Assert.InRange(o % w, w - 3, w - 2);
        }, iter: 300);

    [Fact]
    public void EdgeMazesAreConnectedForEveryEdgeProbability() =>
        Gen.Select(Gen.ULong, Gen.Int[2, 7], Gen.Int[0, 4]).Sample((seed, a, tenths) =>
        {
            var p = tenths / 4.0;
            int h = (2 * a) + 1, w = (2 * (9 - a)) + 1;
            var level = Draw(Generator("edge", h, w, p), seed);
            CheckCommon(level, "xyz");

            // Junctions are always open and the even-even lattice corners always walls.
            for (var r = 1; r < h - 1; r++)
            {
                for (var c = 1; c < w - 1; c++)
                {
                    if (r % 2 == 0 && c % 2 == 0)
                    {
                        Assert.Equal('#', (char)level.CellsView[(r * w) + c]);
                    }
                }
            }
        }, iter: 300);

    [Fact]
    public void BlockMazesAreRepairedToBeConnected() =>
        Gen.Select(Gen.ULong, Gen.Int[5, 14], Gen.Int[5, 14], Gen.Int[0, 5]).Sample((seed, h, w, tenths) =>
        {
            var level = Draw(Generator("block", h, w, tenths / 10.0), seed);
            CheckCommon(level, "xyzo");
            var o = Assert.Single(InnerSupport.Find(level, 'o'));
            Assert.Equal((h - 2, 1), (o / w, o % w));
        }, iter: 300);

    [Fact]
    public void OpenRoomsHaveOnlyBorderWalls() =>
        Gen.Select(Gen.ULong, Gen.Int[4, 14], Gen.Int[4, 14]).Sample((seed, h, w) =>
        {
            var level = Draw(Generator("open", h, w), seed);
            CheckCommon(level, "xyz");
            Assert.Equal(2 * (h + w - 2), level.CellsView.Count(c => c == '#'));
        }, iter: 300);

    [Fact]
    public void CorridorsStartAtTheLeftAndStayConnected() =>
        Gen.Select(Gen.ULong, Gen.Int[3, 8], Gen.Int[4, 30], Gen.Int[0, 10]).Sample((seed, h, w, tenths) =>
        {
            var level = Draw(Generator("corridor", h, w, tenths / 10.0), seed);
            CheckCommon(level, "o");
            Assert.Equal(1, level.AgentStart % w);

            // Start and end-of-level columns are never blocked.
            for (var r = 1; r < h - 1; r++)
            {
                Assert.NotEqual('#', (char)level.CellsView[(r * w) + 1]);
                Assert.NotEqual('#', (char)level.CellsView[(r * w) + w - 2]);
            }
        }, iter: 300);

    /// <summary>Border intact, agent on floor, one of each object, every non-wall cell reachable from the agent.</summary>
    private static void CheckCommon(GridLevel level, string objects)
    {
        int h = level.Height, w = level.Width;
        for (var i = 0; i < h * w; i++)
        {
            if (i / w == 0 || i / w == h - 1 || i % w == 0 || i % w == w - 1)
            {
                Assert.Equal('#', (char)level.CellsView[i]);
            }
        }

        Assert.Equal(' ', (char)level.CellsView[level.AgentStart]);
        foreach (var symbol in objects)
        {
            Assert.Single(InnerSupport.Find(level, symbol));
        }

        var open = Enumerable.Range(0, h * w).Where(i => level.CellsView[i] != '#').ToHashSet();
        Assert.True(open.SetEquals(InnerSupport.Reachable(level)), $"unreachable cells in\n{level.ToAscii('A')}");
    }
}
