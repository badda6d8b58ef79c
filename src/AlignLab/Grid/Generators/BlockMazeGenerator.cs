using AlignLab.Randomness;
using AlignLab.Scenarios;

namespace AlignLab.Grid.Generators;

/// <summary>
/// Block mazes (as jaxgmg's <c>BlockMazeGenerator</c>, repaired to be connected): inside the
/// border, each cell is a wall independently with probability <c>wall_probability</c> (default
/// 0.25). Floor cells cut off from the largest open region are then filled in, so every floor
/// cell is reachable from every other; if the region is too small for the objects and the
/// agent, or the corner region has no floor cell in it, the map is drawn again. Arguments:
/// <c>height</c>, <c>width</c> (≥ 3, default 13), <c>wall_probability</c> (at most 0.6) and the
/// placement arguments of <see cref="ObjectPlacement"/>.
/// </summary>
[Generator("block_maze")]
public sealed class BlockMazeGenerator : LevelGenerator
{
    /// <summary>Largest wall probability accepted: above it, connected open regions become rare.</summary>
    public const double MaxWallProbability = 0.6;

    private const int MaxAttempts = 10_000;

    private readonly ObjectPlacement _placement;
    private readonly double _wallProbability;

    /// <summary>Reads the map size, the wall probability and the placement arguments.</summary>
    public BlockMazeGenerator(ComponentArgs args)
    {
        ArgumentNullException.ThrowIfNull(args);
        Height = args.Int("height", 13);
        Width = args.Int("width", 13);
        MazeGrid.CheckSize(args, Height, Width);
        _wallProbability = args.Double("wall_probability", 0.25);
        if (_wallProbability is < 0 or > MaxWallProbability)
        {
            throw args.Error($"'wall_probability' must be between 0 and {MaxWallProbability}, not {_wallProbability}.");
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
        var n = Height * Width;
        Span<bool> reached = n <= MazeGrid.StackLimit ? stackalloc bool[n] : new bool[n];
        Span<bool> best = n <= MazeGrid.StackLimit ? stackalloc bool[n] : new bool[n];
        Span<bool> seen = n <= MazeGrid.StackLimit ? stackalloc bool[n] : new bool[n];
        Span<int> queue = n <= MazeGrid.StackLimit ? stackalloc int[n] : new int[n];
        var wall = _placement.Wall;
        var floor = _placement.Floor;
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            MazeGrid.Bordered(cells, Height, Width, wall, floor);
            for (var r = 1; r < Height - 1; r++)
            {
                for (var c = 1; c < Width - 1; c++)
                {
                    if (rng.Bernoulli(_wallProbability))
                    {
                        cells[(r * Width) + c] = wall;
                    }
                }
            }

            // Keep the largest open region (the first found among equals), wall in the rest.
            seen.Clear();
            best.Clear();
            var bestSize = 0;
            for (var i = 0; i < n; i++)
            {
                if (cells[i] == floor && !seen[i])
                {
                    var size = MazeGrid.Flood(cells, Width, i, wall, reached, queue);
                    for (var k = 0; k < size; k++)
                    {
                        seen[queue[k]] = true;
                    }

                    if (size > bestSize)
                    {
                        bestSize = size;
                        reached.CopyTo(best);
                    }
                }
            }

            for (var i = 0; i < n; i++)
            {
                if (cells[i] == floor && !best[i])
                {
                    cells[i] = wall;
                }
            }

            if (_placement.TryPlace(ref rng, cells, out var agent))
            {
                return agent;
            }
        }

        throw new InvalidOperationException($"block_maze: no {Height}×{Width} map with wall probability {_wallProbability} could hold the objects in {MaxAttempts} attempts.");
    }
}
