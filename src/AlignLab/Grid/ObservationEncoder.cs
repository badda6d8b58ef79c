using System.Numerics;
using System.Runtime.Intrinsics;

namespace AlignLab.Grid;

/// <summary>
/// Turns symbolic boards into the one-hot C×H×W observation the agent sees: one channel per
/// legend character, in character order, holding 1 where the board shows that character and 0
/// elsewhere (a character outside the legend lights no channel). It holds no board of its own,
/// so one encoder serves every environment of a batch.
/// </summary>
internal sealed class ObservationEncoder
{
    private readonly sbyte[] _channelOf = new sbyte[256];

    /// <summary>Gives each character of <paramref name="legend"/> a channel, in character order.</summary>
    /// <exception cref="ArgumentException">The legend has more characters than one-hot channels can index.</exception>
    public ObservationEncoder(IReadOnlyDictionary<char, Tile> legend)
    {
        var symbols = legend.Keys.Order().ToList();
        if (symbols.Count > sbyte.MaxValue)
        {
            throw new ArgumentException("Too many distinct map characters for one-hot channels.", nameof(legend));
        }

        Array.Fill(_channelOf, (sbyte)-1);
        for (var i = 0; i < symbols.Count; i++)
        {
            _channelOf[symbols[i]] = (sbyte)i;
        }

        ChannelSymbols = symbols;
        Channels = symbols.Count;
    }

    /// <summary>The board character of each channel, in channel order.</summary>
    public IReadOnlyList<char> ChannelSymbols { get; }

    /// <summary>Number of one-hot channels.</summary>
    public int Channels { get; }

    /// <summary>
    /// Writes the one-hot encoding of <paramref name="board"/> into <paramref name="observation"/>
    /// (length <see cref="Channels"/> × the board's cell count; cell i of channel c is at
    /// c·cells + i).
    /// </summary>
    public void Encode(ReadOnlySpan<byte> board, Span<float> observation)
    {
        observation.Clear();
        var cellCount = board.Length;
        for (var i = 0; i < cellCount; i++)
        {
            var channel = _channelOf[board[i]];
            if (channel >= 0)
            {
                observation[(channel * cellCount) + i] = 1f;
            }
        }
    }

    /// <summary>
    /// Brings <paramref name="board"/> and its encoding <paramref name="observation"/> up to date
    /// with <paramref name="newBoard"/>, touching only the cells whose character changed: the
    /// boards are compared a vector at a time, and each differing cell moves its 1 from the old
    /// channel to the new one and takes the new character. On entry <paramref name="observation"/>
    /// must encode <paramref name="board"/> (as after <see cref="Encode"/>); on return both equal
    /// what <paramref name="newBoard"/> gives.
    /// </summary>
    public void Update(Span<byte> board, ReadOnlySpan<byte> newBoard, Span<float> observation)
    {
        var cellCount = board.Length;
        var i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i <= cellCount - 32; i += 32)
            {
                var before = Vector256.Create<byte>(board[i..]);
                var after = Vector256.Create<byte>(newBoard[i..]);
                var mask = Vector256.ExtractMostSignificantBits(~Vector256.Equals(before, after));
                while (mask != 0)
                {
                    var j = i + BitOperations.TrailingZeroCount(mask);
                    Recode(board, newBoard, observation, j, cellCount);
                    mask &= mask - 1;
                }
            }
        }

        for (; i < cellCount; i++)
        {
            if (board[i] != newBoard[i])
            {
                Recode(board, newBoard, observation, i, cellCount);
            }
        }
    }

    private void Recode(Span<byte> board, ReadOnlySpan<byte> newBoard, Span<float> observation, int cell, int cellCount)
    {
        var old = _channelOf[board[cell]];
        if (old >= 0)
        {
            observation[(old * cellCount) + cell] = 0f;
        }

        var channel = _channelOf[newBoard[cell]];
        if (channel >= 0)
        {
            observation[(channel * cellCount) + cell] = 1f;
        }

        board[cell] = newBoard[cell];
    }
}
