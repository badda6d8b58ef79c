using AlignLab.Randomness;
using AlignLab.Scenarios;

namespace AlignLab.Grid.Generators;

/// <summary>
/// Puts objects and the agent on a freshly carved map, shared by every maze generator. It reads
/// these generator arguments:
/// <list type="bullet">
/// <item><c>wall</c>, <c>floor</c>: the wall and floor characters ('#' and ' ').</item>
/// <item><c>objects</c>: one character per object to place anywhere (<c>kccc</c> = one key, three
/// chests); each goes on its own floor cell.</item>
/// <item><c>corner_object</c>: a character placed first, on a floor cell inside the
/// <c>corner_size</c>×<c>corner_size</c> square of the interior at <c>corner</c> (top_right,
/// top_left, bottom_right or bottom_left); a corner size as large as the map means anywhere.</item>
/// </list>
/// Objects and the agent go on distinct floor cells reachable from the corner object's cell (or
/// from the first floor cell); the agent's start stays floor beneath it.
/// </summary>
internal sealed class ObjectPlacement
{
    private readonly int _height;
    private readonly int _width;
    private readonly byte[] _objects;
    private readonly byte _cornerObject;
    private readonly int _rowLow;
    private readonly int _rowHigh;
    private readonly int _colLow;
    private readonly int _colHigh;

    /// <summary>Reads the placement arguments of a generator drawing <paramref name="height"/>×<paramref name="width"/> maps.</summary>
    public ObjectPlacement(ComponentArgs args, int height, int width)
    {
        _height = height;
        _width = width;
        Wall = (byte)args.Char("wall", '#');
        Floor = (byte)args.Char("floor", ' ');
        var objects = args.String("objects", string.Empty);
        var corner = args.String("corner_object", string.Empty);
        if (corner.Length > 1)
        {
            throw args.Error($"'corner_object' must be one map character, not '{corner}'.");
        }

        foreach (var symbol in objects + corner)
        {
            if (symbol == Wall || symbol == Floor || symbol < 32 || symbol > 126)
            {
                throw args.Error($"object '{symbol}' must be a printable character other than the wall and floor characters.");
            }
        }

        _objects = [.. objects.Select(c => (byte)c)];
        _cornerObject = corner.Length == 1 ? (byte)corner[0] : (byte)0;
        var size = args.Int("corner_size", 1);
        if (size < 1)
        {
            throw args.Error($"'corner_size' must be at least 1, not {size}.");
        }

        var rows = Math.Min(size, height - 2);
        var cols = Math.Min(size, width - 2);
        var which = args.String("corner", "top_right");
        (var top, var left) = which switch
        {
            "top_right" => (true, false),
            "top_left" => (true, true),
            "bottom_right" => (false, false),
            "bottom_left" => (false, true),
            _ => throw args.Error($"'corner' must be top_right, top_left, bottom_right or bottom_left, not '{which}'."),
        };
        (_rowLow, _rowHigh) = top ? (1, rows) : (height - 1 - rows, height - 2);
        (_colLow, _colHigh) = left ? (1, cols) : (width - 1 - cols, width - 2);
        var needed = _objects.Length + (_cornerObject != 0 ? 2 : 1);
        var free = (height - 2) * (width - 2);
        if (needed > free)
        {
            var what = _cornerObject != 0 ? $"{_objects.Length} object(s), the corner object and the agent" : $"{_objects.Length} object(s) and the agent";
            throw args.Error($"{what} need {needed} free cells, but a {height}×{width} map has only {free} inside its walls; they do not fit.");
        }

        Symbols = string.Concat((char)Wall, (char)Floor, objects, corner);
    }

    /// <summary>The wall character.</summary>
    public byte Wall { get; }

    /// <summary>The floor character.</summary>
    public byte Floor { get; }

    /// <summary>Every character placement or carving writes: wall, floor and the objects.</summary>
    public string Symbols { get; }

    /// <summary>Whether a cell lies in the corner object's region.</summary>
    public bool InCorner(int cell)
    {
        var r = cell / _width;
        var c = cell % _width;
        return r >= _rowLow && r <= _rowHigh && c >= _colLow && c <= _colHigh;
    }

    /// <summary>
    /// Places the objects and picks the agent's start on a carved map. Returns false, leaving
    /// the map partly written, when there is no floor cell in the corner region or too few
    /// reachable floor cells; the generator then carves a new map.
    /// </summary>
    public bool TryPlace(ref Rng rng, Span<byte> cells, out int agent)
    {
        agent = -1;
        var n = _height * _width;
        Span<bool> reached = n <= MazeGrid.StackLimit ? stackalloc bool[n] : new bool[n];
        Span<int> queue = n <= MazeGrid.StackLimit ? stackalloc int[n] : new int[n];
        Span<int> candidates = n <= MazeGrid.StackLimit ? stackalloc int[n] : new int[n];

        int anchor;
        if (_cornerObject != 0)
        {
            var count = 0;
            for (var i = 0; i < n; i++)
            {
                if (cells[i] == Floor && InCorner(i))
                {
                    candidates[count++] = i;
                }
            }

            if (count == 0)
            {
                return false;
            }

            anchor = candidates[rng.NextInt(count)];
        }
        else
        {
            anchor = cells.IndexOf(Floor);
            if (anchor < 0)
            {
                return false;
            }
        }

        MazeGrid.Flood(cells, _width, anchor, Wall, reached, queue);
        var free = 0;
        for (var i = 0; i < n; i++)
        {
            if (reached[i] && cells[i] == Floor && !(i == anchor && _cornerObject != 0))
            {
                candidates[free++] = i;
            }
        }

        if (free < _objects.Length + 1)
        {
            return false;
        }

        if (_cornerObject != 0)
        {
            cells[anchor] = _cornerObject;
        }

        for (var k = 0; k < _objects.Length; k++)
        {
            var j = k + rng.NextInt(free - k);
            (candidates[k], candidates[j]) = (candidates[j], candidates[k]);
            cells[candidates[k]] = _objects[k];
        }

        agent = candidates[_objects.Length + rng.NextInt(free - _objects.Length)];
        return true;
    }
}
