using AlignLab.Randomness;

namespace AlignLab.Grid.Generators;

/// <summary>
/// Grid helpers shared by the level generators: bordered maps, union–find over the odd-cell
/// lattice of a maze, flood fills and uniform draws from a candidate list. Everything works on
/// caller-provided spans, so a generator allocates nothing but its own scratch.
/// </summary>
internal static class MazeGrid
{
    /// <summary>The most cells a generated map may have (height × width), checked before any work.</summary>
    public const int MaxCells = 65536;

    /// <summary>Stack-allocation limit (cells) for scratch buffers; larger maps use the heap.</summary>
    public const int StackLimit = 2048;

    /// <summary>Fills the whole map with <paramref name="fill"/> and draws a one-cell border of <paramref name="wall"/>.</summary>
    public static void Bordered(Span<byte> cells, int height, int width, byte wall, byte fill)
    {
        cells.Fill(fill);
        for (var c = 0; c < width; c++)
        {
            cells[c] = wall;
            cells[((height - 1) * width) + c] = wall;
        }

        for (var r = 0; r < height; r++)
        {
            cells[r * width] = wall;
            cells[(r * width) + width - 1] = wall;
        }
    }

    /// <summary>
    /// Marks in <paramref name="reached"/> every cell 4-connected to <paramref name="start"/>
    /// through cells that are not <paramref name="wall"/>, and returns how many there are (0 if
    /// the start is a wall). <paramref name="queue"/> needs one slot per cell.
    /// </summary>
    public static int Flood(ReadOnlySpan<byte> cells, int width, int start, byte wall, Span<bool> reached, Span<int> queue)
    {
        reached.Clear();
        if (cells[start] == wall)
        {
            return 0;
        }

        var head = 0;
        var tail = 0;
        queue[tail++] = start;
        reached[start] = true;
        while (head < tail)
        {
            var i = queue[head++];
            var c = i % width;
            for (var k = 0; k < 4; k++)
            {
                var j = k switch
                {
                    0 => i - width,
                    1 => i + width,
                    2 => c > 0 ? i - 1 : -1,
                    _ => c < width - 1 ? i + 1 : -1,
                };
                if (j >= 0 && j < cells.Length && !reached[j] && cells[j] != wall)
                {
                    reached[j] = true;
                    queue[tail++] = j;
                }
            }
        }

        return tail;
    }

    /// <summary>Shuffles <paramref name="items"/> in place (Fisher–Yates) with <paramref name="rng"/>.</summary>
    public static void Shuffle(ref Rng rng, Span<int> items)
    {
        for (var i = items.Length - 1; i > 0; i--)
        {
            var j = rng.NextInt(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }

    /// <summary>Root of <paramref name="x"/> in a union–find forest, halving paths on the way.</summary>
    public static int Find(Span<int> parent, int x)
    {
        while (parent[x] != x)
        {
            parent[x] = parent[parent[x]];
            x = parent[x];
        }

        return x;
    }

    /// <summary>Joins the sets of <paramref name="a"/> and <paramref name="b"/>; false if they were already one.</summary>
    public static bool Union(Span<int> parent, int a, int b)
    {
        var ra = Find(parent, a);
        var rb = Find(parent, b);
        if (ra == rb)
        {
            return false;
        }

        parent[rb] = ra;
        return true;
    }

    /// <summary>
    /// The wall edges of a maze's odd-cell lattice: junctions sit at odd (row, column), and the
    /// edge between two neighbouring junctions is the cell between them. Each edge is encoded as
    /// <c>first junction * 2 + (0 horizontal, 1 vertical)</c>; returns how many were written.
    /// </summary>
    public static int LatticeEdges(int height, int width, Span<int> edges)
    {
        var rows = height / 2;
        var cols = width / 2;
        var n = 0;
        for (var r = 0; r < rows; r++)
        {
            for (var c = 0; c < cols; c++)
            {
                var node = (r * cols) + c;
                if (c + 1 < cols)
                {
                    edges[n++] = node * 2;
                }

                if (r + 1 < rows)
                {
                    edges[n++] = (node * 2) + 1;
                }
            }
        }

        return n;
    }

    /// <summary>Number of wall edges in the odd-cell lattice of an H×W maze.</summary>
    public static int LatticeEdgeCount(int height, int width)
    {
        var rows = height / 2;
        var cols = width / 2;
        return ((rows - 1) * cols) + (rows * (cols - 1));
    }

    /// <summary>The two junction ids an encoded lattice edge joins, and the map cell that carves it.</summary>
    public static (int A, int B, int Cell) Edge(int code, int height, int width)
    {
        _ = height;
        var cols = width / 2;
        var a = code / 2;
        var vertical = (code & 1) == 1;
        var b = vertical ? a + cols : a + 1;
        var r = ((a / cols) * 2) + 1 + (vertical ? 1 : 0);
        var c = ((a % cols) * 2) + 1 + (vertical ? 0 : 1);
        return (a, b, (r * width) + c);
    }

    /// <summary>Opens every junction (odd row, odd column) of a maze map.</summary>
    public static void CarveJunctions(Span<byte> cells, int height, int width, byte floor)
    {
        for (var r = 1; r < height - 1; r += 2)
        {
            for (var c = 1; c < width - 1; c += 2)
            {
                cells[(r * width) + c] = floor;
            }
        }
    }

    /// <summary>Checks the size arguments of a lattice maze (odd, at least 3).</summary>
    public static void CheckOddSize(Scenarios.ComponentArgs args, int height, int width)
    {
        CheckCells(args, height, width);
        if (height < 3 || width < 3 || height % 2 == 0 || width % 2 == 0)
        {
            throw args.Error($"height and width must be odd and at least 3 (the maze's junctions sit on odd cells), not {height}×{width}.");
        }
    }

    /// <summary>Checks the size arguments of a bordered map (at least 3×3).</summary>
    public static void CheckSize(Scenarios.ComponentArgs args, int height, int width)
    {
        CheckCells(args, height, width);
        if (height < 3 || width < 3)
        {
            throw args.Error($"height and width must be at least 3 and the map at most {MaxCells} cells, not {height}×{width}.");
        }
    }

    /// <summary>
    /// Checks that a generated map has at most <see cref="MaxCells"/> cells (computed without
    /// overflow); every generator calls this before any work, so a huge size fails at once.
    /// </summary>
    public static void CheckCells(Scenarios.ComponentArgs args, int height, int width)
    {
        if ((long)height * width > MaxCells)
        {
            throw args.Error($"the map may have at most {MaxCells:N0} cells (height × width), not {height}×{width} = {(long)height * width:N0}.");
        }
    }
}
