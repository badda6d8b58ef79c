using AlignLab.Randomness;
using AlignLab.Scenarios;

namespace AlignLab.Grid.Generators;

/// <summary>
/// Perfect mazes (as jaxgmg's <c>TreeMazeGenerator</c>): junctions sit on the odd cells of an
/// odd-sized bordered map, and a random spanning tree of the junction lattice, built by
/// randomized Kruskal (shuffle every lattice edge, keep each one that joins two components), is
/// carved out. Every floor cell is connected to every other by exactly one path. Arguments:
/// <c>height</c>, <c>width</c> (odd, ≥ 3, default 13) and the placement arguments of
/// <see cref="ObjectPlacement"/> (<c>objects</c>, <c>corner_object</c>, <c>corner_size</c>,
/// <c>corner</c>, <c>wall</c>, <c>floor</c>).
/// </summary>
[Generator("tree_maze")]
public sealed class TreeMazeGenerator : LevelGenerator
{
    private readonly ObjectPlacement _placement;

    /// <summary>Reads the maze size and the placement arguments.</summary>
    public TreeMazeGenerator(ComponentArgs args)
    {
        ArgumentNullException.ThrowIfNull(args);
        Height = args.Int("height", 13);
        Width = args.Int("width", 13);
        MazeGrid.CheckOddSize(args, Height, Width);
        _placement = new ObjectPlacement(args, Height, Width);
    }

    /// <inheritdoc />
    public override int Height { get; }

    /// <inheritdoc />
    public override int Width { get; }

    /// <inheritdoc />
    public override string Symbols => _placement.Symbols;

    /// <inheritdoc />
    public override int Generate(ref Rng rng, Span<byte> cells)
    {
        while (true)
        {
            Carve(ref rng, cells, Height, Width, _placement.Wall, _placement.Floor);
            if (_placement.TryPlace(ref rng, cells, out var agent))
            {
                return agent;
            }
        }
    }

    /// <summary>Carves a random spanning-tree maze into <paramref name="cells"/>.</summary>
    internal static void Carve(ref Rng rng, Span<byte> cells, int height, int width, byte wall, byte floor)
    {
        cells.Fill(wall);
        MazeGrid.CarveJunctions(cells, height, width, floor);
        var nodes = (height / 2) * (width / 2);
        var edgeCount = MazeGrid.LatticeEdgeCount(height, width);
        Span<int> edges = edgeCount <= MazeGrid.StackLimit ? stackalloc int[edgeCount] : new int[edgeCount];
        Span<int> parent = nodes <= MazeGrid.StackLimit ? stackalloc int[nodes] : new int[nodes];
        MazeGrid.LatticeEdges(height, width, edges);
        MazeGrid.Shuffle(ref rng, edges);
        for (var i = 0; i < nodes; i++)
        {
            parent[i] = i;
        }

        foreach (var code in edges)
        {
            var (a, b, cell) = MazeGrid.Edge(code, height, width);
            if (MazeGrid.Union(parent, a, b))
            {
                cells[cell] = floor;
            }
        }
    }
}
