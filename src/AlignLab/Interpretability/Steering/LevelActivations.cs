using AlignLab.Nn;

namespace AlignLab.Interpretability.Steering;

/// <summary>
/// One layer's output for the agent standing on each open cell of a level, recorded once so that many interventions
/// at that layer can be evaluated by running only the layers after it (in one batch over the cells).
/// </summary>
internal sealed class LevelActivations
{
    private readonly Sequential _network;
    private readonly float[] _values;
    private readonly float[] _scratch;
    private readonly float[] _logits;

    private LevelActivations(Sequential network, MazeLevel level, int layer, float[] values)
    {
        _network = network;
        Level = level;
        Layer = layer;
        _values = values;
        Size = network.SizeAfter(layer + 1);
        _scratch = new float[values.Length];
        _logits = new float[level.OpenCells.Count * network.OutputSize];
    }

    public MazeLevel Level { get; }

    public int Layer { get; }

    /// <summary>Values of the layer's output per sample.</summary>
    public int Size { get; }

    /// <summary>The layer's output with the agent on open cell number <paramref name="index"/> (in <see cref="MazeLevel.OpenCells"/> order).</summary>
    public ReadOnlySpan<float> At(int index) => _values.AsSpan(index * Size, Size);

    public static LevelActivations Record(Sequential network, MazeLevel level, int layer)
    {
        var world = level.World;
        var open = level.OpenCells;
        var inSize = network.InputSize;
        var observations = new float[open.Count * inSize];
        var board = new byte[level.Cells.Length];
        for (var i = 0; i < open.Count; i++)
        {
            level.Board(open[i], board);
            world.Encode(board, observations.AsSpan(i * inSize, inSize));
        }

        var values = new float[open.Count * network.SizeAfter(layer + 1)];
        network.Predict(observations, open.Count, values, 0, layer + 1);
        return new LevelActivations(network, level, layer, values);
    }

    /// <summary>The policy's cells × actions table (see <see cref="MazeLevel.PolicyTable"/>) with the intervention applied to every cell's activation.</summary>
    public double[] Table(Intervention? intervention, bool greedy)
    {
        if (intervention is not null && intervention.Layer != Layer)
        {
            throw new ArgumentException($"The intervention is at layer {intervention.Layer}, not at the recorded layer {Layer}.", nameof(intervention));
        }

        _values.CopyTo(_scratch, 0);
        if (intervention is not null)
        {
            for (var i = 0; i < Level.OpenCells.Count; i++)
            {
                intervention.Apply(_scratch.AsSpan(i * Size, Size));
            }
        }

        return Finish(greedy);
    }

    /// <summary>
    /// The policy's table with channels <paramref name="channels"/> (each <paramref name="area"/> values) of every cell's
    /// activation replaced by the same channels recorded on <paramref name="source"/> (the same maze, so the same open
    /// cells, with the goal object elsewhere).
    /// </summary>
    public double[] TablePatched(LevelActivations source, IReadOnlyList<int> channels, int area, bool greedy)
    {
        if (source.Level.OpenCells.Count != Level.OpenCells.Count || source.Size != Size)
        {
            throw new ArgumentException("The source level must be the same maze recorded at the same layer.", nameof(source));
        }

        _values.CopyTo(_scratch, 0);
        for (var i = 0; i < Level.OpenCells.Count; i++)
        {
            foreach (var c in channels)
            {
                source._values.AsSpan((i * Size) + (c * area), area).CopyTo(_scratch.AsSpan((i * Size) + (c * area), area));
            }
        }

        return Finish(greedy);
    }

    private double[] Finish(bool greedy)
    {
        var open = Level.OpenCells;
        var actions = _network.OutputSize;

        var layers = _network.Layers.Count - Layer - 1;
        if (layers > 0)
        {
            _network.Predict(_scratch, open.Count, _logits, Layer + 1, layers);
        }
        else
        {
            _scratch.CopyTo(_logits, 0);
        }

        var table = new double[Level.Cells.Length * actions];
        for (var i = 0; i < open.Count; i++)
        {
            SteeredPolicy.Probabilities(_logits.AsSpan(i * actions, actions), greedy, table.AsSpan(open[i] * actions, actions));
        }

        return table;
    }
}
