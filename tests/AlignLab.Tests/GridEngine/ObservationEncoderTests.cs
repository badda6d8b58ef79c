using AlignLab.Grid;
using CsCheck;

namespace AlignLab.Tests.GridEngine;

/// <summary>
/// The one-hot observation encoder: channels follow the legend's characters in order, a full
/// encode lights exactly the board's channel at every cell, and the incremental update from one
/// board to another leaves exactly what a full re-encode of the new board gives.
/// </summary>
public sealed class ObservationEncoderTests
{
    /// <summary>Legend characters of the random boards: fewer than the board alphabet, so some cells light no channel.</summary>
    private const string LegendSymbols = "# A*GxW";

    /// <summary>Characters the random boards draw from: the legend's and two it lacks.</summary>
    private const string BoardSymbols = LegendSymbols + "?~";

    private static readonly ObservationEncoder Encoder = new(Legend(LegendSymbols));

    private static Dictionary<char, Tile> Legend(IEnumerable<char> symbols) =>
        symbols.ToDictionary(c => c, c => new Tile(c, $"tile {(int)c}", false, null, false, null));

    private static byte[] Board(string symbols) => [.. symbols.Select(c => (byte)c)];

    private static float[] FullEncoding(ReadOnlySpan<byte> board)
    {
        var observation = new float[Encoder.Channels * board.Length];
        Encoder.Encode(board, observation);
        return observation;
    }

    [Fact]
    public void ChannelsAreTheLegendCharactersInCharacterOrder()
    {
        Assert.Equal(LegendSymbols.Order(), Encoder.ChannelSymbols);
        Assert.Equal(LegendSymbols.Length, Encoder.Channels);
    }

    [Fact]
    public void EncodeLightsTheBoardsChannelAtEveryCellAndNothingForCharactersOutsideTheLegend()
    {
        var board = Board("#A ?*");
        var observation = FullEncoding(board);
        for (var cell = 0; cell < board.Length; cell++)
        {
            for (var c = 0; c < Encoder.Channels; c++)
            {
                var expected = Encoder.ChannelSymbols[c] == board[cell] ? 1f : 0f;
                Assert.Equal(expected, observation[(c * board.Length) + cell]);
            }
        }

        Assert.Equal(4f, observation.Sum());
    }

    [Fact]
    public void EncodeClearsWhatTheObservationHeldBefore()
    {
        var observation = Enumerable.Repeat(1f, Encoder.Channels * 3).ToArray();
        Encoder.Encode(Board("#  "), observation);
        Assert.Equal(FullEncoding(Board("#  ")), observation);
    }

    [Fact]
    public void UpdateTouchesOnlyTheCellsThatChanged()
    {
        // 70 cells: two full 32-cell vector blocks and a 6-cell tail, with changes in each.
        var before = Board(new string(' ', 70));
        var after = (byte[])before.Clone();
        after[0] = (byte)'A';
        after[31] = (byte)'#';
        after[32] = (byte)'?';
        after[69] = (byte)'G';
        var board = (byte[])before.Clone();
        var observation = FullEncoding(board);
        var untouched = (Encoder.ChannelSymbols.ToList().IndexOf('x') * 70) + 5;
        observation[untouched] = 42f; // a cell that did not change keeps whatever it held
        Encoder.Update(board, after, observation);

        Assert.Equal(after, board);
        var expected = FullEncoding(after);
        expected[untouched] = 42f;
        Assert.Equal(expected, observation);
    }

    [Fact]
    public void TheIncrementalUpdateEqualsAFullReencodeOnRandomBoards()
    {
        // Boards of 1 to 200 cells (across the 32-cell vector blocks), each a sequence of random
        // boards with a few cells changed per step, as an episode changes them.
        var symbol = Gen.Int[0, BoardSymbols.Length - 1].Select(i => (byte)BoardSymbols[i]);
        var gen = Gen.Int[1, 200].SelectMany(cells =>
            Gen.Select(
                symbol.Array[cells],
                Gen.Select(Gen.Int[0, cells - 1], symbol).Array[0, 8].Array[1, 6]));
        gen.Sample(sample =>
        {
            var (start, steps) = sample;
            var board = (byte[])start.Clone();
            var observation = FullEncoding(board);
            var next = (byte[])start.Clone();
            foreach (var changes in steps)
            {
                foreach (var (cell, value) in changes)
                {
                    next[cell] = value;
                }

                Encoder.Update(board, next, observation);
                Assert.Equal(next, board);
                Assert.Equal(FullEncoding(next), observation);
            }
        });
    }

    [Fact]
    public void ALegendTooLargeForOneHotChannelsIsRefused()
    {
        var legend = Legend(Enumerable.Range(0, sbyte.MaxValue + 1).Select(i => (char)i));
        var error = Assert.Throws<ArgumentException>(() => new ObservationEncoder(legend));
        Assert.Equal("legend", error.ParamName);
    }
}
