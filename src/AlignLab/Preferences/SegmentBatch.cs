namespace AlignLab.Preferences;

/// <summary>
/// Storage for many trajectory segments of one world in flat, preallocated arrays: boards
/// (<c>StepCapacity + 1</c> per segment), actions, visible agent cells, the tile last seen under
/// the agent, and the hidden per-step intended and visible rewards. Filling a slot again reuses
/// its memory, so sampling allocates nothing per step or per segment. Read a slot through
/// <see cref="this[int]"/>.
/// </summary>
public sealed class SegmentBatch
{
    /// <summary>Creates room for <paramref name="count"/> segments of at most <paramref name="stepCapacity"/> steps on an H×W board.</summary>
    public SegmentBatch(int count, int stepCapacity, int height, int width)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(stepCapacity);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        Count = count;
        StepCapacity = stepCapacity;
        Height = height;
        Width = width;
        var boards = (long)count * (stepCapacity + 1);
        if (boards * height * width > Array.MaxLength)
        {
            throw new ArgumentOutOfRangeException(nameof(count), count, "The segments would not fit in one array; use fewer or shorter segments.");
        }

        Boards = new byte[boards * height * width];
        AgentCells = new int[boards];
        Under = new byte[boards];
        Actions = new byte[count * stepCapacity];
        Intended = new double[count * stepCapacity];
        Rewards = new double[count * stepCapacity];
        Lengths = new int[count];
        StartTimes = new int[count];
        EndsEpisode = new bool[count];
    }

    /// <summary>The number of segment slots.</summary>
    public int Count { get; }

    /// <summary>The most steps a segment may have.</summary>
    public int StepCapacity { get; }

    /// <summary>Board height.</summary>
    public int Height { get; }

    /// <summary>Board width.</summary>
    public int Width { get; }

    /// <summary>Cells per board.</summary>
    public int CellCount => Height * Width;

    /// <summary>The segment in slot <paramref name="index"/>.</summary>
    public Segment this[int index]
    {
        get
        {
            ArgumentOutOfRangeException.ThrowIfNegative(index);
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
            return new Segment(this, index);
        }
    }

    internal byte[] Boards { get; }

    internal int[] AgentCells { get; }

    internal byte[] Under { get; }

    internal byte[] Actions { get; }

    internal double[] Intended { get; }

    internal double[] Rewards { get; }

    internal int[] Lengths { get; }

    internal int[] StartTimes { get; }

    internal bool[] EndsEpisode { get; }

    /// <summary>Board <paramref name="t"/> of slot <paramref name="index"/>, writable.</summary>
    internal Span<byte> BoardSlot(int index, int t) => Boards.AsSpan(((index * (StepCapacity + 1)) + t) * CellCount, CellCount);

    /// <summary>The flat index of board <paramref name="t"/> of slot <paramref name="index"/> in the per-board arrays.</summary>
    internal int BoardIndex(int index, int t) => (index * (StepCapacity + 1)) + t;
}
