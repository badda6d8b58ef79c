using BenchmarkDotNet.Attributes;

namespace AlignLab.Nn.Bench;

/// <summary>
/// CNN on 4×13×13 grids: conv3×3 4→16, conv3×3 16→32, conv3×3 32→32 (ReLU after each), flatten, linear 5408→5.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 5, iterationCount: 15)]
public class CnnBenchmarks
{
    private readonly Graph _graph = new();
    private Sequential _net = null!;
    private Adam _adam = null!;
    private Tensor _x64 = null!;
    private int[] _labels = null!;
    private float[] _y64 = null!;
    private float[] _y1 = null!;

    [GlobalSetup]
    public void Setup()
    {
        var rng = new Random(2);
        _net = Nets.Cnn(4, 13, 13, [16, 32, 32], 3, [], 5, Activation.Relu, rng);
        _adam = new Adam(_net.Parameters, 1e-4f);
        _x64 = MlpBenchmarks.RandomTensor(rng, 64, 4, 13, 13);
        _labels = Enumerable.Range(0, 64).Select(i => rng.Next(5)).ToArray();
        _y64 = new float[64 * 5];
        _y1 = new float[5];
    }

    [Benchmark(Description = "CNN forward, batch 64 (Predict)")]
    public float Forward64()
    {
        _net.Predict(_x64.Values, 64, _y64);
        return _y64[0];
    }

    [Benchmark(Description = "CNN forward, batch 1 (Predict)")]
    public float Forward1()
    {
        _net.Predict(_x64.Values[..(4 * 13 * 13)], _y1);
        return _y1[0];
    }

    [Benchmark(Description = "CNN Adam step, batch 64 (fwd+CE+bwd+update)")]
    public float AdamStep64()
    {
        _graph.Reset();
        _adam.ZeroGrad();
        var loss = _graph.CrossEntropy(_net.Forward(_graph, _graph.Input(_x64)), _labels);
        _graph.Backward(loss);
        _adam.Step();
        return loss.Value[0];
    }
}
