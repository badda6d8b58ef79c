using AlignLab.Randomness;
using AlignLab.Scenarios;

namespace AlignLab.Grid.Generators;

/// <summary>
/// Open rooms (as jaxgmg's <c>OpenMazeGenerator</c>): border walls only, every interior cell
/// floor. Arguments: <c>height</c>, <c>width</c> (≥ 3, default 13; any parity) and the placement
/// arguments of <see cref="ObjectPlacement"/>.
/// </summary>
[Generator("open_room")]
public sealed class OpenRoomGenerator : LevelGenerator
{
    private readonly ObjectPlacement _placement;

    /// <summary>Reads the room size and the placement arguments.</summary>
    public OpenRoomGenerator(ComponentArgs args)
    {
        ArgumentNullException.ThrowIfNull(args);
        Height = args.Int("height", 13);
        Width = args.Int("width", 13);
        MazeGrid.CheckSize(args, Height, Width);
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
        MazeGrid.Bordered(cells, Height, Width, _placement.Wall, _placement.Floor);

        // Every interior cell is floor, so placement always succeeds (the constructor checked the room is big enough).
        _placement.TryPlace(ref rng, cells, out var agent);
        return agent;
    }
}
