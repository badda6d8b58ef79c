namespace AlignLab.Solve;

/// <summary>
/// Interned fixed-size state records for the exact solver: the records live in large chunked
/// byte arrays and an open-addressing table of ids finds them by hash, so a state costs its
/// packed bytes plus a few bytes of table, with no object per state.
/// </summary>
internal sealed class StateArena
{
    private const int ChunkBytes = 1 << 26;
    private readonly int _recordBytes;
    private readonly int _recordsPerChunk;
    private readonly List<byte[]> _chunks = [];
    private int[] _table = new int[1 << 16];
    private int[] _hashes = new int[1 << 15];

    public StateArena(int recordBytes)
    {
        _recordBytes = recordBytes;
        _recordsPerChunk = Math.Max(1, ChunkBytes / recordBytes);
        Array.Fill(_table, -1);
    }

    /// <summary>Number of distinct records.</summary>
    public int Count { get; private set; }

    /// <summary>The bytes of a record.</summary>
    public ReadOnlySpan<byte> this[int id] => _chunks[id / _recordsPerChunk].AsSpan((id % _recordsPerChunk) * _recordBytes, _recordBytes);

    /// <summary>The id of a record, adding it if new; <paramref name="added"/> tells which.</summary>
    public int Intern(ReadOnlySpan<byte> record, out bool added)
    {
        var hash = Hash(record);
        var mask = _table.Length - 1;
        for (var slot = hash & mask; ; slot = (slot + 1) & mask)
        {
            var id = _table[slot];
            if (id < 0)
            {
                break;
            }

            if (_hashes[id] == hash && this[id].SequenceEqual(record))
            {
                added = false;
                return id;
            }
        }

        var newId = Count;
        if (newId % _recordsPerChunk == 0)
        {
            _chunks.Add(new byte[_recordsPerChunk * _recordBytes]);
        }

        record.CopyTo(_chunks[newId / _recordsPerChunk].AsSpan((newId % _recordsPerChunk) * _recordBytes, _recordBytes));
        if (newId == _hashes.Length)
        {
            Array.Resize(ref _hashes, _hashes.Length * 2);
        }

        _hashes[newId] = hash;
        Count++;
        if (Count * 2 > _table.Length)
        {
            Rehash();
        }
        else
        {
            Insert(_table, newId, hash);
        }

        added = true;
        return newId;
    }

    private static int Hash(ReadOnlySpan<byte> record)
    {
        var hash = default(HashCode);
        hash.AddBytes(record);
        return hash.ToHashCode() & int.MaxValue;
    }

    private static void Insert(int[] table, int id, int hash)
    {
        var mask = table.Length - 1;
        var slot = hash & mask;
        while (table[slot] >= 0)
        {
            slot = (slot + 1) & mask;
        }

        table[slot] = id;
    }

    private void Rehash()
    {
        var table = new int[_table.Length * 2];
        Array.Fill(table, -1);
        for (var id = 0; id < Count; id++)
        {
            Insert(table, id, _hashes[id]);
        }

        _table = table;
    }
}

/// <summary>A growable array of unmanaged values with direct span access (no per-item boxing or list overhead).</summary>
internal struct GrowableArray<T>
    where T : unmanaged
{
    private T[] _items;

    public GrowableArray(int capacity) => _items = new T[Math.Max(4, capacity)];

    public int Count { get; private set; }

    public void Add(T item)
    {
        if (Count == _items.Length)
        {
            Array.Resize(ref _items, (int)Math.Min(Array.MaxLength, (long)_items.Length * 2));
        }

        _items[Count++] = item;
    }

    public readonly T[] ToTrimmedArray() => _items.AsSpan(0, Count).ToArray();

}
