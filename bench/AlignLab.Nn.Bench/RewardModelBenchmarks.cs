using BenchmarkDotNet.Attributes;

namespace AlignLab.Nn.Bench;

/// <summary>
/// One training step of the preference reward model (src/AlignLab/RewardModels): the MLP r(o, a, o′) over
/// [o, one-hot a, o′] on every transition of a minibatch of comparisons, the segment returns
/// (<see cref="Graph.SegmentSum"/>), the Bradley–Terry loss, backward and AdamW, the same ops in the same order as
/// <c>PreferenceTrainer.Step</c> (this project references only AlignLab.Nn, so the step is spelt out here),
/// including its passes: the minibatch goes forward and backward in passes of whole comparisons of at most 256
/// transitions (here 6 passes of 5 comparisons and one of 2), each pass's loss weighted by its share, then one
/// AdamW update. Shapes: observations of a 6-channel 7×9 board (378 features, as the one-hot encoder gives a
/// DistributionalShift-sized level), 4 actions, so 760 inputs; 32 comparisons of two 25-step segments = 1,600
/// transitions per step.
/// </summary>
/// <remarks>
/// FLOPs are counted as PPO's (<c>PpoAgent.FlopsPerEnvStep</c>, bench/README.md): a linear layer costs 2·in·out
/// per row forward; backward costs twice the forward (input and weight gradients) except at the first layer,
/// whose input gradient is never computed; element-wise work, the segment sums and the optimiser are not
/// counted. <see cref="FlopsPerStep"/> prints the figure; divide it by the measured time per step.
/// </remarks>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 5, iterationCount: 15)]
public class RewardModelBenchmarks
{
    private const int ObservationSize = 6 * 7 * 9;
    private const int Actions = 4;
    private const int InputWidth = (2 * ObservationSize) + Actions;
    private const int Comparisons = 32;
    private const int SegmentLength = 25;
    private const int Rows = Comparisons * 2 * SegmentLength;
    private const int PerPass = 256 / (2 * SegmentLength);

    private readonly Graph _graph = new();
    private Sequential _net = null!;
    private Adam _optimizer = null!;
    private Tensor _input = null!;
    private Tensor _full = null!;
    private Tensor _rest = null!;
    private int[] _startsA = null!;
    private int[] _startsB = null!;
    private int[] _lengths = null!;
    private float[] _labels = null!;

    /// <summary>Gets or sets the width of both hidden layers.</summary>
    [Params(64, 256)]
    public int Hidden { get; set; } = 64;

    [GlobalSetup]
    public void Setup()
    {
        var rng = new Random(5);
        _net = Nets.Mlp(InputWidth, [Hidden, Hidden], 1, Activation.Relu, rng);
        _optimizer = Adam.W(_net.Parameters, 1e-3f, 0.01f);

        // One-hot-like inputs: each observation block has about one active feature in six, the action one-hot.
        _input = new Tensor(Rows, InputWidth);
        var x = _input.Span;
        for (var r = 0; r < Rows; r++)
        {
            for (var j = 0; j < 2 * ObservationSize; j++)
            {
                x[(r * InputWidth) + j] = rng.Next(6) == 0 ? 1f : 0f;
            }

            x[(r * InputWidth) + (2 * ObservationSize) + rng.Next(Actions)] = 1f;
        }

        // The pass inputs: PerPass comparisons, and the remainder (the same rows as the first ones of _input).
        _full = new Tensor(PerPass * 2 * SegmentLength, InputWidth);
        _full.CopyFrom(_input.Values[.._full.Length]);
        _rest = new Tensor(Comparisons % PerPass * 2 * SegmentLength, InputWidth);
        _rest.CopyFrom(_input.Values[.._rest.Length]);
        _startsA = [.. Enumerable.Range(0, Comparisons).Select(i => 2 * i * SegmentLength)];
        _startsB = [.. _startsA.Select(s => s + SegmentLength)];
        _lengths = [.. Enumerable.Repeat(SegmentLength, Comparisons)];
        _labels = [.. Enumerable.Range(0, Comparisons).Select(_ => rng.Next(2) == 0 ? 0f : 1f)];
        Console.WriteLine($"// RewardModel hidden {Hidden}: {FlopsPerStep(Hidden) / 1e6:F2} MFLOP per training step ({Rows} rows)");
    }

    [Benchmark(Description = "Reward model AdamW step, 32 comparisons x 2 x 25 steps (fwd+BT+bwd+update)")]
    public float TrainingStep()
    {
        _optimizer.ZeroGrad();
        var total = 0f;
        for (var first = 0; first < Comparisons; first += PerPass)
        {
            var n = Math.Min(PerPass, Comparisons - first);
            var input = n == PerPass ? _full : _rest;
            var g = _graph;
            g.Reset();
            var r = _net.Forward(g, g.Input(input));
            var a = _startsA.AsSpan(0, n);
            var b = _startsB.AsSpan(0, n);
            var loss = g.BradleyTerryLoss(g.SegmentSum(r, a, _lengths.AsSpan(0, n)), g.SegmentSum(r, b, _lengths.AsSpan(0, n)), _labels.AsSpan(first, n));
            g.Backward(g.Scale(loss, (float)n / Comparisons));
            total += loss.Value[0] * n;
        }

        _optimizer.Step();
        return total / Comparisons;
    }

    /// <summary>Network FLOPs of one step: 3× the forward pass less the first layer's input gradient.</summary>
    /// <param name="hidden">The hidden width.</param>
    /// <returns>The FLOP count.</returns>
    public static double FlopsPerStep(int hidden)
    {
        double first = 2.0 * InputWidth * hidden * Rows;
        var forward = first + (2.0 * hidden * hidden * Rows) + (2.0 * hidden * Rows);
        return (3 * forward) - first;
    }
}
