using System.Security.Cryptography;
using AlignLab.Grid;

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
}
