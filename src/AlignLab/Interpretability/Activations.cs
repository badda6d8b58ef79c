using System.Globalization;
using AlignLab.Errors;
using AlignLab.Nn;

namespace AlignLab.Interpretability;

/// <summary>One layer's output recorded over a set of observations.</summary>
/// <param name="Layer">The layer's name in the network (e.g. <c>cact1</c>, <c>fc1</c>).</param>
/// <param name="LayerIndex">Its 0-based index: the values are the output after layers 0 … LayerIndex.</param>
/// <param name="Shape">The per-sample shape of the output (e.g. [16, 7, 7] or [64]).</param>
/// <param name="Count">The number of samples.</param>
/// <param name="Values">Count × Size values, sample-major.</param>
public sealed record ActivationSet(string Layer, int LayerIndex, IReadOnlyList<int> Shape, int Count, float[] Values)
{
    /// <summary>Values per sample.</summary>
    public int Size => Shape.Aggregate(1, (a, b) => a * b);
}

/// <summary>Records the output of any layer of a <see cref="Sequential"/> network over many observations.</summary>
public static class Activations
{
    private const int Batch = 256;

    /// <summary>
    /// The index of layer <paramref name="layer"/>: its name (e.g. <c>conv2</c>, <c>cact2</c>, <c>fc1</c>) or its
    /// 1-based position in the network.
    /// </summary>
    /// <exception cref="UserInputException">No such layer.</exception>
    public static int Resolve(Sequential network, string layer)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(layer);
        var names = network.LayerNames;
        for (var i = 0; i < names.Count; i++)
        {
            if (names[i] == layer)
            {
                return i;
            }
        }

        if (int.TryParse(layer, NumberStyles.None, CultureInfo.InvariantCulture, out var position) && position >= 1 && position <= names.Count)
        {
            return position - 1;
        }

        throw new UserInputException($"unknown layer '{layer}'{Scenarios.Suggest.DidYouMean(layer, names)}; the network's layers are {string.Join(", ", names)} (or 1..{names.Count}).");
    }

    /// <summary>
    /// The layers worth probing: every layer but a flatten (whose values equal the layer before it), in order.
    /// </summary>
    public static IReadOnlyList<int> ProbeLayers(Sequential network)
    {
        ArgumentNullException.ThrowIfNull(network);
        return [.. Enumerable.Range(0, network.Layers.Count).Where(i => network.Layers[i] is not Flatten)];
    }

    /// <summary>
    /// The per-sample output shape of layer <paramref name="layerIndex"/>: [channels, height, width] for a layer of a
    /// convolutional torso that keeps the map's size (as every AlignLab CNN does), else [values].
    /// </summary>
    public static IReadOnlyList<int> ShapeOf(Sequential network, int layerIndex)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentOutOfRangeException.ThrowIfNegative(layerIndex);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(layerIndex, network.Layers.Count);
        var size = network.SizeAfter(layerIndex + 1);
        var input = network.InputShape;
        var beforeFlatten = !network.Layers.Take(layerIndex + 1).Any(l => l is Flatten or Linear);
        if (input.Count == 3 && beforeFlatten && size % (input[1] * input[2]) == 0)
        {
            return [size / (input[1] * input[2]), input[1], input[2]];
        }

        return [size];
    }

    /// <summary>
    /// Runs layers 0 … <paramref name="layerIndex"/> of <paramref name="network"/> on every observation (in batches,
    /// without a tape) and returns that layer's output.
    /// </summary>
    /// <param name="network">The network.</param>
    /// <param name="observations">count × the network's input size values, sample-major.</param>
    /// <param name="count">The number of observations.</param>
    /// <param name="layerIndex">The 0-based layer index (see <see cref="Resolve"/>).</param>
    public static ActivationSet Record(Sequential network, ReadOnlySpan<float> observations, int count, int layerIndex)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(layerIndex);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(layerIndex, network.Layers.Count);
        var inSize = network.InputSize;
        if (observations.Length != count * inSize)
        {
            throw new ArgumentException($"Expected {count}×{inSize} observation values, got {observations.Length}.", nameof(observations));
        }

        var outSize = network.SizeAfter(layerIndex + 1);
        var values = new float[(long)count * outSize];
        for (var start = 0; start < count; start += Batch)
        {
            var batch = Math.Min(Batch, count - start);
            network.Predict(observations.Slice(start * inSize, batch * inSize), batch, values.AsSpan(start * outSize, batch * outSize), 0, layerIndex + 1);
        }

        return new ActivationSet(network.LayerNames[layerIndex], layerIndex, ShapeOf(network, layerIndex), count, values);
    }

    /// <summary>
    /// Records layer <paramref name="layerIndex"/> by running only the layers after <paramref name="earlier"/> on its values:
    /// recording layer after layer this way runs each layer once instead of once per later layer.
    /// </summary>
    /// <param name="network">The network <paramref name="earlier"/> was recorded from.</param>
    /// <param name="earlier">An earlier layer's recording.</param>
    /// <param name="layerIndex">A later layer's 0-based index.</param>
    public static ActivationSet Record(Sequential network, ActivationSet earlier, int layerIndex)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(earlier);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(layerIndex, earlier.LayerIndex);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(layerIndex, network.Layers.Count);
        var inSize = network.SizeAfter(earlier.LayerIndex + 1);
        if (earlier.Values.Length != (long)earlier.Count * inSize)
        {
            throw new ArgumentException($"The earlier recording does not fit layer {earlier.LayerIndex} of this network.", nameof(earlier));
        }

        var count = earlier.Count;
        var outSize = network.SizeAfter(layerIndex + 1);
        var values = new float[(long)count * outSize];
        for (var start = 0; start < count; start += Batch)
        {
            var batch = Math.Min(Batch, count - start);
            network.Predict(earlier.Values.AsSpan(start * inSize, batch * inSize), batch, values.AsSpan(start * outSize, batch * outSize), earlier.LayerIndex + 1, layerIndex - earlier.LayerIndex);
        }

        return new ActivationSet(network.LayerNames[layerIndex], layerIndex, ShapeOf(network, layerIndex), count, values);
    }
}
