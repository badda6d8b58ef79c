namespace AlignLab.Nn;

/// <summary>
/// Named layers applied in order. Parameter names are <c>layerName.paramName</c> (e.g. <c>fc1.weight</c>), as in
/// a PyTorch module with attributes of those names. <see cref="Predict(ReadOnlySpan{float}, int, Span{float})"/>
/// runs the network without a tape into caller-provided memory.
/// </summary>
/// <remarks>Inference reuses internal scratch buffers, so one instance must not predict on two threads at once.</remarks>
public sealed class Sequential : Module
{
    private readonly Module[] _layers;
    private readonly string[] _names;
    private readonly Parameter[] _parameters;
    private readonly int[] _inputShape;
    private readonly int[] _outputShape;
    private int[][]? _shapes;
    private float[] _bufA = [];
    private float[] _bufB = [];

    /// <summary>Creates the container from (name, layer) pairs; names must be unique and non-empty.</summary>
    /// <param name="inputShape">The per-sample input shape (e.g. [75] or [4,13,13]), used by inference.</param>
    /// <param name="layers">The layers in order with their names.</param>
    public Sequential(int[] inputShape, params (string Name, Module Layer)[] layers)
    {
        ArgumentNullException.ThrowIfNull(inputShape);
        ArgumentNullException.ThrowIfNull(layers);
        Tensor.CheckedLength(inputShape);
        _inputShape = (int[])inputShape.Clone();
        _layers = new Module[layers.Length];
        _names = new string[layers.Length];
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var ps = new List<Parameter>();
        for (var i = 0; i < layers.Length; i++)
        {
            var (name, layer) = layers[i];
            ArgumentNullException.ThrowIfNull(layer);
            if (string.IsNullOrEmpty(name) || name.Contains('.', StringComparison.Ordinal) || !seen.Add(name))
            {
                throw new ArgumentException($"Layer name '{name}' must be non-empty, unique and contain no dot.", nameof(layers));
            }

            _layers[i] = layer;
            _names[i] = name;
            layer.AssignNames(name);
            ps.AddRange(layer.Parameters);
        }

        _parameters = [.. ps];
        _outputShape = OutputShape(_inputShape);
    }

    /// <summary>Gets the per-sample input shape.</summary>
    public IReadOnlyList<int> InputShape => _inputShape;

    /// <summary>Gets the per-sample output shape.</summary>
    public IReadOnlyList<int> OutputShapePerSample => _outputShape;

    /// <summary>Gets the number of input values per sample.</summary>
    public int InputSize => Product(_inputShape);

    /// <summary>Gets the number of output values per sample.</summary>
    public int OutputSize => Product(_outputShape);

    /// <summary>Gets the layers in order.</summary>
    public IReadOnlyList<Module> Layers => _layers;

    /// <summary>Gets the layer names in order.</summary>
    public IReadOnlyList<string> LayerNames => _names;

    /// <inheritdoc/>
    public override IReadOnlyList<Parameter> Parameters => _parameters;

    /// <inheritdoc/>
    public override Var Forward(Graph graph, Var input) => Forward(graph, input, 0, _layers.Length);

    /// <summary>
    /// Records layers <paramref name="firstLayer"/> … <paramref name="firstLayer"/> + <paramref name="layerCount"/> − 1
    /// on the tape (a convolution followed by a ReLU becomes one fused node with the same values and gradients).
    /// </summary>
    /// <param name="graph">The tape.</param>
    /// <param name="input">The input of layer <paramref name="firstLayer"/>, with a leading batch axis.</param>
    /// <param name="firstLayer">The index of the first layer to record.</param>
    /// <param name="layerCount">How many layers to record.</param>
    /// <returns>The output node of the last of them.</returns>
    public Var Forward(Graph graph, Var input, int firstLayer, int layerCount)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentOutOfRangeException.ThrowIfNegative(firstLayer);
        ArgumentOutOfRangeException.ThrowIfNegative(layerCount);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(firstLayer + layerCount, _layers.Length, nameof(layerCount));
        var x = input;
        var end = firstLayer + layerCount;
        for (var i = firstLayer; i < end; i++)
        {
            if (_layers[i] is Conv2d conv && i + 1 < end && _layers[i + 1] is Relu)
            {
                x = conv.Forward(graph, x, relu: true);
                i++;
            }
            else
            {
                x = _layers[i].Forward(graph, x);
            }
        }

        return x;
    }

    /// <summary>
    /// Runs the network on a single observation (batch 1) without a tape: the fast path for acting.
    /// </summary>
    /// <param name="observation">One sample, <see cref="InputSize"/> values.</param>
    /// <param name="output">Receives <see cref="OutputSize"/> values.</param>
    public void Predict(ReadOnlySpan<float> observation, Span<float> output) => Predict(observation, 1, output);

    /// <summary>Runs the network on <paramref name="batch"/> samples without a tape.</summary>
    /// <param name="input">batch × <see cref="InputSize"/> values, sample-major.</param>
    /// <param name="batch">The number of samples.</param>
    /// <param name="output">Receives batch × <see cref="OutputSize"/> values.</param>
    public void Predict(ReadOnlySpan<float> input, int batch, Span<float> output) => Predict(input, batch, output, 0, _layers.Length);

    /// <summary>
    /// Runs only layers <paramref name="firstLayer"/> … <paramref name="firstLayer"/> + <paramref name="layerCount"/> − 1
    /// without a tape: for networks that share their first layers, the shared part runs once and each network
    /// continues from its output.
    /// </summary>
    /// <param name="input">batch × <see cref="SizeAfter"/>(<paramref name="firstLayer"/>) values, sample-major.</param>
    /// <param name="batch">The number of samples.</param>
    /// <param name="output">Receives batch × <see cref="SizeAfter"/>(<paramref name="firstLayer"/> + <paramref name="layerCount"/>) values.</param>
    /// <param name="firstLayer">The index of the first layer to run.</param>
    /// <param name="layerCount">How many layers to run (at least one).</param>
    public void Predict(ReadOnlySpan<float> input, int batch, Span<float> output, int firstLayer, int layerCount)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batch, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(firstLayer);
        ArgumentOutOfRangeException.ThrowIfLessThan(layerCount, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(firstLayer + layerCount, _layers.Length, nameof(layerCount));
        var shapes = _shapes ??= BuildShapes();
        var end = firstLayer + layerCount;
        var inSize = Product(shapes[firstLayer]);
        var outSize = Product(shapes[end]);
        if (input.Length != batch * inSize)
        {
            throw new ArgumentException($"Predict: shape mismatch: expected {batch}×{inSize} input values, got {input.Length}.", nameof(input));
        }

        if (output.Length < batch * outSize)
        {
            throw new ArgumentException($"Predict: output needs {batch}×{outSize} values, got {output.Length}.", nameof(output));
        }

        EnsureBuffers(shapes, batch);
        var src = input;
        var useA = true;
        for (var i = firstLayer; i < end; i++)
        {
            // A Linear or Conv2d followed by ReLU applies the ReLU in place on its own output.
            var fuse = i + 1 < end && _layers[i + 1] is Relu && (_layers[i] is Linear or Conv2d);
            var last = i + (fuse ? 1 : 0) == end - 1;
            var n = batch * Product(shapes[i + 1]);
            Span<float> dst = last ? output[..n] : (useA ? _bufA : _bufB).AsSpan(0, n);
            if (fuse && _layers[i] is Conv2d conv)
            {
                conv.Infer(src, batch, shapes[i], dst, relu: true);
                i++;
            }
            else
            {
                _layers[i].Infer(src, batch, shapes[i], dst);
                if (fuse)
                {
                    Kernels.Vec.Relu(dst, dst);
                    i++;
                }
            }

            src = dst;
            useA = !useA;
        }
    }

    /// <summary>Values per sample after the first <paramref name="layers"/> layers (the input size for 0).</summary>
    /// <param name="layers">How many layers have run, 0 … the layer count.</param>
    /// <returns>The product of that layer output's shape.</returns>
    public int SizeAfter(int layers)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(layers);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(layers, _layers.Length);
        return Product((_shapes ??= BuildShapes())[layers]);
    }

    /// <summary>Returns a copy of every parameter keyed by its full name.</summary>
    /// <returns>A new dictionary of cloned tensors.</returns>
    public Dictionary<string, Tensor> StateDict()
    {
        var d = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var p in _parameters)
        {
            d[p.Name] = p.Value.Clone();
        }

        return d;
    }

    /// <summary>Copies values into every parameter by name; every parameter must be present with the same shape.</summary>
    /// <param name="state">Tensors keyed by full parameter name; extra entries are ignored.</param>
    public void LoadStateDict(IReadOnlyDictionary<string, Tensor> state)
    {
        ArgumentNullException.ThrowIfNull(state);
        foreach (var p in _parameters)
        {
            if (!state.TryGetValue(p.Name, out var t))
            {
                throw new KeyNotFoundException($"The state has no tensor named '{p.Name}'.");
            }

            if (!t.HasShape(p.Shape))
            {
                throw new ArgumentException($"'{p.Name}': shape mismatch: the state has {Tensor.FormatShape(t.Shape)} but the parameter is {Tensor.FormatShape(p.Shape)}.", nameof(state));
            }

            p.Value.CopyFrom(t.Values);
        }
    }

    internal override int[] OutputShape(int[] inputShape)
    {
        var shape = inputShape;
        foreach (var layer in _layers)
        {
            shape = layer.OutputShape(shape);
        }

        return shape;
    }

    internal override void Infer(ReadOnlySpan<float> x, int batch, int[] inputShape, Span<float> y)
    {
        if (!inputShape.AsSpan().SequenceEqual(_inputShape))
        {
            throw new ArgumentException("Sequential: nested input shape differs from the declared input shape.");
        }

        Predict(x, batch, y);
    }

    internal override void AssignNames(string prefix)
    {
        for (var i = 0; i < _layers.Length; i++)
        {
            _layers[i].AssignNames(prefix.Length == 0 ? _names[i] : prefix + "." + _names[i]);
        }
    }

    private int[][] BuildShapes()
    {
        var shapes = new int[_layers.Length + 1][];
        shapes[0] = _inputShape;
        for (var i = 0; i < _layers.Length; i++)
        {
            shapes[i + 1] = _layers[i].OutputShape(shapes[i]);
        }

        return shapes;
    }

    private void EnsureBuffers(int[][] shapes, int batch)
    {
        var max = 0;
        for (var i = 1; i < shapes.Length; i++)
        {
            max = Math.Max(max, Product(shapes[i]));
        }

        if (_bufA.Length < max * batch)
        {
            _bufA = new float[max * batch];
            _bufB = new float[max * batch];
        }
    }
}
