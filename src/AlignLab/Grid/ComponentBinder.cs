namespace AlignLab.Grid;

/// <summary>Given to <see cref="GridComponent.Bind"/> so a component can declare its events and variables.</summary>
public sealed class ComponentBinder
{
    private readonly List<string> _events;
    private readonly List<string> _vars;

    internal ComponentBinder(List<string> events, List<string> vars, IReadOnlyList<GridLevel> levels, IReadOnlyDictionary<char, Tile> legend)
    {
        _events = events;
        _vars = vars;
        Levels = levels;
        Legend = legend;
    }

    /// <summary>Every level of the scenario, for components that precompute per-map data.</summary>
    public IReadOnlyList<GridLevel> Levels { get; }

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
    public VarId Var(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (_vars.Contains(name))
        {
            throw new InvalidOperationException($"State variable '{name}' is declared twice.");
        }

        _vars.Add(name);
        return new VarId(_vars.Count - 1);
    }
}
