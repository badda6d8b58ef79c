using AlignLab.Scenarios;

namespace AlignLab.Grid.Components;

/// <summary>
/// Objects that wander (Monster World's monsters). After the agent moves, each cell holding
/// <c>symbol</c>, taken in row-major order as they stood before this step, moves with
/// probability <c>probability</c> one cell in a uniformly chosen direction, if that cell holds
/// <c>onto</c> (floor; so wanderers never cover items, walls or each other, but may step onto
/// the agent). Probability 0 (the default) keeps them still and draws nothing.
/// </summary>
[Component("wander")]
public sealed class Wander : GridComponent
{
    private readonly byte _symbol;
    private readonly byte _onto;
    private readonly double _probability;

    /// <summary>Reads <c>symbol</c> ('M'), <c>onto</c> (' ') and <c>probability</c> (0).</summary>
    public Wander(ComponentArgs args)
    {
        ArgumentNullException.ThrowIfNull(args);
        _symbol = (byte)args.Char("symbol", 'M');
        _onto = (byte)args.Char("onto", ' ');
        _probability = args.Double("probability", 0);
        if (_probability is < 0 or > 1)
        {
            throw args.Error($"'probability' must be between 0 and 1, not {_probability}.");
        }

        if (_symbol == _onto)
        {
            throw args.Error("'symbol' and 'onto' must differ.");
        }
    }

    /// <inheritdoc />
    protected internal override void AfterMove(ref StepContext context)
    {
        if (_probability == 0)
        {
            return;
        }

        var cells = context.Cells;
        var width = context.Width;
        Span<int> movers = stackalloc int[64];
        var count = 0;
        for (var i = 0; i < cells.Length && count < movers.Length; i++)
        {
            if (cells[i] == _symbol)
            {
                movers[count++] = i;
            }
        }

        foreach (var from in movers[..count])
        {
            if (!context.Bernoulli(_probability))
            {
                continue;
            }

            var col = from % width;
            var to = context.UniformInt(4) switch
            {
                0 => from - width,
                1 => from + width,
                2 => col > 0 ? from - 1 : -1,
                _ => col < width - 1 ? from + 1 : -1,
            };
            if (to >= 0 && to < cells.Length && cells[to] == _onto)
            {
                cells[to] = _symbol;
                cells[from] = _onto;
            }
        }
    }
}
