using AlignLab.Randomness;
using AlignLab.Scenarios;

namespace AlignLab.Grid.Generators;

/// <summary>
/// Perfect mazes (as jaxgmg's <c>TreeMazeGenerator</c>): junctions sit on the odd cells of an
/// odd-sized bordered map, and a random spanning tree of the junction lattice, built by
/// randomized Kruskal (shuffle every lattice edge, keep each one that joins two components), is
/// carved out. Every floor cell is connected to every other by exactly one path. Arguments:
/// <c>height</c>, <c>width</c> (odd, ≥ 3, default 13), the placement arguments of
/// <see cref="ObjectPlacement"/> (<c>objects</c>, <c>corner_object</c>, <c>corner_size</c>,
/// <c>corner</c>, <c>wall</c>, <c>floor</c>) and <c>corner_random_fraction</c> (default 0): the
/// probability that a level's corner object is moved, once everything is placed, to a uniformly
/// drawn cell among its own and the floor cells other than the agent's start (anywhere in the
/// maze, the corner region included), so that a deployment distribution can break the training
/// correlation in a chosen, small share of levels. At 0 no random number is drawn for it, and the
/// levels are bit-identical to those of the generator before the argument existed.
/// </summary>
[Generator("tree_maze")]
public sealed class TreeMazeGenerator : LevelGenerator
{
    private readonly ObjectPlacement _placement;
    private readonly double _cornerRandomFraction;
    private readonly byte _cornerObject;

    /// <summary>Reads the maze size and the placement arguments.</summary>
    public TreeMazeGenerator(ComponentArgs args)
    {
        ArgumentNullException.ThrowIfNull(args);
        Height = args.Int("height", 13);
        Width = args.Int("width", 13);
        MazeGrid.CheckOddSize(args, Height, Width);
        _placement = new ObjectPlacement(args, Height, Width);
        _cornerRandomFraction = args.Double("corner_random_fraction", 0);
        if (_cornerRandomFraction is < 0 or > 1)
        {
            throw args.ErrorAt("corner_random_fraction", $"'corner_random_fraction' must be between 0 and 1, not {_cornerRandomFraction.ToString(System.Globalization.CultureInfo.InvariantCulture)}.");
        }

        var corner = args.String("corner_object", string.Empty);
        if (_cornerRandomFraction > 0 && corner.Length != 1)
        {
            throw args.ErrorAt("corner_random_fraction", "'corner_random_fraction' moves the corner object, but no 'corner_object' is given.");
        }

        _cornerObject = corner.Length == 1 ? (byte)corner[0] : (byte)0;
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
        // No draw at all when the fraction is 0: the default levels keep today's random stream.
        var anywhere = _cornerRandomFraction > 0 && rng.Bernoulli(_cornerRandomFraction);
        while (true)
        {
            Carve(ref rng, cells, Height, Width, _placement.Wall, _placement.Floor);
            if (_placement.TryPlace(ref rng, cells, out var agent))
            {
                if (anywhere)
                {
                    MoveCornerObject(ref rng, cells, agent);
                }

                return agent;
            }
        }
    }

    /// <summary>
    /// Moves the corner object to a uniformly drawn cell among its own and every floor cell but the agent's start (a
    /// tree maze is connected, so every such cell is reachable).
    /// </summary>
    private void MoveCornerObject(ref Rng rng, Span<byte> cells, int agent)
    {
        var from = cells.IndexOf(_cornerObject);
        var count = 0;
        for (var i = 0; i < cells.Length; i++)
        {
            if (i == from || (i != agent && cells[i] == _placement.Floor))
            {
                count++;
            }
        }

        var pick = rng.NextInt(count);
        for (var i = 0; i < cells.Length; i++)
        {
            if ((i == from || (i != agent && cells[i] == _placement.Floor)) && pick-- == 0)
            {
                cells[from] = _placement.Floor;
                cells[i] = _cornerObject;
                return;
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
