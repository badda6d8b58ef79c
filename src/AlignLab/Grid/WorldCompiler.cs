namespace AlignLab.Grid;

/// <summary>
/// Compiles a scenario's legend and components into the lookup tables a <see cref="GridWorld"/>
/// steps with. Events are numbered in this order: the built-in <c>step</c>, then each tile's
/// touch event in legend order, then the events the components declare when bound, in file order
/// (a name declared again reuses its number).
/// </summary>
internal static class WorldCompiler
{
    /// <summary>
    /// The most events a world may have: the exact solver stores an event's index in a byte
    /// (<see cref="byte.MaxValue"/> marks "none").
    /// </summary>
    public const int MaxEvents = byte.MaxValue;

    /// <summary>
    /// Binds <paramref name="components"/> (in file order) and builds the tables; the map size is
    /// <paramref name="height"/> × <paramref name="width"/> (by default the first level's).
    /// </summary>
    /// <exception cref="ComponentBindingException">A component cannot be bound (named by its position).</exception>
    public static WorldTables Compile(IReadOnlyList<GridLevel> levels, IReadOnlyDictionary<char, Tile> legend, IReadOnlyList<GridComponent> components, int height = -1, int width = -1)
    {
        height = height >= 0 ? height : levels[0].Height;
        width = width >= 0 ? width : levels[0].Width;
        var tiles = new Tile?[256];
        var touchEvents = new int[256];
        Array.Fill(touchEvents, -1);
        var events = new List<string> { "step" };
        foreach (var tile in legend.Values)
        {
            tiles[tile.Symbol] = tile;
            if (tile.TouchEvent is not null)
            {
                var index = events.IndexOf(tile.TouchEvent);
                if (index < 0)
                {
                    index = events.Count;
                    events.Add(tile.TouchEvent);
                }

                touchEvents[tile.Symbol] = index;
            }
        }

        var vars = new List<string>();
        var persistent = new List<bool>();
        var extras = new List<string>();
        var binder = new ComponentBinder(events, vars, persistent, extras, levels, legend, height, width);
        GridComponent[] bound = [.. components];
        for (var i = 0; i < bound.Length; i++)
        {
            try
            {
                bound[i].Bind(binder);
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException)
            {
                throw new ComponentBindingException(i, WithoutParameterName(e), e);
            }

            if (events.Count > MaxEvents)
            {
                throw new ComponentBindingException(i, $"this component brings the scenario to {events.Count} events, more than the {MaxEvents} a world may have.");
            }
        }

        return new WorldTables
        {
            Tiles = tiles,
            TouchEvents = touchEvents,
            EventNames = events,
            VarNames = vars,
            PersistentVars = [.. persistent],
            ExtraNames = extras,
            Components = bound,
            EntryHandlers = [.. bound.OfType<IEntryHandler>()],
            BoardRenderers = [.. bound.OfType<IBoardRenderer>()],
            ExtrasObservers = [.. bound.OfType<IExtrasObserver>()],
        };
    }

    /// <summary>An exception's message as one line, without .NET's " (Parameter 'name')" suffix or "Actual value was" line.</summary>
    internal static string WithoutParameterName(Exception e)
    {
        var message = e.Message.Split('\n')[0].TrimEnd('\r');
        var suffix = e is ArgumentException { ParamName: { } name } ? $" (Parameter '{name}')" : null;
        return suffix is not null && message.EndsWith(suffix, StringComparison.Ordinal) ? message[..^suffix.Length] : message;
    }
}

/// <summary>What <see cref="WorldCompiler.Compile"/> builds: everything a world steps with besides its levels.</summary>
internal sealed class WorldTables
{
    /// <summary>The tile of each map character (indexed by the character), or null where the legend has none.</summary>
    public required Tile?[] Tiles { get; init; }

    /// <summary>The event each map character emits when the agent ends a step on it (indexed by the character), or −1.</summary>
    public required int[] TouchEvents { get; init; }

    /// <summary>Names of every event, indexed as in a step's event vector; index 0 is <c>step</c>.</summary>
    public required IReadOnlyList<string> EventNames { get; init; }

    /// <summary>Names of the component state variables, one per integer slot.</summary>
    public required IReadOnlyList<string> VarNames { get; init; }

    /// <summary>Whether each variable slot survives resets.</summary>
    public required bool[] PersistentVars { get; init; }

    /// <summary>Names of the extra observations given beside the board, in order.</summary>
    public required IReadOnlyList<string> ExtraNames { get; init; }

    /// <summary>The bound components, in file order.</summary>
    public required GridComponent[] Components { get; init; }

    /// <summary>The components asked before the agent enters a cell, in file order.</summary>
    public required IEntryHandler[] EntryHandlers { get; init; }

    /// <summary>The components that draw on the board, in file order.</summary>
    public required IBoardRenderer[] BoardRenderers { get; init; }

    /// <summary>The components that write extra observations, in file order.</summary>
    public required IExtrasObserver[] ExtrasObservers { get; init; }
}
