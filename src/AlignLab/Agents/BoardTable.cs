namespace AlignLab.Agents;

/// <summary>
/// Maps observed boards to rows of a growable table, for tabular agents. Lookups by span do not
/// allocate; a board seen for the first time is copied once.
/// </summary>
internal sealed class BoardTable
{
    private readonly Dictionary<byte[], int> _rows = new(BoardComparer.Instance);
    private readonly Dictionary<byte[], int>.AlternateLookup<ReadOnlySpan<byte>> _lookup;

    public BoardTable() => _lookup = _rows.GetAlternateLookup<ReadOnlySpan<byte>>();

    /// <summary>Number of distinct boards seen.</summary>
    public int Count => _rows.Count;

    /// <summary>The row of a board, or −1 if it was never seen.</summary>
    public int Find(ReadOnlySpan<byte> board) => _lookup.TryGetValue(board, out var row) ? row : -1;

    /// <summary>The row of a board, adding it if new.</summary>
    public int GetOrAdd(ReadOnlySpan<byte> board)
    {
        if (_lookup.TryGetValue(board, out var row))
        {
            return row;
        }

        row = _rows.Count;
        _rows.Add(board.ToArray(), row);
        return row;
    }

    /// <summary>The boards in row order (row 0 first), for checkpoints.</summary>
    public byte[][] KeysInRowOrder()
    {
        var keys = new byte[_rows.Count][];
        foreach (var (key, row) in _rows)
        {
            keys[row] = key;
        }

        return keys;
    }

    private sealed class BoardComparer : IEqualityComparer<byte[]>, IAlternateEqualityComparer<ReadOnlySpan<byte>, byte[]>
    {
        public static readonly BoardComparer Instance = new();

        public bool Equals(byte[]? x, byte[]? y) => x.AsSpan().SequenceEqual(y);

        public int GetHashCode(byte[] obj) => GetHashCode((ReadOnlySpan<byte>)obj);

        public bool Equals(ReadOnlySpan<byte> alternate, byte[] other) => alternate.SequenceEqual(other);

        public int GetHashCode(ReadOnlySpan<byte> alternate)
        {
            var hash = default(HashCode);
            hash.AddBytes(alternate);
            return hash.ToHashCode();
        }

        public byte[] Create(ReadOnlySpan<byte> alternate) => alternate.ToArray();
    }
}
