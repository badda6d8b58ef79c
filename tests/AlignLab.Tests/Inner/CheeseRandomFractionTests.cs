using System.Security.Cryptography;
using AlignLab.Errors;
using AlignLab.Grid;
using AlignLab.Scenarios;
using CsCheck;

namespace AlignLab.Tests.Inner;

/// <summary>
/// The tree maze's <c>cheese_random_fraction</c> (CheeseInTheCorner-v0's rare deployment failures): left at 0 every
/// tree-maze level is bit-identical to the levels drawn before the argument existed (hashes pinned from that code);
/// above 0 that share of levels puts the corner object anywhere; a value outside [0, 1] or not a number is one
/// located line.
/// </summary>
public sealed class CheeseRandomFractionTests
{
    private const string Id = "CheeseInTheCorner-v0";

    /// <summary>SHA-256 (first 40 hex digits) of the first levels of a distribution: size, agent start and every cell of each.</summary>
    private static string Hash(IEnumerable<GridLevel> levels)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var level in levels)
        {
            sha.AppendData(BitConverter.GetBytes(level.Height));
            sha.AppendData(BitConverter.GetBytes(level.Width));
            sha.AppendData(BitConverter.GetBytes(level.AgentStart));
            sha.AppendData([.. level.CellsView]);
        }

        return Convert.ToHexString(sha.GetHashAndReset())[..40];
    }

    // Pinned from the tree maze generator before cheese_random_fraction was added (commit ebf5335).
    [Theory]
    [InlineData("CheeseInTheCorner-v0", "train", "", "62097FDB6A37B5BB7190BCC6B0BDC2BED400FDD1")]
    [InlineData("CheeseInTheCorner-v0", "train", "size=7", "7124FD9DED5F5972ACFE127C3B0296AB8A7502FD")]
    [InlineData("CheeseInTheCorner-v0", "train", "size=7,corner_size=2", "F7F8D8B6FF8268EAE993E6EB6F5AB7F8B79827D9")]
    [InlineData("CheeseInTheCorner-v0", "deploy", "size=7", "F8659C0CF2068872EDB24A13CC2D34C4AAA61196")]
    [InlineData("CheeseInTheCorner-v0", "train", "size=7,cheese_random_fraction=0", "7124FD9DED5F5972ACFE127C3B0296AB8A7502FD")]
    [InlineData("KeysAndChests-v0", "train", "size=7", "11E36E940D278D8DA172C5E531C7F34BBF0FC91C")]
    [InlineData("MonsterWorld-v0", "deploy", "", "672CA1A4A814B30984D7A1672987F1A36CD709ED")]
    public void WithTheDefaultFractionLevelsAreBitIdenticalToTheLevelsDrawnBeforeIt(string id, string distribution, string set, string expected)
    {
        var pairs = set.Length == 0 ? [] : set.Split(',').Select(p => p.Split('=')).Select(p => (p[0], p[1])).ToArray();
        Assert.Equal(expected, Hash(InnerSupport.Sample(id, distribution, 200, seed: 11, pairs)));
    }

    [Fact]
    public void TheFractionMovesTheCheeseOutOfTheCornerInThatShareOfLevels() =>
        Gen.Select(Gen.ULong, Gen.Int[0, 10]).Sample((seed, tenths) =>
        {
            // 7×7 tree maze: 17 floor cells, of which the agent takes one; a moved cheese lands on the corner cell
            // again with probability 1/16, so the share of levels with the cheese elsewhere is f × 15/16.
            var f = tenths / 10.0;
            const int Count = 400;
            var levels = InnerSupport.Sample(Id, "train", Count, seed, ("size", "7"), ("cheese_random_fraction", f.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            var away = 0;
            foreach (var level in levels)
            {
                var cheese = Assert.Single(InnerSupport.Find(level, 'C'));
                Assert.NotEqual(level.AgentStart, cheese);
                Assert.Equal(17, level.CellsView.Count(c => c != '#'));
                Assert.Contains(cheese, InnerSupport.Reachable(level));
                away += cheese == 7 + 5 ? 0 : 1;
            }

            // Binomial(400, p): five standard deviations either side (at most 5 × 10 = 50 levels).
            var p = f * 15 / 16;
            var sd = Math.Sqrt(Count * p * (1 - p));
            Assert.InRange(away, (Count * p) - (5 * sd) - 0.5, (Count * p) + (5 * sd) + 0.5);
        }, iter: 20);

    [Fact]
    public void MovedCheeseIsSpreadOverTheWholeMaze()
    {
        var cells = InnerSupport.Sample(Id, "train", 600, seed: 5, ("size", "7"), ("cheese_random_fraction", "1"))
            .Select(l => Assert.Single(InnerSupport.Find(l, 'C'))).ToList();

        // Every interior cell of a 7×7 tree maze can be floor except the even-even lattice corners (4 of 25).
        Assert.True(cells.Distinct().Count() >= 19, $"only {cells.Distinct().Count()} cheese cells");
        Assert.InRange(cells.Count(c => c == 7 + 5), 10, 80); // the corner cell: 1/16 of 600 = 37.5
    }

    [Fact]
    public void TheSameSeedDrawsTheSameLevelsWithAFraction()
    {
        var a = InnerSupport.Sample(Id, "train", 50, seed: 9, ("size", "9"), ("cheese_random_fraction", "0.3"));
        var b = InnerSupport.Sample(Id, "train", 50, seed: 9, ("size", "9"), ("cheese_random_fraction", "0.3"));
        Assert.Equal(Hash(a), Hash(b));
        Assert.NotEqual(Hash(a), Hash(InnerSupport.Sample(Id, "train", 50, seed: 9, ("size", "9"))));
    }

    [Theory]
    [InlineData("-0.1", "'corner_random_fraction' must be between 0 and 1, not -0.1")]
    [InlineData("1.5", "'corner_random_fraction' must be between 0 and 1, not 1.5")]
    [InlineData("abc", "parameter 'cheese_random_fraction' takes a number")]
    [InlineData("NaN", "parameter 'cheese_random_fraction' takes a number")]
    public void BadFractionsAreOneLine(string value, string problem)
    {
        var e = Assert.ThrowsAny<UserInputException>(() => InnerSupport.Sample(Id, "train", 1, 0, ("cheese_random_fraction", value)));
        Assert.Contains(problem, e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void AFractionWithoutACornerObjectIsRejected()
    {
        var yaml = """
            id: NoCorner-v0
            legend:
              '#': {name: wall, blocks: true}
              ' ': {name: floor}
              'A': {name: agent, agent: true}
              'x': {name: x}
            distributions:
              train: {generator: tree_maze, with: {height: 7, width: 7, objects: x, corner_random_fraction: 0.5}}
            reward: 0
            intended: 0
            """;
        var e = Assert.Throws<ScenarioException>(() => ScenarioParser.Parse(yaml, "nocorner.yaml").Build(new BuildOptions(Distribution: "train")));
        Assert.Contains("no 'corner_object'", e.Message, StringComparison.Ordinal);
    }
}
