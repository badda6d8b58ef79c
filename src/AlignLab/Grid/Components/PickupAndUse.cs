using AlignLab.Scenarios;

namespace AlignLab.Grid.Components;

/// <summary>
/// An inventory of one kind of item spent on one kind of target: keys that open chests (jaxgmg's
/// Keys and Chests), shields that defeat monsters (Monster World). After the agent moves, if it
/// stands on an <c>item</c> the item is picked up (the cell becomes <c>floor</c>, the held count
/// grows, <c>pickup_event</c>); if it stands on a <c>target</c> while holding an item, one item
/// is spent and the target removed (<c>use_event</c>); on a target with empty hands,
/// <c>blocked_event</c> is emitted (if named) and the target stays. The held items are drawn, as
/// <c>held</c> characters, on the top border row from column 1, so the agent sees its inventory.
/// With <c>end_when_spent</c> the episode ends once no more targets can be used (no target left,
/// or no item left on the map or in hand).
/// </summary>
[Component("pickup_and_use")]
public sealed class PickupAndUse : GridComponent, IBoardRenderer
{
    private readonly byte _item;
    private readonly byte _target;
    private readonly byte _held;
    private readonly byte _floor;
    private readonly string _pickupName;
    private readonly string _useName;
    private readonly string _blockedName;
    private readonly bool _endWhenSpent;
    private EventId _pickup;
    private EventId _use;
    private EventId _blocked;
    private VarId _count;
    private int _width;

    /// <summary>
    /// Reads the <c>item</c>, <c>target</c>, <c>held</c> and <c>floor</c> characters, the
    /// <c>pickup_event</c>, <c>use_event</c> and optional <c>blocked_event</c> names, and
    /// <c>end_when_spent</c> (default false).
    /// </summary>
    public PickupAndUse(ComponentArgs args)
    {
        ArgumentNullException.ThrowIfNull(args);
        _item = (byte)args.Char("item", 'k');
        _target = (byte)args.Char("target", 'c');
        _held = (byte)args.Char("held", 'K');
        _floor = (byte)args.Char("floor", ' ');
        _pickupName = args.String("pickup_event", "pickup");
        _useName = args.String("use_event", "use");
        _blockedName = args.String("blocked_event", string.Empty);
        _endWhenSpent = args.Bool("end_when_spent", false);
        if (new[] { _item, _target, _held, _floor }.Distinct().Count() != 4)
        {
            throw args.Error("the item, target, held and floor characters must all differ.");
        }
    }

    /// <inheritdoc />
    protected internal override void Bind(ComponentBinder binder)
    {
        ArgumentNullException.ThrowIfNull(binder);
        _pickup = binder.Event(_pickupName);
        _use = binder.Event(_useName);
        if (_blockedName.Length > 0)
        {
            _blocked = binder.Event(_blockedName);
        }

        _count = binder.Var($"held_{(char)_item}");
    }

    /// <inheritdoc />
    protected internal override void AfterMove(ref StepContext context)
    {
        var cells = context.Cells;
        var agent = context.Agent;
        ref var held = ref context.Var(_count);
        if (cells[agent] == _item)
        {
            cells[agent] = _floor;
            held++;
            context.Emit(_pickup);
        }
        else if (cells[agent] == _target)
        {
            if (held > 0)
            {
                cells[agent] = _floor;
                held--;
                context.Emit(_use);
            }
            else if (_blockedName.Length > 0)
            {
                context.Emit(_blocked);
            }
        }

        if (_endWhenSpent && (!cells.Contains(_target) || (held == 0 && !cells.Contains(_item))))
        {
            context.Terminate();
        }
    }

    /// <inheritdoc />
    protected internal override void OnReset(ref StepContext context)
    {
        // The board width is fixed for the world this instance was built for (Render is not told
        // it, and generated worlds have no level to read it from in Bind); latch it once.
        if (_width == 0)
        {
            Volatile.Write(ref _width, context.Width);
        }
    }

    /// <inheritdoc />
    void IBoardRenderer.Render(ReadOnlySpan<byte> cells, int agent, ReadOnlySpan<int> vars, Span<byte> board)
    {
        var shown = Math.Min(vars[_count.Index], Volatile.Read(ref _width) - 2);
        for (var c = 1; c <= shown; c++)
        {
            if (c != agent)
            {
                board[c] = _held;
            }
        }
    }
}
