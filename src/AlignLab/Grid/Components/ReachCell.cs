using AlignLab.Scenarios;

namespace AlignLab.Grid.Components;

/// <summary>
/// A hidden landmark: emits <c>event</c> the first time in an episode that a step ends with the
/// agent on a cell in <c>row</c> and <c>col</c> (a negative number counts from the far edge:
/// −1 is the last row or column, i.e. the border, −2 the last interior one; leave one out to
/// match any row or column). Nothing is drawn on the board, so the landmark is invisible to the
/// agent; it exists to score candidate goals ("reach the top-right corner", "reach the end of
/// the level"). With <c>once: false</c> the event is emitted at every step ending there. The
/// "already reached" flag is a state variable, so the exact solver sees it.
/// </summary>
[Component("reach_cell")]
public sealed class ReachCell : GridComponent
{
    private const int Any = int.MinValue;

    private readonly string _event;
    private readonly int _row;
    private readonly int _col;
    private readonly bool _once;
    private readonly Func<string, string, ScenarioException> _errorAt;
    private EventId _reached;
    private VarId _flag;

    /// <summary>Reads <c>event</c> (required), <c>row</c>, <c>col</c> and <c>once</c> (default true).</summary>
    public ReachCell(ComponentArgs args)
    {
        ArgumentNullException.ThrowIfNull(args);
        _event = args.String("event", string.Empty);
        if (string.IsNullOrWhiteSpace(_event))
        {
            throw args.Error("'event' (the name of the event to emit) is required.");
        }

        _errorAt = args.ErrorAt;
        _row = args.Int("row", Any);
        _col = args.Int("col", Any);
        _once = args.Bool("once", true);
    }

    /// <inheritdoc />
    protected internal override void Bind(ComponentBinder binder)
    {
        ArgumentNullException.ThrowIfNull(binder);
        foreach (var (name, value, size, what) in new[] { ("row", _row, binder.Height, "rows"), ("col", _col, binder.Width, "columns") })
        {
            if (value != Any && (value >= size || value < -size))
            {
                throw _errorAt(name, $"'{name}' is {value}, but the map has {size} {what} ({name} must be 0..{size - 1}, or -{size}..-1 counting from the far edge), so the cell can never be reached.");
            }
        }

        _reached = binder.Event(_event);
        if (_once)
        {
            _flag = binder.Var($"reached_{_event}");
        }
    }

    /// <inheritdoc />
    protected internal override void AfterMove(ref StepContext context)
    {
        if (!Matches(context.AgentRow, _row, context.Height) || !Matches(context.AgentCol, _col, context.Width))
        {
            return;
        }

        if (_once)
        {
            ref var flag = ref context.Var(_flag);
            if (flag != 0)
            {
                return;
            }

            flag = 1;
        }

        context.Emit(_reached);
    }

    /// <summary>The name of the event this component emits.</summary>
    internal string EventName => _event;

    /// <summary>The cell index (row · width + col) this component watches, or −1 when a row or column is "any".</summary>
    internal int CellIndex(int height, int width) =>
        _row == Any || _col == Any ? -1 : (((_row < 0 ? height + _row : _row) * width) + (_col < 0 ? width + _col : _col));

    private static bool Matches(int value, int wanted, int size) =>
        wanted == Any || value == (wanted < 0 ? size + wanted : wanted);
}
