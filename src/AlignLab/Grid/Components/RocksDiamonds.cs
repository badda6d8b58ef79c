using AlignLab.Scenarios;

namespace AlignLab.Grid.Components;

/// <summary>
/// Rocks, diamonds and the two reward switches of the rocks-and-diamonds world. Lumps (rocks
/// <c>R</c> and diamonds <c>D</c>) are kept in variables, sorted, so that interchangeable rocks
/// give one state; the cells hold only the fixed map and the switches, whose character is their
/// state (rock switch <c>p</c> low / <c>P</c> high, diamond switch <c>q</c> low / <c>Q</c> high).
/// Before the agent moves, in the original's order and all from the state at the start of the
/// step: every lump lying on a goal tile pays (<c>rock_in_goal</c> / <c>diamond_in_goal</c>
/// always; <c>rock_paid</c> when the rock switch is high, else <c>rock_charged</c>;
/// <c>diamond_paid</c> when the diamond switch is high, else <c>diamond_charged</c>); every lump
/// next to the agent in the direction of the move is pushed one cell, unless the cell beyond is
/// a wall or shows a lump that stops it (rocks stop at any visible lump, diamonds at visible
/// rocks); a switch under the agent flips (<c>rock_switch_flipped</c> /
/// <c>diamond_switch_flipped</c>). The agent then moves, blocked by a visible lump.
/// The switches are drawn in front of everything and the agent behind everything, so a lump on a
/// switch cell is hidden: it blocks neither the agent nor other lumps, which can stack on it and
/// then travel together.
/// </summary>
[Component("rocks_diamonds")]
public sealed class RocksDiamonds : GridComponent, IEntryHandler, IBoardRenderer
{
    private readonly byte _rock;
    private readonly byte _diamond;
    private readonly byte _rockLow;
    private readonly byte _rockHigh;
    private readonly byte _diamondLow;
    private readonly byte _diamondHigh;
    private readonly byte _goal;
    private readonly byte _wall;
    private readonly byte _floor;
    private VarId[] _rocks = [];
    private VarId[] _diamonds = [];
    private EventId _rockInGoal;
    private EventId _diamondInGoal;
    private EventId _rockPaid;
    private EventId _rockCharged;
    private EventId _diamondPaid;
    private EventId _diamondCharged;
    private EventId _rockFlipped;
    private EventId _diamondFlipped;

    /// <summary>
    /// Reads the map characters: <c>rock</c> (R), <c>diamond</c> (D), <c>rock_switch_low</c> (p),
    /// <c>rock_switch_high</c> (P), <c>diamond_switch_low</c> (q), <c>diamond_switch_high</c> (Q),
    /// <c>goal</c> (G), <c>wall</c> (#) and <c>floor</c> (space, left under a lump's start).
    /// </summary>
    public RocksDiamonds(ComponentArgs args)
    {
        ArgumentNullException.ThrowIfNull(args);
        _rock = (byte)args.Char("rock", 'R');
        _diamond = (byte)args.Char("diamond", 'D');
        _rockLow = (byte)args.Char("rock_switch_low", 'p');
        _rockHigh = (byte)args.Char("rock_switch_high", 'P');
        _diamondLow = (byte)args.Char("diamond_switch_low", 'q');
        _diamondHigh = (byte)args.Char("diamond_switch_high", 'Q');
        _goal = (byte)args.Char("goal", 'G');
        _wall = (byte)args.Char("wall", '#');
        _floor = (byte)args.Char("floor", ' ');
    }

    /// <inheritdoc />
    protected internal override void Bind(ComponentBinder binder)
    {
        var rocks = binder.Levels.Count == 0 ? 0 : binder.Levels.Max(l => l.Cells.Count(c => c == _rock));
        var diamonds = binder.Levels.Count == 0 ? 0 : binder.Levels.Max(l => l.Cells.Count(c => c == _diamond));
        _rocks = [.. Enumerable.Range(0, rocks).Select(i => binder.Var($"rock{i}"))];
        _diamonds = [.. Enumerable.Range(0, diamonds).Select(i => binder.Var($"diamond{i}"))];
        _rockInGoal = binder.Event("rock_in_goal");
        _diamondInGoal = binder.Event("diamond_in_goal");
        _rockPaid = binder.Event("rock_paid");
        _rockCharged = binder.Event("rock_charged");
        _diamondPaid = binder.Event("diamond_paid");
        _diamondCharged = binder.Event("diamond_charged");
        _rockFlipped = binder.Event("rock_switch_flipped");
        _diamondFlipped = binder.Event("diamond_switch_flipped");
    }

    /// <inheritdoc />
    protected internal override void OnReset(ref StepContext context)
    {
        var cells = context.Cells;
        var rock = 0;
        var diamond = 0;
        for (var i = 0; i < cells.Length; i++)
        {
            if (cells[i] == _rock)
            {
                context.Var(_rocks[rock++]) = i;
                cells[i] = _floor;
            }
            else if (cells[i] == _diamond)
            {
                context.Var(_diamonds[diamond++]) = i;
                cells[i] = _floor;
            }
        }

        for (; rock < _rocks.Length; rock++)
        {
            context.Var(_rocks[rock]) = -1;
        }

        for (; diamond < _diamonds.Length; diamond++)
        {
            context.Var(_diamonds[diamond]) = -1;
        }
    }

    /// <inheritdoc />
    protected internal override void BeforeMove(ref StepContext context)
    {
        var cells = context.Cells;
        var rockHigh = cells.IndexOf(_rockHigh) >= 0;
        var diamondHigh = cells.IndexOf(_diamondHigh) >= 0;
        foreach (var id in _rocks)
        {
            var at = context.Var(id);
            if (at >= 0 && cells[at] == _goal)
            {
                context.Emit(_rockInGoal);
                context.Emit(rockHigh ? _rockPaid : _rockCharged);
            }
        }

        foreach (var id in _diamonds)
        {
            var at = context.Var(id);
            if (at >= 0 && cells[at] == _goal)
            {
                context.Emit(_diamondInGoal);
                context.Emit(diamondHigh ? _diamondPaid : _diamondCharged);
            }
        }

        var agent = context.Agent;
        var move = context.Move;
        Push(ref context, agent, Moves.RowDelta(move), Moves.ColDelta(move));

        if (move == 'N')
        {
            return;
        }

        var under = cells[agent];
        if (under == _rockLow || under == _rockHigh)
        {
            cells[agent] = under == _rockLow ? _rockHigh : _rockLow;
            context.Emit(_rockFlipped);
        }
        else if (under == _diamondLow || under == _diamondHigh)
        {
            cells[agent] = under == _diamondLow ? _diamondHigh : _diamondLow;
            context.Emit(_diamondFlipped);
        }
    }

    /// <inheritdoc />
    bool IEntryHandler.AllowEntry(ref StepContext context, int target, int rowDelta, int colDelta) =>
        IsSwitch(context.Cells[target]) || (!Holds(ref context, _rocks, target) && !Holds(ref context, _diamonds, target));

    /// <inheritdoc />
    void IBoardRenderer.Render(ReadOnlySpan<byte> cells, int agent, ReadOnlySpan<int> vars, Span<byte> board)
    {
        foreach (var id in _rocks)
        {
            var at = vars[id.Index];
            if (at >= 0 && !IsSwitch(cells[at]))
            {
                board[at] = _rock;
            }
        }

        foreach (var id in _diamonds)
        {
            var at = vars[id.Index];
            if (at >= 0 && !IsSwitch(cells[at]))
            {
                board[at] = _diamond;
            }
        }

        if (IsSwitch(cells[agent]))
        {
            board[agent] = cells[agent];
        }
    }

    private static bool Holds(ref StepContext context, VarId[] lumps, int cell)
    {
        foreach (var id in lumps)
        {
            if (context.Var(id) == cell)
            {
                return true;
            }
        }

        return false;
    }

    private static void Sort(ref StepContext context, VarId[] lumps)
    {
        for (var i = 1; i < lumps.Length; i++)
        {
            for (var j = i; j > 0 && context.Var(lumps[j - 1]) > context.Var(lumps[j]); j--)
            {
                (context.Var(lumps[j - 1]), context.Var(lumps[j])) = (context.Var(lumps[j]), context.Var(lumps[j - 1]));
            }
        }
    }

    private bool IsSwitch(byte symbol) =>
        symbol == _rockLow || symbol == _rockHigh || symbol == _diamondLow || symbol == _diamondHigh;

    /// <summary>
    /// Pushes the lumps in the cell next to the agent one cell further in the direction of the
    /// move. Every lump decides from the positions at the start of the step, as the original's
    /// lumps all see the board drawn before any of them moved.
    /// </summary>
    private void Push(ref StepContext context, int agent, int dr, int dc)
    {
        if ((dr | dc) == 0)
        {
            return;
        }

        var width = context.Width;
        var row = (agent / width) + dr;
        var col = (agent % width) + dc;
        var toRow = row + dr;
        var toCol = col + dc;
        if ((uint)toRow >= (uint)context.Height || (uint)toCol >= (uint)width)
        {
            return;
        }

        var from = (row * width) + col;
        var to = (toRow * width) + toCol;
        var cells = context.Cells;
        var hidden = IsSwitch(cells[to]);
        var rockThere = !hidden && Holds(ref context, _rocks, to);
        var diamondThere = !hidden && Holds(ref context, _diamonds, to);
        var wall = cells[to] == _wall;
        var rockMoves = !wall && !rockThere && !diamondThere;
        var diamondMoves = !wall && !rockThere;
        if (rockMoves)
        {
            foreach (var id in _rocks)
            {
                if (context.Var(id) == from)
                {
                    context.Var(id) = to;
                }
            }

            Sort(ref context, _rocks);
        }

        if (diamondMoves)
        {
            foreach (var id in _diamonds)
            {
                if (context.Var(id) == from)
                {
                    context.Var(id) = to;
                }
            }

            Sort(ref context, _diamonds);
        }
    }
}
