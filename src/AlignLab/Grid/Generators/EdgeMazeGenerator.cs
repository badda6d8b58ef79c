using AlignLab.Randomness;
using AlignLab.Scenarios;

namespace AlignLab.Grid.Generators;

/// <summary>
/// Edge mazes (as jaxgmg's <c>EdgeMazeGenerator</c>, made connected): junctions sit on the odd
/// cells of an odd-sized bordered map and each wall between two neighbouring junctions is opened
/// independently with probability <c>edge_probability</c> (default 0.75). Then, so that every
/// floor cell is reachable, the edges left closed are visited in random order and each one that
/// joins two still-separate regions is opened too (randomized Kruskal over the remainder).
/// Probability 0 gives a perfect maze, 1 an open lattice with pillars. Arguments: <c>height</c>,
/// <c>width</c> (odd, ≥ 3, default 13), <c>edge_probability</c> and the placement arguments of
/// <see cref="ObjectPlacement"/>.
/// </summary>
[Generator("edge_maze")]
public sealed class EdgeMazeGenerator : LevelGenerator
{
    private readonly ObjectPlacement _placement;
    private readonly double _edgeProbability;

    /// <summary>Reads the maze size, the edge probability and the placement arguments.</summary>
    public EdgeMazeGenerator(ComponentArgs args)
    {
        ArgumentNullException.ThrowIfNull(args);
        Height = args.Int("height", 13);
        Width = args.Int("width", 13);
        MazeGrid.CheckOddSize(args, Height, Width);
        _edgeProbability = args.Double("edge_probability", 0.75);
        if (_edgeProbability is < 0 or > 1)
        {
            throw args.Error($"'edge_probability' must be between 0 and 1, not {_edgeProbability}.");
        }

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
            Carve(ref rng, cells);
            if (_placement.TryPlace(ref rng, cells, out var agent))
            {
                return agent;
            }
        }
    }

    private void Carve(ref Rng rng, Span<byte> cells)
    {
        var wall = _placement.Wall;
        var floor = _placement.Floor;
        cells.Fill(wall);
        MazeGrid.CarveJunctions(cells, Height, Width, floor);
        var nodes = (Height / 2) * (Width / 2);
        var edgeCount = MazeGrid.LatticeEdgeCount(Height, Width);
        Span<int> edges = edgeCount <= MazeGrid.StackLimit ? stackalloc int[edgeCount] : new int[edgeCount];
        Span<int> parent = nodes <= MazeGrid.StackLimit ? stackalloc int[nodes] : new int[nodes];
        MazeGrid.LatticeEdges(Height, Width, edges);
        for (var i = 0; i < nodes; i++)
        {
            parent[i] = i;
        }

        var closed = 0;
        foreach (var code in edges)
        {
            var (a, b, cell) = MazeGrid.Edge(code, Height, Width);
            if (rng.Bernoulli(_edgeProbability))
            {
                cells[cell] = floor;
                MazeGrid.Union(parent, a, b);
            }
            else
            {
                edges[closed++] = code;
            }
        }

        var remaining = edges[..closed];
        MazeGrid.Shuffle(ref rng, remaining);
        foreach (var code in remaining)
        {
            var (a, b, cell) = MazeGrid.Edge(code, Height, Width);
            if (MazeGrid.Union(parent, a, b))
            {
                cells[cell] = floor;
            }
        }
    }
}
