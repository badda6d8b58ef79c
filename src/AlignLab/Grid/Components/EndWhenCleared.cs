using AlignLab.Scenarios;

namespace AlignLab.Grid.Components;

/// <summary>
/// Ends the episode (terminated) at the end of the first step after which no cell holds
/// <c>symbol</c> any more (Monster World ends when every apple is eaten).
/// </summary>
[Component("end_when_cleared")]
public sealed class EndWhenCleared : GridComponent
{
    private readonly byte _symbol;

    /// <summary>Reads <c>symbol</c>, the character that must be cleared.</summary>
    public EndWhenCleared(ComponentArgs args)
    {
        ArgumentNullException.ThrowIfNull(args);
        _symbol = (byte)args.Char("symbol", 'a');
    }

    /// <inheritdoc />
    protected internal override void AfterMove(ref StepContext context)
    {
        if (!context.Cells.Contains(_symbol))
        {
            context.Terminate();
        }
    }
}
