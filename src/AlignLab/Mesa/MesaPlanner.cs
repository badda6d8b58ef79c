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

    /// <summary>
    /// The edit that puts reward on <paramref name="cell"/>: its f_R becomes max f_R + (max f_R − min f_R) over the map
    /// (1 above the maximum when f_R is flat), the rest of the map unchanged.
    /// </summary>
    /// <param name="cell">The row-major cell index.</param>
    /// <returns>The edit.</returns>
    public static RewardEdit RewardOn(int cell) => (_, rewards) =>
    {
        var max = float.NegativeInfinity;
        var min = float.PositiveInfinity;
        foreach (var r in rewards)
        {
            max = MathF.Max(max, r);
            min = MathF.Min(min, r);
        }

        var span = max - min;
        rewards[cell] = max + (span > 0 ? span : 1f);
    };
}

/// <summary>Changes a reward map in place, given the board it was computed on.</summary>
/// <param name="board">The symbolic board, row-major.</param>
/// <param name="rewards">f_R on that board, one value per cell, to change.</param>
public delegate void RewardEdit(ReadOnlySpan<byte> board, Span<float> rewards);
