using AlignLab.Errors;
using AlignLab.Nn;
using AlignLab.Randomness;

namespace AlignLab.Interpretability.Steering;

/// <summary>How channels are attributed by resampling.</summary>
public sealed record ChannelAttributionOptions
{
    /// <summary>Alternative goal positions drawn per level (each an open cell other than the goal's and the start).</summary>
    public int Resamples { get; init; } = 2;

    /// <summary>
    /// Random directions in channel space that form the baseline: resampling the component of the activation along a
    /// random unit vector (a "random channel" in a rotated basis) instead of along one channel.
    /// </summary>
    public int RandomDirections { get; init; } = 200;

    /// <summary>A channel is goal-tracking when its effect exceeds this quantile of the random directions' effects.</summary>
    public double Quantile { get; init; } = 0.95;

    /// <summary>Seed of the alternative goal positions and the random directions.</summary>
    public ulong Seed { get; init; }
}

/// <summary>Channel attribution of one convolutional layer.</summary>
/// <param name="Layer">The layer's index.</param>
/// <param name="ChannelEffects">Per channel: the mean total-variation distance between the action distribution and the one with that channel resampled.</param>
/// <param name="BaselineEffects">The same for each random direction, sorted ascending.</param>
/// <param name="Threshold">The <see cref="ChannelAttributionOptions.Quantile"/> quantile of <see cref="BaselineEffects"/>.</param>
/// <param name="GoalChannels">The channels above the threshold, largest effect first.</param>
/// <param name="Samples">The (level, alternative position) pairs averaged over.</param>
public sealed record ChannelAttributionResult(int Layer, IReadOnlyList<double> ChannelEffects, IReadOnlyList<double> BaselineEffects, double Threshold, IReadOnlyList<int> GoalChannels, int Samples);

/// <summary>
/// Finds the channels that track the goal object by resampling (Chan et al.'s causal scrubbing, as Turner et al. 2023
/// use it): on each level's start observation, one channel's whole map is replaced by its values on the same level
/// with the goal object moved to another cell; the change in the action distribution (total variation) is averaged
/// over levels and positions. The baseline replaces, the same way, the component along a random unit vector of
/// channel space; channels whose effect passes the baseline's upper quantile are reported as goal-tracking.
/// </summary>
public static class ChannelAttribution
{
    /// <summary>Attributes the channels of convolutional layer <paramref name="layer"/> over <paramref name="levels"/>.</summary>
    /// <exception cref="UserInputException">The layer is not a spatial (convolutional) one.</exception>
    public static ChannelAttributionResult Compute(Sequential network, int layer, IReadOnlyList<MazeLevel> levels, ChannelAttributionOptions options)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(levels);
        ArgumentNullException.ThrowIfNull(options);
        var shape = Activations.ShapeOf(network, layer);
        if (shape.Count != 3)
        {
            throw new UserInputException($"layer '{network.LayerNames[layer]}' is not a convolutional map (its output is {string.Join("×", shape)}); channel attribution and retargeting need one such as cact2.");
        }

        if (options.Resamples < 1 || options.RandomDirections < 1 || options.Quantile is <= 0 or >= 1)
        {
            throw new UserInputException("channel attribution needs at least one resample and one random direction, and a quantile strictly between 0 and 1.");
        }

        int channels = shape[0], area = shape[1] * shape[2];
        var size = channels * area;
        var rng = new Rng(options.Seed);
        var directions = new double[options.RandomDirections * channels];
        for (var d = 0; d < options.RandomDirections; d++)
        {
            var u = directions.AsSpan(d * channels, channels);
            var norm = 0.0;
            for (var c = 0; c < channels; c++)
            {
                u[c] = rng.NextGaussian();
                norm += u[c] * u[c];
            }

            norm = Math.Sqrt(norm);
            for (var c = 0; c < channels; c++)
            {
                u[c] /= norm;
            }
        }

        var variants = channels + options.RandomDirections;
        var batch = new float[(variants + 1) * size];
        var logits = new float[(variants + 1) * network.OutputSize];
        var actions = network.OutputSize;
        var probabilities = new double[(variants + 1) * actions];
        var effects = new double[variants];
        var samples = 0;
        var inSize = network.InputSize;
        var observation = new float[inSize];
        var original = new float[size];
        var alternative = new float[size];
        foreach (var level in levels)
        {
            var board = new byte[level.Cells.Length];
            level.Board(level.Start, board);
            level.World.Encode(board, observation);
            network.Predict(observation, 1, original, 0, layer + 1);
            var candidates = level.OpenCells.Where(c => c != level.GoalCell && c != level.Start).ToArray();
            if (candidates.Length == 0)
            {
                continue;
            }

            for (var r = 0; r < options.Resamples; r++)
            {
                var moved = level.WithGoalAt(candidates[rng.NextInt(candidates.Length)]);
                moved.Board(moved.Start, board);
                moved.World.Encode(board, observation);
                network.Predict(observation, 1, alternative, 0, layer + 1);
                original.CopyTo(batch, 0);
                for (var c = 0; c < channels; c++)
                {
                    var patched = batch.AsSpan((c + 1) * size, size);
                    original.CopyTo(patched);
                    alternative.AsSpan(c * area, area).CopyTo(patched.Slice(c * area, area));
                }

                for (var d = 0; d < options.RandomDirections; d++)
                {
                    var patched = batch.AsSpan((channels + d + 1) * size, size);
                    original.CopyTo(patched);
                    var u = directions.AsSpan(d * channels, channels);
                    for (var p = 0; p < area; p++)
                    {
                        var delta = 0.0;
                        for (var c = 0; c < channels; c++)
                        {
                            delta += u[c] * (alternative[(c * area) + p] - original[(c * area) + p]);
                        }

                        for (var c = 0; c < channels; c++)
                        {
                            patched[(c * area) + p] += (float)(u[c] * delta);
                        }
                    }
                }

                Run(network, layer, batch, variants + 1, logits);
                for (var v = 0; v <= variants; v++)
                {
                    SteeredPolicy.Probabilities(logits.AsSpan(v * actions, actions), greedy: false, probabilities.AsSpan(v * actions, actions));
                }

                for (var v = 0; v < variants; v++)
                {
                    var tv = 0.0;
                    for (var a = 0; a < actions; a++)
                    {
                        tv += Math.Abs(probabilities[((v + 1) * actions) + a] - probabilities[a]);
                    }

                    effects[v] += tv / 2;
                }

                samples++;
            }
        }

        if (samples == 0)
        {
            throw new UserInputException("no level had a cell to move the goal object to; channel attribution needs larger levels.");
        }

        var channelEffects = effects.Take(channels).Select(e => e / samples).ToArray();
        var baseline = effects.Skip(channels).Select(e => e / samples).Order().ToArray();
        var threshold = Quantile(baseline, options.Quantile);
        var goalChannels = Enumerable.Range(0, channels).Where(c => channelEffects[c] > threshold).OrderByDescending(c => channelEffects[c]).ThenBy(c => c).ToArray();
        return new ChannelAttributionResult(layer, channelEffects, baseline, threshold, goalChannels, samples);
    }

    /// <summary>The q-quantile of sorted values, interpolated linearly between order statistics.</summary>
    internal static double Quantile(IReadOnlyList<double> sorted, double q)
    {
        if (sorted.Count == 0)
        {
            return double.NaN;
        }

        var position = q * (sorted.Count - 1);
        var low = (int)Math.Floor(position);
        var high = Math.Min(low + 1, sorted.Count - 1);
        return sorted[low] + ((position - low) * (sorted[high] - sorted[low]));
    }

    /// <summary>Runs the layers after <paramref name="layer"/> on a batch of that layer's outputs.</summary>
    private static void Run(Sequential network, int layer, float[] batch, int count, float[] logits)
    {
        var rest = network.Layers.Count - layer - 1;
        if (rest > 0)
        {
            network.Predict(batch, count, logits, layer + 1, rest);
        }
        else
        {
            batch.AsSpan(0, logits.Length).CopyTo(logits);
        }
    }
}
