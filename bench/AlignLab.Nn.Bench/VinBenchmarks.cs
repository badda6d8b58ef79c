using BenchmarkDotNet.Attributes;

namespace AlignLab.Nn.Bench;

/// <summary>
/// The PPO preset's value-iteration network on 4×7×7 one-hot grids (CheeseInTheCorner at size 7): f_R from 3×3
/// convolutions 4→16→16 (ReLU) and a 1×1 convolution, K = 20 steps on the fixed moves kernel, Q read at the agent's
/// cell: inference at batch 16 (one rollout step of the preset's 16 environments) and one Adam step at batch 256
/// (one of its minibatches). <see cref="ValueIterationNetwork.ForwardFlops"/> gives the FLOPs per sample forward; a
/// training step is counted as PPO's are, 3× forward less the first convolution's input gradient (both printed by the set-up).
/// </summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 3, iterationCount: 10)]
public class VinBenchmarks
{
    private readonly Graph _graph = new();
    private Sequential _net = null!;
    private Adam _adam = null!;
    private Tensor _x256 = null!;
    private float[] _x16 = null!;
    private float[] _y16 = null!;
    private int[] _labels = null!;

    [GlobalSetup]
    public void Setup()
    {
        var rng = new Random(4);
        (int, int)[] moves = [(-1, 0), (1, 0), (0, -1), (0, 1)];
        var vin = new ValueIterationNetwork(4, 7, 7, 2, 4, [16, 16], 20, false, Activation.Relu, rng, moves);
        _net = new Sequential([4, 7, 7], ("vin", vin));
        _adam = new Adam(_net.Parameters, 1e-3f);
        _x256 = OneHot(rng, 256);
        _x16 = OneHot(rng, 16).Values.ToArray();
        _y16 = new float[16 * 4];
        _labels = [.. Enumerable.Range(0, 256).Select(_ => rng.Next(4))];
        // A training step counted as PPO's are: forward and backward (2× forward) less the input gradient of the
        // first layer, here f_R's first convolution (the observation's gradient is never computed).
        var first = vin.RewardHidden[0];
        var firstFlops = 2.0 * first.OutChannels * first.InChannels * 9 * 49;
        Console.WriteLine($"// VIN 4×7×7, K = 20: {vin.ForwardFlops():N0} FLOP per sample forward, {(3 * vin.ForwardFlops()) - firstFlops:N0} per sample per training step");
    }

    [Benchmark(Description = "VIN forward, batch 16 (Predict)")]
    public float Forward16()
    {
        _net.Predict(_x16, 16, _y16);
        return _y16[0];
    }

    [Benchmark(Description = "VIN Adam step, batch 256 (fwd+CE+bwd+update)")]
    public float AdamStep256()
    {
        _graph.Reset();
        _adam.ZeroGrad();
        var loss = _graph.CrossEntropy(_net.Forward(_graph, _graph.Input(_x256)), _labels);
        _graph.Backward(loss);
        _adam.Step();
        return loss.Value[0];
    }

    /// <summary>Random boards: one agent cell, every other cell floor, wall or cheese.</summary>
    private static Tensor OneHot(Random rng, int batch)
    {
        var x = new Tensor(batch, 4, 7, 7);
        for (var b = 0; b < batch; b++)
        {
            var agent = rng.Next(49);
            for (var cell = 0; cell < 49; cell++)
            {
                var channel = cell == agent ? 2 : rng.Next(10) switch { < 6 => 0, < 9 => 1, _ => 3 };
                x[(((b * 4) + channel) * 49) + cell] = 1f;
            }
        }

        return x;
    }
}
