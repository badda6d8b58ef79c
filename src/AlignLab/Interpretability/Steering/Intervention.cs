namespace AlignLab.Interpretability.Steering;

/// <summary>
/// A change to one layer's output while the network runs: first a vector is added to the activation, then chosen
/// values are overwritten. Indices are into the layer's flattened per-sample output (channel-major for a convolution:
/// index = (channel · height + row) · width + col).
/// </summary>
public sealed class Intervention
{
    private readonly float[]? _add;
    private readonly int[] _indices;
    private readonly float[] _values;

    private Intervention(int layer, float[]? add, int[] indices, float[] values)
    {
        Layer = layer;
        _add = add;
        _indices = indices;
        _values = values;
    }

    /// <summary>The 0-based index of the layer whose output is changed.</summary>
    public int Layer { get; }

    /// <summary>The vector added to the layer's output (coefficient already applied), or empty when nothing is added.</summary>
    public ReadOnlySpan<float> Added => _add;

    /// <summary>The flattened indices overwritten after the addition.</summary>
    public IReadOnlyList<int> OverwrittenIndices => _indices;

    /// <summary>The values written at <see cref="OverwrittenIndices"/>.</summary>
    public IReadOnlyList<float> OverwrittenValues => _values;

    /// <summary>Adds <paramref name="coefficient"/> · <paramref name="vector"/> to layer <paramref name="layer"/>'s output.</summary>
    public static Intervention Add(int layer, ReadOnlySpan<float> vector, double coefficient)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(layer);
        var add = new float[vector.Length];
        var c = (float)coefficient;
        for (var i = 0; i < add.Length; i++)
        {
            add[i] = c * vector[i];
        }

        return new Intervention(layer, add, [], []);
    }

    /// <summary>Writes <paramref name="values"/> at <paramref name="indices"/> of layer <paramref name="layer"/>'s output.</summary>
    public static Intervention Overwrite(int layer, IReadOnlyList<int> indices, IReadOnlyList<float> values)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(layer);
        ArgumentNullException.ThrowIfNull(indices);
        ArgumentNullException.ThrowIfNull(values);
        if (indices.Count != values.Count)
        {
            throw new ArgumentException("One value per index is needed.", nameof(values));
        }

        return new Intervention(layer, null, [.. indices], [.. values]);
    }

    /// <summary>Applies the change to one sample's layer output in place.</summary>
    public void Apply(Span<float> activation)
    {
        if (_add is not null)
        {
            if (_add.Length != activation.Length)
            {
                throw new ArgumentException($"The added vector has {_add.Length} values but the layer has {activation.Length}.", nameof(activation));
            }

            for (var i = 0; i < activation.Length; i++)
            {
                activation[i] += _add[i];
            }
        }

        for (var i = 0; i < _indices.Length; i++)
        {
            activation[_indices[i]] = _values[i];
        }
    }
}
