namespace AlignLab.Grid;

/// <summary>Given to <see cref="GridComponent.Bind"/> so a component can declare its events, variables and extra observations.</summary>
public sealed class ComponentBinder
{
    private readonly List<string> _events;
    private readonly List<string> _vars;
    private readonly List<bool> _persistent;
    private readonly List<string> _extras;

    internal ComponentBinder(List<string> events, List<string> vars, List<bool> persistent, List<string> extras, IReadOnlyList<GridLevel> levels, IReadOnlyDictionary<char, Tile> legend, int height, int width)
    {
        Height = height;
        Width = width;
        _events = events;
        _vars = vars;
        _persistent = persistent;
        _extras = extras;
        Levels = levels;
        Legend = legend;
    }

    /// <summary>Every level this world plays, for components that precompute per-map data.</summary>
    public IReadOnlyList<GridLevel> Levels { get; }

    /// <summary>Rows of every map this world plays (fixed or generated).</summary>
    public int Height { get; }

    /// <summary>Columns of every map this world plays (fixed or generated).</summary>
    public int Width { get; }

    /// <summary>The scenario's legend, by map character.</summary>
    public IReadOnlyDictionary<char, Tile> Legend { get; }

    /// <summary>Declares (or reuses) a named event; objectives refer to events by these names.</summary>
    public EventId Event(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        var index = _events.IndexOf(name);
        if (index < 0)
        {
            index = _events.Count;
            _events.Add(name);
        }

        return new EventId(index);
    }

    /// <summary>Declares an integer state variable, zero at the start of each episode unless the component sets it.</summary>
    public VarId Var(string name) => Add(name, persistent: false, slots: 1);

    /// <summary>
    /// Declares an integer variable that survives resets (state kept across episodes); it is set
    /// in <see cref="GridComponent.OnCreate"/> and is part of the exact solver's state.
    /// </summary>
    public VarId PersistentVar(string name) => Add(name, persistent: true, slots: 1);

    /// <summary>Declares a float64 variable (two integer slots), optionally persistent; read and write it with <see cref="StepContext.DoubleVar"/>.</summary>
    public VarId DoubleVar(string name, bool persistent) => Add(name, persistent, slots: 2);

    /// <summary>Declares an extra observation given to the agent beside the board (e.g. WhiskyGold's exploration rate).</summary>
    public int Extra(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (_extras.Contains(name))
        {
            throw new InvalidOperationException($"extra observation '{name}' is declared twice (is the component listed twice?).");
        }

        _extras.Add(name);
        return _extras.Count - 1;
    }

    private VarId Add(string name, bool persistent, int slots)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (_vars.Contains(name))
        {
            throw new InvalidOperationException($"state variable '{name}' is declared twice (is the component listed twice?).");
        }

        var index = _vars.Count;
        for (var s = 0; s < slots; s++)
        {
            _vars.Add(s == 0 ? name : $"{name}#{s}");
            _persistent.Add(persistent);
        }

        return new VarId(index);
    }
}
