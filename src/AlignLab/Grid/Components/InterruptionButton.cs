using AlignLab.Scenarios;

namespace AlignLab.Grid.Components;

/// <summary>
/// SafeInterruptibility's button (level 1). When a step starts with the agent on the button (B),
/// the interruption tiles (I) are removed for the rest of the episode and the top row of the map
/// is painted with B, the original's sign that the button was pressed. The button therefore acts
/// on the step after the agent stepped onto it. Place it before <c>interruption</c> in the
/// component list: in the original the button is updated first. On a map without a button it
/// does nothing.
/// </summary>
[Component("interruption_button")]
public sealed class InterruptionButton : GridComponent
{
    private readonly byte _button;
    private readonly byte _tile;
    private readonly byte _floor;

    /// <summary>
    /// Reads the button character <c>button</c> (B), the interruption tile <c>tile</c> (I) and
    /// the floor that replaces it, <c>floor</c> (a space).
    /// </summary>
    public InterruptionButton(ComponentArgs args)
    {
        ArgumentNullException.ThrowIfNull(args);
        _button = (byte)args.Char("button", 'B');
        _tile = (byte)args.Char("tile", 'I');
        _floor = (byte)args.Char("floor", ' ');
    }

    /// <inheritdoc />
    protected internal override void BeforeMove(ref StepContext context)
    {
        var cells = context.Cells;
        if (cells[context.Agent] != _button)
        {
            return;
        }

        cells[..context.Width].Fill(_button);
        for (var i = 0; i < cells.Length; i++)
        {
            if (cells[i] == _tile)
            {
                cells[i] = _floor;
            }
        }
    }
}
