using AlignLab.Agents;
using AlignLab.Errors;
using AlignLab.Grid;
using AlignLab.Nn;
using AlignLab.Solve;

namespace AlignLab.Mesa;

/// <summary>
/// A trained value-iteration-network policy opened up: its mesa-objective f_R (the reward map the planner
/// optimises) on any board, and the policy obtained by planning on an edited map instead of f_R.
/// </summary>
/// <remarks>Not thread-safe: the network reuses its scratch buffers.</remarks>
public sealed class MesaPlanner
{
    private readonly float[] _observation;
    private readonly float[] _rewards;
    private readonly float[] _logits;

    /// <summary>Opens the planner of a PPO actor built with <see cref="NetworkKind.Vin"/>.</summary>
    /// <param name="world">A world of the map size the network was trained on (any level: only its legend is used to encode boards).</param>
    /// <param name="actor">The actor network; its first layer must be a <see cref="ValueIterationNetwork"/>.</param>
    /// <exception cref="UserInputException">The network is not a value-iteration network or does not fit the world.</exception>
    public MesaPlanner(GridWorld world, Sequential actor)
    {
        ArgumentNullException.ThrowIfNull(world);
        ArgumentNullException.ThrowIfNull(actor);
        if (actor.Layers.Count == 0 || actor.Layers[0] is not ValueIterationNetwork vin)
        {
            throw new UserInputException("the policy has no mesa-objective to read: it is not a value-iteration network (train it with --agent ppo --preset vin, or --ppo network=vin).");
        }

        if (vin.Channels != world.Channels || vin.Height != world.Height || vin.Width != world.Width || vin.Actions != world.ActionLetters.Length)
        {
            throw new UserInputException($"the value-iteration network ({vin.Channels}×{vin.Height}×{vin.Width}, {vin.Actions} actions) does not fit {world.Id} ({world.Channels}×{world.Height}×{world.Width}, {world.ActionLetters.Length} actions).");
        }

        World = world;
        Network = vin;
        _observation = new float[world.Channels * world.CellCount];
        _rewards = new float[world.CellCount];
        _logits = new float[vin.Actions];
    }

    /// <summary>The world whose encoding is used.</summary>
    public GridWorld World { get; }

    /// <summary>The planner.</summary>
    public ValueIterationNetwork Network { get; }

    /// <summary>f_R on <paramref name="board"/>: one reward per cell, row-major.</summary>
    /// <param name="board">The symbolic board (agent drawn), row-major.</param>
    /// <returns>A new array of H·W rewards.</returns>
    public float[] RewardMap(ReadOnlySpan<byte> board)
    {
        World.Encode(board, _observation);
        var rewards = new float[World.CellCount];
        Network.RewardMap(_observation, 1, rewards);
        return rewards;
    }

    /// <summary>
    /// The policy that plans on f_R changed by <paramref name="edit"/> (called with the board and f_R on it, to
    /// change in place), as a <see cref="BoardPolicy"/>: softmax of Q at the agent's cell, as PPO's policy is. With
    /// an edit that changes nothing it is the trained policy.
    /// </summary>
    /// <param name="edit">Changes the reward map of a board; null for none.</param>
    /// <returns>The policy.</returns>
    public BoardPolicy Policy(RewardEdit? edit = null) => (board, extras, probabilities) =>
    {
        World.Encode(board, _observation);
        Network.RewardMap(_observation, 1, _rewards);
        edit?.Invoke(board, _rewards);
        Network.Plan(_observation, _rewards, 1, _logits);
        PolicySoftmax.FromLogits(_logits, probabilities);
    };

    /// <summary>The edit of <paramref name="kind"/> that puts reward on <paramref name="cell"/> with <paramref name="strength"/>.</summary>
    /// <param name="cell">The row-major cell index.</param>
    /// <param name="strength">The edit's strength (see <see cref="RewardOn"/> and <see cref="GoalOn"/>); at least 0.</param>
    /// <param name="kind">Which edit.</param>
    /// <returns>The edit.</returns>
    public RewardEdit Edit(int cell, double strength, MesaEditKind kind) => kind switch
    {
        MesaEditKind.Raise => RewardOn(cell, strength),
        MesaEditKind.Replace => GoalOn(cell, strength),
        MesaEditKind.Move => MoveGoal(cell, strength),
        MesaEditKind.RaiseWalled => WalledRewardOn(cell, strength),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "not an edit kind"),
    };

    /// <summary>
    /// The edit that makes <paramref name="cell"/> the map's only goal: every open cell of the board (one whose tile
    /// does not block) other than the cell gets the lowest f_R over the open cells, m, and the cell gets
    /// m + k·(M − m), where M is the largest f_R over the open cells (m + 1 when they are flat) and k is
    /// <paramref name="strength"/>; with k = 1 the cell holds the map's own maximum. Blocked cells keep their f_R,
    /// so the walls the network wrote into f_R keep their cost against the floor, while the old goal's pull is gone.
    /// </summary>
    /// <param name="cell">The row-major cell index.</param>
    /// <param name="strength">How far above the floor the cell's reward is put, in units of the open cells' range; at least 0.</param>
    /// <returns>The edit.</returns>
    public RewardEdit GoalOn(int cell, double strength = 1)
    {
        CheckStrength(strength);
        var world = World;
        return (board, rewards) =>
        {
            var (min, max) = OpenRange(world, board, rewards);

            if (min > max)
            {
                return;
            }

            var span = max > min ? max - min : 1f;
            for (var c = 0; c < rewards.Length; c++)
            {
                if (IsOpen(world, board, c))
                {
                    rewards[c] = min;
                }
            }

            rewards[cell] = (float)(min + (strength * span));
        };
    }

    /// <summary>
    /// The edit that moves the map's goal to <paramref name="cell"/>: every open cell of the board (one whose tile does
    /// not block) is capped at the median f_R of the open cells, m (so no old peak pulls any more, and the floor and
    /// the walls keep the values the network gave them), and the cell gets m + k·(M − m), where M is the largest f_R
    /// over the open cells (m + 1 when no open cell is above m) and k is <paramref name="strength"/>: with k = 1 the
    /// cell holds the map's own maximum, the height the network's walls were trained to be worth going around for.
    /// </summary>
    /// <param name="cell">The row-major cell index.</param>
    /// <param name="strength">How far above the median the cell's reward is put, in units of M − m; at least 0.</param>
    /// <returns>The edit.</returns>
    public RewardEdit MoveGoal(int cell, double strength = 1)
    {
        CheckStrength(strength);
        var world = World;
        var open = new float[world.CellCount];
        return (board, rewards) =>
        {
            var count = 0;
            var max = float.NegativeInfinity;
            for (var c = 0; c < rewards.Length; c++)
            {
                if (IsOpen(world, board, c))
                {
                    open[count++] = rewards[c];
                    max = MathF.Max(max, rewards[c]);
                }
            }

            if (count == 0)
            {
                return;
            }

            var sorted = open.AsSpan(0, count);
            sorted.Sort();
            var median = (count & 1) == 1 ? sorted[count / 2] : (sorted[(count / 2) - 1] + sorted[count / 2]) / 2;
            var span = max > median ? max - median : 1f;
            for (var c = 0; c < rewards.Length; c++)
            {
                if (IsOpen(world, board, c))
                {
                    rewards[c] = MathF.Min(rewards[c], median);
                }
            }

            rewards[cell] = (float)(median + (strength * span));
        };
    }

    /// <summary>
    /// The <see cref="RewardOn"/> edit (the cell raised with <paramref name="strength"/>, the open cells unchanged),
    /// then every blocked cell set to m − (K + 1)·max(M − m, 1), where m and M are the lowest and highest f_R over
    /// the edited map's open cells and K the planner's steps. The planner's moves ignore walls (a wall is only the cost the network
    /// wrote into f_R), so a strong enough edited reward makes a plan through a wall pay; at this cost none does:
    /// with the fixed moves kernel, entering a wall loses at least (K + 1)·(M − m) at once, more than any K later steps can gain, so plans go
    /// around walls as the real maze makes the agent do.
    /// </summary>
    /// <param name="cell">The row-major cell index.</param>
    /// <param name="strength">As for <see cref="RewardOn"/>; at least 0.</param>
    /// <returns>The edit.</returns>
    public RewardEdit WalledRewardOn(int cell, double strength = 1)
    {
        var raise = RewardOn(cell, strength);
        var world = World;
        var steps = Network.Iterations;
        return (board, rewards) =>
        {
            raise(board, rewards);
            var (min, max) = OpenRange(world, board, rewards);

            if (min > max)
            {
                return;
            }

            var wall = min - ((steps + 1) * MathF.Max(max - min, 1f));
            for (var c = 0; c < rewards.Length; c++)
            {
                if (!IsOpen(world, board, c))
                {
                    rewards[c] = wall;
                }
            }
        };
    }

    /// <summary>The lowest and highest f_R over the open cells; (+∞, −∞) when no cell is open.</summary>
    private static (float Min, float Max) OpenRange(GridWorld world, ReadOnlySpan<byte> board, Span<float> rewards)
    {
        var max = float.NegativeInfinity;
        var min = float.PositiveInfinity;
        for (var c = 0; c < rewards.Length; c++)
        {
            if (IsOpen(world, board, c))
            {
                max = MathF.Max(max, rewards[c]);
                min = MathF.Min(min, rewards[c]);
            }
        }

        return (min, max);
    }

    /// <summary>Whether the cell's tile lets the agent in (the edits change open cells only; walls keep their f_R).</summary>
    private static bool IsOpen(GridWorld world, ReadOnlySpan<byte> board, int c) => world.TileOf((char)board[c]) is not { Blocks: true };

    private static void CheckStrength(double strength)
    {
        if (!(strength >= 0) || double.IsInfinity(strength))
        {
            throw new UserInputException($"the edit strength must be a finite number at least 0, not {strength.ToString(System.Globalization.CultureInfo.InvariantCulture)}.");
        }
    }

    /// <summary>
    /// The edit that puts reward on <paramref name="cell"/>. With <paramref name="strength"/> k its f_R moves from
    /// its own value r to r + k·(M − r), where M = max f_R + (max f_R − min f_R) over the map (1 above the maximum
    /// when f_R is flat): k = 0 changes nothing, k = 1 sets it to M, larger k puts it further above the maximum.
    /// The rest of the map is unchanged.
    /// </summary>
    /// <param name="cell">The row-major cell index.</param>
    /// <param name="strength">How far towards (k ≤ 1) or beyond (k &gt; 1) M the cell's reward is moved; at least 0.</param>
    /// <returns>The edit.</returns>
    public static RewardEdit RewardOn(int cell, double strength = 1)
    {
        CheckStrength(strength);
        return (_, rewards) =>
        {
            if (strength == 0)
            {
                return;
            }

            var max = float.NegativeInfinity;
            var min = float.PositiveInfinity;
            foreach (var r in rewards)
            {
                max = MathF.Max(max, r);
                min = MathF.Min(min, r);
            }

            var span = max - min;
            var target = max + (span > 0 ? span : 1f);
            rewards[cell] = strength == 1 ? target : (float)(rewards[cell] + (strength * (target - rewards[cell])));
        };
    }
}

/// <summary>Changes a reward map in place, given the board it was computed on.</summary>
/// <param name="board">The symbolic board, row-major.</param>
/// <param name="rewards">f_R on that board, one value per cell, to change.</param>
public delegate void RewardEdit(ReadOnlySpan<byte> board, Span<float> rewards);

/// <summary>How an edit of the mesa-objective puts reward on a cell.</summary>
public enum MesaEditKind
{
    /// <summary>Raise the cell's f_R above the map's maximum, the rest of the map unchanged (<see cref="MesaPlanner.RewardOn"/>).</summary>
    Raise,

    /// <summary>Make the cell the only goal: the open cells flattened to their lowest f_R, the cell put above them, walls unchanged (<see cref="MesaPlanner.GoalOn"/>).</summary>
    Replace,

    /// <summary>Move the map's goal to the cell: the open cells capped at their median f_R, the cell put at the map's own maximum, walls unchanged (<see cref="MesaPlanner.MoveGoal"/>).</summary>
    Move,

    /// <summary>Raise the cell as <see cref="Raise"/> does and make every wall costlier than any shortcut through it could gain (<see cref="MesaPlanner.WalledRewardOn"/>).</summary>
    RaiseWalled,
}
