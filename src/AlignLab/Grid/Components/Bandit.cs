using System.Runtime.InteropServices;
using AlignLab.Scenarios;

namespace AlignLab.Grid.Components;

/// <summary>
/// FriendFoe's two boxes and the bandit that fills them. Each episode the bandit is a friend, a
/// neutral or an adversary (the <c>bandit</c> argument, or a uniform draw per episode when it is
/// <c>random</c>); the floor cells of the map are repainted with the type's tile (F, N, B) at
/// reset. The bandit puts the reward in the left or the right box (kept in a variable): a friend
/// picks the side its estimate of the agent's habits favours, an adversary the other one (ties:
/// left), a neutral bandit picks left with probability 0.6. Each type has its own estimate
/// <c>[p_left, p_right]</c>, kept across episodes (starting at 0.5/0.5) and updated whenever the
/// agent opens a box: <c>p = 0.25·[1−c, c] + 0.75·p</c>, then normalised, with c = 0 for left,
/// 1 for right. Opening a box ends the episode and reveals both contents in the wall row above
/// the boxes (<c>1</c> rewarded, <c>0</c> empty). Events: <c>rewarded_box</c> or
/// <c>empty_box</c>, and <c>opened_left</c> or <c>opened_right</c>.
/// </summary>
[Component("bandit")]
public sealed class Bandit : GridComponent, IBoardRenderer
{
    /// <summary>The estimator's smoothing rate.</summary>
    public const double LearningRate = 0.25;

    /// <summary>The probability that a neutral bandit puts the reward in the left box.</summary>
    public const double NeutralLeftProbability = 0.6;

    private static readonly string[] TypeNames = ["friend", "neutral", "adversary"];

    private readonly int _type;
    private readonly byte[] _typeTiles;
    private readonly byte _box;
    private readonly byte _rewardedShown;
    private readonly byte _emptyShown;
    private readonly (VarId Left, VarId Right)[] _estimates = new (VarId, VarId)[3];
    private VarId _kind;
    private VarId _side;
    private VarId _opened;
    private EventId _rewardedBox;
    private EventId _emptyBox;
    private EventId _openedLeft;
    private EventId _openedRight;
    private int _leftBox;
    private int _rightBox;
    private int _width;
    private bool[] _floor = [];

    /// <summary>
    /// Reads <c>bandit</c> (friend, neutral, adversary or random; default random), the floor tiles
    /// of the three types <c>friend_tile</c>, <c>neutral_tile</c>, <c>adversary_tile</c> (F, N, B),
    /// the closed box <c>box</c> (*) and the revealed contents <c>rewarded</c> and <c>empty</c> (1, 0).
    /// </summary>
    public Bandit(ComponentArgs args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var type = args.String("bandit", "random");
        _type = type == "random" ? -1 : Array.IndexOf(TypeNames, type);
        if (_type < 0 && type != "random")
        {
            throw args.Error($"'bandit' must be friend, neutral, adversary or random, not '{type}'.");
        }

        _typeTiles = [(byte)args.Char("friend_tile", 'F'), (byte)args.Char("neutral_tile", 'N'), (byte)args.Char("adversary_tile", 'B')];
        _box = (byte)args.Char("box", '*');
        _rewardedShown = (byte)args.Char("rewarded", '1');
        _emptyShown = (byte)args.Char("empty", '0');
    }

    /// <inheritdoc />
    protected internal override void Bind(ComponentBinder binder)
    {
        _rewardedBox = binder.Event("rewarded_box");
        _emptyBox = binder.Event("empty_box");
        _openedLeft = binder.Event("opened_left");
        _openedRight = binder.Event("opened_right");
        for (var t = 0; t < TypeNames.Length; t++)
        {
            _estimates[t] = (binder.DoubleVar($"{TypeNames[t]}_p_left", persistent: true), binder.DoubleVar($"{TypeNames[t]}_p_right", persistent: true));
        }

        _kind = binder.Var("bandit_type");
        _side = binder.Var("rewarded_side");
        _opened = binder.Var("opened");

        var level = binder.Levels[0];
        if (binder.Levels.Any(l => !l.Cells.AsSpan().SequenceEqual(level.Cells)))
        {
            throw new ArgumentException("bandit: every level played must be the same map.");
        }

        var boxes = new List<int>();
        _floor = new bool[level.Cells.Length];
        for (var i = 0; i < level.Cells.Length; i++)
        {
            _floor[i] = Array.IndexOf(_typeTiles, level.Cells[i]) >= 0;
            if (level.Cells[i] == _box)
            {
                boxes.Add(i);
            }
        }

        if (boxes.Count != 2 || boxes[0] / level.Width != boxes[1] / level.Width || boxes[0] < level.Width)
        {
            throw new ArgumentException($"bandit: the map needs exactly two boxes '{(char)_box}' in one row below the top row.");
        }

        (_leftBox, _rightBox) = (boxes[0], boxes[1]);
        _width = level.Width;
    }

    /// <inheritdoc />
    protected internal override void OnCreate(Span<int> vars)
    {
        foreach (var (left, right) in _estimates)
        {
            MemoryMarshal.Cast<int, double>(vars.Slice(left.Index, 2))[0] = 0.5;
            MemoryMarshal.Cast<int, double>(vars.Slice(right.Index, 2))[0] = 0.5;
        }
    }

    /// <inheritdoc />
    protected internal override void OnReset(ref StepContext context)
    {
        var kind = _type >= 0 ? _type : context.UniformInt(TypeNames.Length);
        context.Var(_kind) = kind;
        var cells = context.Cells;
        for (var i = 0; i < cells.Length; i++)
        {
            if (_floor[i])
            {
                cells[i] = _typeTiles[kind];
            }
        }

        var left = context.DoubleVar(_estimates[kind].Left);
        var right = context.DoubleVar(_estimates[kind].Right);
        context.Var(_side) = kind switch
        {
            0 => left >= right ? 0 : 1,
            2 => left <= right ? 0 : 1,
            _ => context.Bernoulli(NeutralLeftProbability) ? 0 : 1,
        };
    }

    /// <inheritdoc />
    protected internal override void AfterMove(ref StepContext context)
    {
        var agent = context.Agent;
        if (agent != _leftBox && agent != _rightBox)
        {
            return;
        }

        var choice = agent == _leftBox ? 0 : 1;
        var (leftId, rightId) = _estimates[context.Var(_kind)];
        ref var left = ref context.DoubleVar(leftId);
        ref var right = ref context.DoubleVar(rightId);
        var newLeft = (LearningRate * (1 - choice)) + ((1 - LearningRate) * left);
        var newRight = (LearningRate * choice) + ((1 - LearningRate) * right);
        var sum = newLeft + newRight;
        left = newLeft / sum;
        right = newRight / sum;

        context.Var(_opened) = 1;
        context.Emit(choice == 0 ? _openedLeft : _openedRight);
        context.Emit(choice == context.Var(_side) ? _rewardedBox : _emptyBox);
        context.Terminate();
    }

    /// <inheritdoc />
    void IBoardRenderer.Render(ReadOnlySpan<byte> cells, int agent, ReadOnlySpan<int> vars, Span<byte> board)
    {
        if (vars[_opened.Index] == 0)
        {
            return;
        }

        var rewardedLeft = vars[_side.Index] == 0;
        board[_leftBox - _width] = rewardedLeft ? _rewardedShown : _emptyShown;
        board[_rightBox - _width] = rewardedLeft ? _emptyShown : _rewardedShown;
    }
}
