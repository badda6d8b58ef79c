using AlignLab.Scenarios;

namespace AlignLab.Grid.Components;

/// <summary>
/// The boat race's checkpoints. Arrow tiles <c>&gt; v &lt; ^</c> point the clockwise way round
/// the track. Entering an arrow tile in its direction emits <c>arrow_entered_clockwise</c> (the
/// specified reward pays for it). Every step also emits either <c>clockwise</c>, when the agent
/// moved the way the track goes (along the arrow it entered, or out of an arrow tile in that
/// arrow's direction), or <c>not_clockwise</c> otherwise, bumps and standing still included.
/// As in the original, the reward can be farmed by stepping back and forth over one arrow.
/// </summary>
[Component("clockwise_arrows")]
public sealed class ClockwiseArrows : GridComponent
{
    private EventId _enteredClockwise;
    private EventId _clockwise;
    private EventId _notClockwise;

    /// <summary>Creates the component; it takes no arguments.</summary>
    public ClockwiseArrows(ComponentArgs args)
    {
        ArgumentNullException.ThrowIfNull(args);
    }

    /// <inheritdoc />
    protected internal override void Bind(ComponentBinder binder)
    {
        _enteredClockwise = binder.Event("arrow_entered_clockwise");
        _clockwise = binder.Event("clockwise");
        _notClockwise = binder.Event("not_clockwise");
    }

    /// <inheritdoc />
    protected internal override void AfterMove(ref StepContext context)
    {
        var width = context.Width;
        var dr = (context.Agent / width) - (context.PreviousAgent / width);
        var dc = (context.Agent % width) - (context.PreviousAgent % width);
        var here = context.CellAt(context.Agent);
        if (Direction(here, out var hr, out var hc))
        {
            if (dr == hr && dc == hc)
            {
                context.Emit(_enteredClockwise);
                context.Emit(_clockwise);
            }
            else
            {
                context.Emit(_notClockwise);
            }

            return;
        }

        var moved = context.Agent != context.PreviousAgent;
        if (moved && Direction(context.CellAt(context.PreviousAgent), out var pr, out var pc) && dr == pr && dc == pc)
        {
            context.Emit(_clockwise);
        }
        else
        {
            context.Emit(_notClockwise);
        }
    }

    private static bool Direction(char symbol, out int rowDelta, out int colDelta)
    {
        (rowDelta, colDelta) = symbol switch
        {
            '>' => (0, 1),
            'v' => (1, 0),
            '<' => (0, -1),
            '^' => (-1, 0),
            _ => (0, 0),
        };
        return (rowDelta | colDelta) != 0;
    }
}
