using System.Runtime.CompilerServices;

namespace AlignLab.Solve;

/// <summary>
/// Interned fixed-size state records for the exact solver: the records live in large chunked
/// byte arrays and an open-addressing table of ids finds them by hash, so a state costs its
/// packed bytes plus a few bytes of table, with no object per state. The first chunk starts small
/// and doubles up to the full chunk size, so a small model allocates little; every allocation is
/// counted against a <see cref="SolverBudget"/> before it is made.
/// </summary>
internal sealed class StateArena
{
    private const int ChunkBytes = 1 << 26;
    private const int FirstChunkBytes = 1 << 16;
    private readonly int _recordBytes;
    private readonly int _recordsPerChunk;
    private readonly List<byte[]> _chunks = [];
    private readonly SolverBudget _budget;
    private int[] _table;
    private int[] _hashes;
    private int _firstChunkRecords;

    public StateArena(int recordBytes, SolverBudget budget)
    {
        _recordBytes = recordBytes;
        _recordsPerChunk = Math.Max(1, ChunkBytes / recordBytes);
        _budget = budget;
        budget.Reserve((1 << 16) * 4L + (1 << 10) * 4L);
        _table = new int[1 << 16];
        _hashes = new int[1 << 10];
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
        if (newId % _recordsPerChunk == 0 && newId > 0)
        {
            _budget.Reserve((long)_recordsPerChunk * _recordBytes);
            _chunks.Add(new byte[_recordsPerChunk * _recordBytes]);
        }
        else if (newId == _firstChunkRecords)
        {
            GrowFirstChunk();
        }

        record.CopyTo(_chunks[newId / _recordsPerChunk].AsSpan((newId % _recordsPerChunk) * _recordBytes, _recordBytes));
        if (newId == _hashes.Length)
        {
            _budget.Reserve(_hashes.Length * 8L);
            Array.Resize(ref _hashes, _hashes.Length * 2);
            _budget.Release(_hashes.Length * 2L);
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

    private void GrowFirstChunk()
    {
        // Chunk 0 holds the first _recordsPerChunk records, as every chunk does, but is allocated
        // small and doubled (up to the full size) as records arrive.
        var records = _firstChunkRecords == 0 ? Math.Max(1, Math.Min(_recordsPerChunk, FirstChunkBytes / _recordBytes)) : (int)Math.Min(_recordsPerChunk, 2L * _firstChunkRecords);
        _budget.Reserve((long)records * _recordBytes);
        if (_chunks.Count == 0)
        {
            _chunks.Add(new byte[records * _recordBytes]);
        }
        else
        {
            var chunk = _chunks[0];
            Array.Resize(ref chunk, records * _recordBytes);
            _chunks[0] = chunk;
            _budget.Release((long)_firstChunkRecords * _recordBytes);
        }

        _firstChunkRecords = records;
    }

    private void Rehash()
    {
        _budget.Reserve(_table.Length * 8L);
        var table = new int[_table.Length * 2];
        Array.Fill(table, -1);
        for (var id = 0; id < Count; id++)
        {
            Insert(table, id, _hashes[id]);
        }

        _budget.Release(_table.Length * 4L);
        _table = table;
    }
}

/// <summary>A growable array of unmanaged values with direct span access (no per-item boxing or list overhead).</summary>
internal struct GrowableArray<T>
    where T : unmanaged
{
    private readonly SolverBudget _budget;
    private T[] _items;

    /// <summary>An empty array that counts its allocations against <paramref name="budget"/>.</summary>
    public GrowableArray(int capacity, SolverBudget budget)
    {
        _budget = budget;
        capacity = Math.Max(4, capacity);
        budget.Reserve((long)capacity * Unsafe.SizeOf<T>());
        _items = new T[capacity];
    }

    public int Count { get; private set; }

    public void Add(T item)
    {
        if (Count == _items.Length)
        {
            Grow();
        }

        _items[Count++] = item;
    }

    /// <summary>The items added so far.</summary>
    public readonly ReadOnlySpan<T> AsSpan() => _items.AsSpan(0, Count);

    /// <summary>Removes the last item.</summary>
    public void RemoveLast() => Count--;

    /// <summary>Keeps only the first <paramref name="count"/> items.</summary>
    public void Truncate(int count) => Count = count;

    /// <summary>A copy of the items, exactly as long as <see cref="Count"/>; the budget then counts the copy instead of the buffer.</summary>
    public readonly T[] ToTrimmedArray()
    {
        _budget.Reserve((long)Count * Unsafe.SizeOf<T>());
        var items = _items.AsSpan(0, Count).ToArray();
        _budget.Release((long)_items.Length * Unsafe.SizeOf<T>());
        return items;
    }

    private void Grow()
    {
        var length = (int)Math.Min(Array.MaxLength, (long)_items.Length * 2);
        _budget.Reserve((long)length * Unsafe.SizeOf<T>());
        Array.Resize(ref _items, length);
        _budget.Release((long)Count * Unsafe.SizeOf<T>());
    }

}
