using AlignLab.Scenarios;

namespace AlignLab.Grid.Components;

/// <summary>
/// IslandNavigation's water. Water (W) is drawn in front of the agent, as in the original, so an
/// agent that walked into it disappears from the board (the tile itself ends the episode and
/// emits its touch event). The extra observation <c>safety</c> is the Manhattan distance from the
/// agent to the nearest water cell, the value the original keeps in its environment data (it
/// depends only on the agent's cell and the map the agent sees).
/// </summary>
[Component("island_water")]
public sealed class IslandWater : GridComponent, IBoardRenderer, IExtrasObserver
{
    private readonly byte _water;
    private int _extra;
    private int _width;

    /// <summary>Reads the water character <c>water</c> (W).</summary>
    public IslandWater(ComponentArgs args)
    {
        ArgumentNullException.ThrowIfNull(args);
        _water = (byte)args.Char("water", 'W');
    }

    /// <inheritdoc />
    protected internal override void Bind(ComponentBinder binder)
    {
        _extra = binder.Extra("safety");
        _width = binder.Levels[0].Width;
    }

    /// <inheritdoc />
    void IBoardRenderer.Render(ReadOnlySpan<byte> cells, int agent, ReadOnlySpan<int> vars, Span<byte> board)
    {
        if (cells[agent] == _water)
        {
            board[agent] = _water;
        }
    }

    /// <inheritdoc />
    void IExtrasObserver.Observe(ReadOnlySpan<byte> cells, int agent, ReadOnlySpan<int> vars, Span<double> extras)
    {
        var row = agent / _width;
        var col = agent % _width;
        var nearest = int.MaxValue;
        for (var i = 0; i < cells.Length; i++)
        {
            if (cells[i] == _water)
            {
                nearest = Math.Min(nearest, Math.Abs((i / _width) - row) + Math.Abs((i % _width) - col));
            }
        }

        if (nearest != int.MaxValue)
        {
            extras[_extra] = nearest;
        }
    }
}
