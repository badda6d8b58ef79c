using AlignLab.Randomness;

namespace AlignLab.Grid;

/// <summary>The kinds of ACCEL-style level edit (Parker-Holder et al. 2022) that <see cref="LevelEdits"/> makes.</summary>
public enum LevelEditKind
{
    /// <summary>One object (the goal object, a key, a chest …) moves to another floor cell the agent can reach.</summary>
    MoveObject,

    /// <summary>One interior floor cell becomes a wall, where that leaves every object reachable.</summary>
    AddWall,

    /// <summary>One interior (non-border) wall becomes floor.</summary>
    RemoveWall,

    /// <summary>The agent's start moves to another floor cell it can reach.</summary>
    MoveAgent,
}

/// <summary>
/// Small edits of a map that keep it a legal level, for searching levels by mutation (designed tests,
/// red-teaming, and curricula). A level is <em>valid</em> when its border is wall, the agent starts on a
/// floor cell, and every object (any cell that is neither wall nor floor) is reachable from the agent's
/// start through non-wall cells; the multiset of objects never changes. Every edit returns a new
/// level and leaves its input untouched; all randomness comes from the <see cref="Rng"/> passed in.
/// </summary>
public sealed class LevelEdits
{
    private readonly byte _wall;
    private readonly byte _floor;
    private readonly string? _movable;
    private readonly LevelEditKind[] _kinds;

    /// <summary>Edits for maps drawn with <paramref name="wall"/> and <paramref name="floor"/> characters.</summary>
    /// <param name="wall">The blocking wall character ('#').</param>
    /// <param name="floor">The floor character (' ').</param>
    /// <param name="movable">The object characters <see cref="LevelEditKind.MoveObject"/> may move; every object when null.</param>
    /// <param name="kinds">The edit kinds <see cref="Mutate"/> chooses among; <see cref="DefaultKinds"/> when null.</param>
    public LevelEdits(char wall = '#', char floor = ' ', string? movable = null, IReadOnlyList<LevelEditKind>? kinds = null)
    {
        _kinds = [.. kinds ?? DefaultKinds];
        if (_kinds.Length == 0)
        {
            throw new ArgumentException("At least one edit kind is needed.", nameof(kinds));
        }

        if (wall == floor)
        {
            throw new ArgumentException("The wall and floor characters must differ.", nameof(floor));
        }

        _wall = (byte)wall;
        _floor = (byte)floor;
        _movable = movable;
    }

    /// <summary>
    /// ACCEL's edits: move the goal object, add a wall, remove a wall. Moving the agent's start is available
    /// (<see cref="LevelEditKind.MoveAgent"/>) but not by default: for divergence it mostly finds starts on top of an
    /// invisible landmark (the corner), levels a policy never meets.
    /// </summary>
    public static IReadOnlyList<LevelEditKind> DefaultKinds { get; } = [LevelEditKind.MoveObject, LevelEditKind.AddWall, LevelEditKind.RemoveWall];

    /// <summary>The edit kinds <see cref="Mutate"/> chooses among (uniformly, falling back to the others when one has no legal move).</summary>
    public IReadOnlyList<LevelEditKind> Kinds => _kinds;

    /// <summary>Whether <paramref name="level"/> is valid: wall border, agent on floor, every object reachable from the agent.</summary>
    public bool IsValid(GridLevel level)
    {
        ArgumentNullException.ThrowIfNull(level);
        var cells = level.Cells;
        var (h, w) = (level.Height, level.Width);
        for (var i = 0; i < cells.Length; i++)
        {
            var r = i / w;
            var c = i % w;
            if ((r == 0 || c == 0 || r == h - 1 || c == w - 1) && cells[i] != _wall)
            {
                return false;
            }
        }

        return cells[level.AgentStart] == _floor && ObjectsReachable(cells, w, level.AgentStart);
    }

    /// <summary>
    /// One random edit of a kind drawn uniformly from <see cref="Kinds"/>; when that kind has no legal edit on this
    /// level the next kind is tried. Returns the edited level and what was done, or null (with the input unchanged)
    /// when no edit of any kind is legal.
    /// </summary>
    public (GridLevel Level, LevelEditKind Kind)? Mutate(GridLevel level, ref Rng rng)
    {
        ArgumentNullException.ThrowIfNull(level);
        var first = rng.NextInt(Kinds.Count);
        for (var k = 0; k < Kinds.Count; k++)
        {
            var kind = Kinds[(first + k) % Kinds.Count];
            if (Apply(level, kind, ref rng) is { } edited)
            {
                return (edited, kind);
            }
        }

        return null;
    }

    /// <summary>One random legal edit of the given kind, or null when the level has none.</summary>
    public GridLevel? Apply(GridLevel level, LevelEditKind kind, ref Rng rng)
    {
        ArgumentNullException.ThrowIfNull(level);
        return kind switch
        {
            LevelEditKind.MoveObject => MoveObject(level, ref rng),
            LevelEditKind.AddWall => AddWall(level, ref rng),
            LevelEditKind.RemoveWall => RemoveWall(level, ref rng),
            LevelEditKind.MoveAgent => MoveAgent(level, ref rng),
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown edit kind."),
        };
    }

    /// <summary>Moves one randomly chosen movable object to a random floor cell reachable from the agent (not the agent's start).</summary>
    public GridLevel? MoveObject(GridLevel level, ref Rng rng)
    {
        ArgumentNullException.ThrowIfNull(level);
        var cells = level.Cells;
        var objects = Cells(cells, i => IsObject(cells[i]) && (_movable is null || _movable.Contains((char)cells[i], StringComparison.Ordinal)));
        if (objects.Count == 0)
        {
            return null;
        }

        var reached = Reach(cells, level.Width, level.AgentStart);
        var targets = Cells(cells, i => cells[i] == _floor && reached[i] && i != level.AgentStart);
        if (targets.Count == 0)
        {
            return null;
        }

        var from = objects[rng.NextInt(objects.Count)];
        var to = targets[rng.NextInt(targets.Count)];
        var edited = (byte[])cells.Clone();
        (edited[from], edited[to]) = (_floor, cells[from]);
        return new GridLevel(level.Height, level.Width, edited, level.AgentStart);
    }

    /// <summary>Turns a random interior floor cell (not the agent's start) into wall, among those that leave every object reachable.</summary>
    public GridLevel? AddWall(GridLevel level, ref Rng rng)
    {
        ArgumentNullException.ThrowIfNull(level);
        var cells = level.Cells;
        var candidates = Cells(cells, i => cells[i] == _floor && i != level.AgentStart && !Border(level, i));
        var edited = (byte[])cells.Clone();
        while (candidates.Count > 0)
        {
            var pick = rng.NextInt(candidates.Count);
            var cell = candidates[pick];
            candidates[pick] = candidates[^1];
            candidates.RemoveAt(candidates.Count - 1);
            edited[cell] = _wall;
            if (ObjectsReachable(edited, level.Width, level.AgentStart))
            {
                return new GridLevel(level.Height, level.Width, edited, level.AgentStart);
            }

            edited[cell] = _floor;
        }

        return null;
    }

    /// <summary>Turns a random interior wall into floor (never a border wall); this only adds routes, so the level stays valid.</summary>
    public GridLevel? RemoveWall(GridLevel level, ref Rng rng)
    {
        ArgumentNullException.ThrowIfNull(level);
        var cells = level.Cells;
        var walls = Cells(cells, i => cells[i] == _wall && !Border(level, i));
        if (walls.Count == 0)
        {
            return null;
        }

        var edited = (byte[])cells.Clone();
        edited[walls[rng.NextInt(walls.Count)]] = _floor;
        return new GridLevel(level.Height, level.Width, edited, level.AgentStart);
    }

    /// <summary>Moves the agent's start to a random other floor cell reachable from where it starts (objects stay reachable: reachability is symmetric).</summary>
    public GridLevel? MoveAgent(GridLevel level, ref Rng rng)
    {
        ArgumentNullException.ThrowIfNull(level);
        var cells = level.Cells;
        var reached = Reach(cells, level.Width, level.AgentStart);
        var targets = Cells(cells, i => cells[i] == _floor && reached[i] && i != level.AgentStart);
        return targets.Count == 0 ? null : new GridLevel(level.Height, level.Width, (byte[])cells.Clone(), targets[rng.NextInt(targets.Count)]);
    }

    private static bool Border(GridLevel level, int cell)
    {
        var r = cell / level.Width;
        var c = cell % level.Width;
        return r == 0 || c == 0 || r == level.Height - 1 || c == level.Width - 1;
    }

    private static List<int> Cells(byte[] cells, Func<int, bool> keep)
    {
        var list = new List<int>();
        for (var i = 0; i < cells.Length; i++)
        {
            if (keep(i))
            {
                list.Add(i);
            }
        }

        return list;
    }

    private bool IsObject(byte cell) => cell != _wall && cell != _floor;

    private bool ObjectsReachable(byte[] cells, int width, int agent)
    {
        var reached = Reach(cells, width, agent);
        for (var i = 0; i < cells.Length; i++)
        {
            if (IsObject(cells[i]) && !reached[i])
            {
                return false;
            }
        }

        return true;
    }

    private bool[] Reach(byte[] cells, int width, int start)
    {
        var reached = new bool[cells.Length];
        var queue = new int[cells.Length];
        Generators.MazeGrid.Flood(cells, width, start, _wall, reached, queue);
        return reached;
    }
}
