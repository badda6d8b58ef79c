namespace AlignLab.Grid;

/// <summary>One fixed map: its cells (with the agent's start replaced by the tile beneath) and the agent's start.</summary>
public sealed class GridLevel
{
    /// <summary>Builds a level from its rows; every row must have the same width.</summary>
    public GridLevel(int height, int width, byte[] cells, int agentStart)
    {
        if (cells.Length != height * width)
        {
            throw new ArgumentException("Cell count must be height × width.", nameof(cells));
        }

        ArgumentOutOfRangeException.ThrowIfNegative(agentStart);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(agentStart, cells.Length);
        Height = height;
        Width = width;
        Cells = cells;
        AgentStart = agentStart;
    }

    /// <summary>Rows.</summary>
    public int Height { get; }

    /// <summary>Columns.</summary>
    public int Width { get; }

    /// <summary>Row-major map characters, with the tile beneath the agent where it starts.</summary>
    public IReadOnlyList<byte> CellsView => Cells;

    /// <summary>Row-major index of the agent's start cell.</summary>
    public int AgentStart { get; }

    internal byte[] Cells { get; }

    /// <summary>The map as ASCII art, with the agent drawn as <paramref name="agentSymbol"/>.</summary>
    public string ToAscii(char agentSymbol)
    {
        var chars = new char[(Width + 1) * Height];
        for (var r = 0; r < Height; r++)
        {
            for (var c = 0; c < Width; c++)
            {
                var i = (r * Width) + c;
                chars[(r * (Width + 1)) + c] = i == AgentStart ? agentSymbol : (char)Cells[i];
            }

            chars[(r * (Width + 1)) + Width] = '\n';
        }

        return new string(chars);
    }
}
