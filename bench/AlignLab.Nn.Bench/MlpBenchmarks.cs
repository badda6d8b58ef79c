using BenchmarkDotNet.Attributes;

namespace AlignLab.Nn.Bench;

/// <summary>MLP 75→64→64→5 (ReLU): inference at batch 64 and 1, and one Adam training step at batch 256.</summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 5, iterationCount: 15)]
public class MlpBenchmarks
{
    private readonly Graph _graph = new();
    private Sequential _net = null!;
    private Adam _adam = null!;
    private Tensor _x64 = null!;
    private Tensor _x256 = null!;
    private int[] _labels = null!;
    private float[] _obs = null!;
    private float[] _y1 = null!;
    private float[] _y64 = null!;

    [GlobalSetup]
    public void Setup()
    {
        var rng = new Random(1);
        _net = Nets.Mlp(75, [64, 64], 5, Activation.Relu, rng);
        _adam = new Adam(_net.Parameters, 1e-4f);
        _x64 = RandomTensor(rng, 64, 75);
        _x256 = RandomTensor(rng, 256, 75);
        _labels = Enumerable.Range(0, 256).Select(i => rng.Next(5)).ToArray();
        _obs = RandomTensor(rng, 1, 75).Values.ToArray();
        _y1 = new float[5];
        _y64 = new float[64 * 5];
    }

    [Benchmark(Description = "MLP forward, batch 64 (Predict)")]
    public float Forward64()
    {
        _net.Predict(_x64.Values, 64, _y64);
        return _y64[0];
    }

    [Benchmark(Description = "MLP forward, batch 64 (on the tape)")]
    public float Forward64Graph()
    {
        _graph.Reset();
        return _net.Forward(_graph, _graph.Input(_x64)).Value[0];
    }

    [Benchmark(Description = "MLP forward, batch 1 (Predict)")]
    public float Forward1()
    {
        _net.Predict(_obs, _y1);
        return _y1[0];
    }

    [Benchmark(Description = "MLP Adam step, batch 256 (fwd+CE+bwd+update)")]
    public float AdamStep256()
    {
        _graph.Reset();
        _adam.ZeroGrad();
        var loss = _graph.CrossEntropy(_net.Forward(_graph, _graph.Input(_x256)), _labels);
        _graph.Backward(loss);
        _adam.Step();
        return loss.Value[0];
    }

    internal static Tensor RandomTensor(Random rng, params int[] shape)
    {
        var t = new Tensor(shape);
        Init.Uniform(t, -1f, 1f, rng);
        return t;
    }
}
