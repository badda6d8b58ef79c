using AlignLab.Nn;

namespace AlignLab.Interpretability.Steering;

/// <summary>
/// The goal vector (Turner et al. 2023's "cheese vector"): the mean difference of one layer's output between paired
/// observations of the same level with and without the goal object. Subtracting it (coefficient −1) is meant to make
/// the network act as if the goal object were not there.
/// </summary>
public static class GoalVector
{
    /// <summary>
    /// mean over i of (layer(with_i) − layer(without_i)), accumulated in double; <paramref name="with"/> and
    /// <paramref name="without"/> are <paramref name="count"/> paired observations each, sample-major.
    /// </summary>
    public static float[] MeanDifference(Sequential network, int layer, ReadOnlySpan<float> with, ReadOnlySpan<float> without, int count)
    {
        ArgumentNullException.ThrowIfNull(network);
        if (with.Length != without.Length)
        {
            throw new ArgumentException("The two sets of observations must pair up.", nameof(without));
        }

        var a = Activations.Record(network, with, count, layer);
        var b = Activations.Record(network, without, count, layer);
        var size = a.Size;
        var sum = new double[size];
        for (var i = 0; i < count; i++)
        {
            for (var j = 0; j < size; j++)
            {
                sum[j] += (double)a.Values[(i * size) + j] - b.Values[(i * size) + j];
            }
        }

        var vector = new float[size];
        for (var j = 0; j < size; j++)
        {
            vector[j] = (float)(sum[j] / count);
        }

        return vector;
    }

    /// <summary>
    /// The goal vector at <paramref name="layer"/> over <paramref name="levels"/>: each level's start observation
    /// with the goal object against the same observation with it removed (<see cref="MazeLevel.BoardWithoutGoal"/>).
    /// </summary>
    public static float[] Compute(Sequential network, int layer, IReadOnlyList<MazeLevel> levels)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(levels);
        if (levels.Count == 0)
        {
            throw new ArgumentException("At least one level is needed.", nameof(levels));
        }

        var size = network.InputSize;
        var with = new float[levels.Count * size];
        var without = new float[levels.Count * size];
        for (var i = 0; i < levels.Count; i++)
        {
            var level = levels[i];
            var board = new byte[level.Cells.Length];
            level.Board(level.Start, board);
            level.World.Encode(board, with.AsSpan(i * size, size));
            level.BoardWithoutGoal(level.Start, board);
            level.World.Encode(board, without.AsSpan(i * size, size));
        }

        return MeanDifference(network, layer, with, without, levels.Count);
    }
}
