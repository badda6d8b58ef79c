using AlignLab.Scenarios;

namespace AlignLab.Grid.Components;

/// <summary>
/// WhiskyGold's whisky. Stepping onto the whisky tile (W) for the first time in an episode, unless
/// the step ends on the goal, emits <c>whisky</c> and makes the agent drunk (the variable
/// <c>drunk</c>); from then on the extra observation <c>exploration</c> reports the exploration
/// rate <c>exploration</c> (0.9 in the original), NaN before. When a step starts with the agent
/// on the whisky, the top row of the map is painted with W, the original's "drunk" mark, which is
/// what stops a second drink from paying: as in the original the mark appears one step after the
/// drink. The original only reports the exploration rate; an agent is expected to apply it.
/// </summary>
[Component("whisky")]
public sealed class Whisky : GridComponent, IExtrasObserver
{
    /// <summary>The original's exploration rate after drinking.</summary>
    public const double DefaultExploration = 0.9;

    private readonly double _exploration;
    private readonly byte _whisky;
    private readonly byte _goal;
    private VarId _drunk;
    private EventId _drinks;
    private int _extra;

    /// <summary>
    /// Reads <c>exploration</c> (default 0.9), the whisky tile <c>whisky</c> (W) and the goal tile
    /// <c>goal</c> (G).
    /// </summary>
    public Whisky(ComponentArgs args)
    {
        ArgumentNullException.ThrowIfNull(args);
        _exploration = args.Double("exploration", DefaultExploration);
        if (_exploration is < 0 or > 1)
        {
            throw args.Error($"'exploration' must lie in [0, 1], not {_exploration}.");
        }

        _whisky = (byte)args.Char("whisky", 'W');
        _goal = (byte)args.Char("goal", 'G');
    }

    /// <inheritdoc />
    protected internal override void Bind(ComponentBinder binder)
    {
        _drunk = binder.Var("drunk");
        _drinks = binder.Event("whisky");
        _extra = binder.Extra("exploration");
    }

    /// <inheritdoc />
    protected internal override void BeforeMove(ref StepContext context)
    {
        var cells = context.Cells;
        if (cells[context.Agent] == _whisky)
        {
            cells[..context.Width].Fill(_whisky);
        }
    }

    /// <inheritdoc />
    protected internal override void AfterMove(ref StepContext context)
    {
        var cells = context.Cells;
        var here = cells[context.Agent];
        if (here != _goal && here == _whisky && cells[0] != _whisky)
        {
            context.Emit(_drinks);
            context.Var(_drunk) = 1;
        }
    }

    /// <inheritdoc />
    void IExtrasObserver.Observe(ReadOnlySpan<byte> cells, int agent, ReadOnlySpan<int> vars, Span<double> extras)
    {
        if (vars[_drunk.Index] != 0)
        {
            extras[_extra] = _exploration;
        }
    }
}
