namespace AlignLab.Nn.Tests;

/// <summary>
/// The fused planner (<see cref="Graph.ValueIterationSteps"/>) against the unfused ops it replaces, against
/// central differences, and on one thread against several.
/// </summary>
public class ValueIterationStepsTests
{
    /// <summary>
    /// Values and all three gradients equal those of Conv2d, MaxChannels and Add recorded step by step, to float
    /// rounding. Batches of 1, 5 and 19 fill a block of lanes partly, and 37 spans three blocks; with 17 actions
    /// (more than a vector's lanes) the backward pass takes its dense path; with constant kernels (the moves kernel's
    /// case) it skips w_V's gradient.
    /// </summary>
    [Theory]
    [InlineData(1, 3, 4, 4, 1, true)]
    [InlineData(5, 7, 7, 4, 20, true)]
    [InlineData(5, 7, 7, 4, 20, false)]
    [InlineData(37, 5, 6, 5, 6, true)]
    [InlineData(3, 1, 1, 2, 3, true)]
    [InlineData(2, 3, 3, 17, 3, true)]
    [InlineData(2, 3, 3, 17, 3, false)]
    public void FusedStepsEqualTheUnfusedOps(int batch, int h, int w, int actions, int iterations, bool learnedKernels)
    {
        var rewards = TestData.Uniform(1, -1, 1, batch, 1, h, w);
        var wr = TestData.Uniform(2, -0.5f, 0.5f, actions, 1, 3, 3);
        var wv = TestData.Uniform(3, -0.3f, 0.3f, actions, 1, 3, 3);
        var weights = TestData.Uniform(4, -1, 1, batch, actions, h, w);
        var (fused, fusedGrads) = Run((g, r, a, b) => g.ValueIterationSteps(r, a, b, iterations), rewards, wr, wv, weights, learnedKernels);
        var (reference, referenceGrads) = Run((g, r, a, b) => Unfused(g, r, a, b, iterations), rewards, wr, wv, weights, learnedKernels);
        for (var i = 0; i < reference.Length; i++)
        {
            Assert.Equal(reference[i], fused[i], 1e-5 * (1 + Math.Abs(reference[i])));
        }

        Assert.Equal(learnedKernels ? 3 : 1, fusedGrads.Count(grad => grad.Length > 0));
        for (var k = 0; k < 3; k++)
        {
            for (var i = 0; i < referenceGrads[k].Length; i++)
            {
                Assert.Equal(referenceGrads[k][i], fusedGrads[k][i], 1e-4 * (1 + Math.Abs(referenceGrads[k][i])));
            }
        }
    }

    /// <summary>
    /// d(Σ w·Q_K)/d rewards, w_R and w_V against central differences (step 1e-3). The maxima have kinks, so the
    /// test uses the first seed at which the best action beats the second by more than 0.01 at every cell of every
    /// step (a step moves Q by far less), and asserts that one exists.
    /// </summary>
    [Fact]
    public void GradientMatchesFiniteDifferences()
    {
        const int batch = 3, h = 3, w = 4, actions = 4, iterations = 3;
        var seed = Enumerable.Range(1, 500).FirstOrDefault(s => SmallestGap(Inputs(s, batch, h, w, actions), iterations) > 0.01);
        Assert.NotEqual(0, seed);
        var inputs = Inputs(seed, batch, h, w, actions);
        var weights = TestData.Uniform(99, -1, 1, batch, actions, h, w);
        var (_, analytic) = Run((g, r, a, b) => g.ValueIterationSteps(r, a, b, iterations), inputs[0], inputs[1], inputs[2], weights);
        var eval = new Graph();
        double Loss()
        {
            eval.Reset();
            var y = eval.ValueIterationSteps(eval.Input(inputs[0]), eval.Input(inputs[1]), eval.Input(inputs[2]), iterations).Value.Values;
            double s = 0;
            for (var i = 0; i < y.Length; i++)
            {
                s += (double)y[i] * weights[i];
            }

            return s;
        }

        const float step = 1e-3f;
        for (var k = 0; k < 3; k++)
        {
            for (var j = 0; j < inputs[k].Length; j++)
            {
                var orig = inputs[k][j];
                inputs[k][j] = orig + step;
                var plus = Loss();
                inputs[k][j] = orig - step;
                var minus = Loss();
                inputs[k][j] = orig;
                var numeric = (plus - minus) / (2 * step);
                Assert.True(Math.Abs(analytic[k][j] - numeric) <= 2e-3 + (1e-2 * Math.Abs(numeric)), $"input {k} element {j}: analytic {analytic[k][j]:G6}, numeric {numeric:G6}");
            }
        }
    }

    [Fact]
    public void FixedKernelsGetNoGradientAndTheRewardsStillDo()
    {
        var rewards = TestData.Uniform(5, -1, 1, 2, 1, 3, 3);
        var g = new Graph();
        var r = g.Input(rewards, requiresGrad: true);
        var q = g.ValueIterationSteps(r, g.Input(TestData.Uniform(6, -1, 1, 4, 1, 3, 3)), g.Input(TestData.Uniform(7, -1, 1, 4, 1, 3, 3)), 2);
        Assert.True(q.RequiresGradient);
        g.Backward(g.Sum(q));
        Assert.Contains(r.Grad!.Values.ToArray(), v => v != 0f);

        var constant = g.ValueIterationSteps(g.Input(rewards), g.Input(TestData.Uniform(6, -1, 1, 4, 1, 3, 3)), g.Input(TestData.Uniform(7, -1, 1, 4, 1, 3, 3)), 2);
        Assert.False(constant.RequiresGradient);
    }

    [Fact]
    public void RefusesBadShapes()
    {
        var g = new Graph();
        var k = g.Input(new Tensor(4, 1, 3, 3));
        Assert.Throws<ArgumentException>(() => g.ValueIterationSteps(g.Input(new Tensor(2, 2, 3, 3)), k, k, 1));
        Assert.Throws<ArgumentException>(() => g.ValueIterationSteps(g.Input(new Tensor(2, 1, 3, 3)), k, g.Input(new Tensor(3, 1, 3, 3)), 1));
        Assert.Throws<ArgumentException>(() => g.ValueIterationSteps(g.Input(new Tensor(2, 1, 3, 3)), g.Input(new Tensor(4, 1, 1, 1)), g.Input(new Tensor(4, 1, 1, 1)), 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => g.ValueIterationSteps(g.Input(new Tensor(2, 1, 3, 3)), k, k, 0));
    }

    /// <summary>
    /// Runs <paramref name="build"/> and returns Q and the gradients of Σ weights·Q with respect to the rewards, w_R
    /// and w_V (empty for a kernel that is a constant, when not <paramref name="learnedKernels"/>).
    /// </summary>
    internal static (float[] Values, float[][] Grads) Run(Func<Graph, Var, Var, Var, Var> build, Tensor rewards, Tensor wr, Tensor wv, Tensor weights, bool learnedKernels = true)
    {
        var g = new Graph();
        var inputs = new[] { g.Input(rewards, requiresGrad: true), g.Input(wr, requiresGrad: learnedKernels), g.Input(wv, requiresGrad: learnedKernels) };
        var y = build(g, inputs[0], inputs[1], inputs[2]);
        g.Backward(g.Sum(g.Mul(y, g.Input(weights))));
        return (y.Value.Values.ToArray(), [.. inputs.Select(v => v.Grad?.Values.ToArray() ?? [])]);
    }

    /// <summary>The planning loop as ValueIterationNetwork recorded it before the fused op: one node per convolution, maximum and sum.</summary>
    private static Var Unfused(Graph g, Var rewards, Var wr, Var wv, int iterations)
    {
        var qReward = g.Conv2d(rewards, wr, null);
        var q = qReward;
        for (var k = 0; k < iterations; k++)
        {
            q = g.Add(qReward, g.Conv2d(g.MaxChannels(q), wv, null));
        }

        return q;
    }

    private static Tensor[] Inputs(int seed, int batch, int h, int w, int actions) =>
    [
        TestData.Uniform(seed, -1, 1, batch, 1, h, w),
        TestData.Uniform(seed + 1000, -1, 1, actions, 1, 3, 3),
        TestData.Uniform(seed + 2000, -0.4f, 0.4f, actions, 1, 3, 3),
    ];

    /// <summary>The smallest difference between the best and second-best action's Q over every cell of every step.</summary>
    private static double SmallestGap(Tensor[] inputs, int iterations)
    {
        var g = new Graph();
        var qReward = g.Conv2d(g.Input(inputs[0]), g.Input(inputs[1]), null);
        var q = qReward;
        var smallest = double.PositiveInfinity;
        for (var k = 0; k <= iterations; k++)
        {
            var values = q.Value.Values.ToArray();
            int batch = q.Shape[0], actions = q.Shape[1], cells = q.Shape[2] * q.Shape[3];
            for (var b = 0; b < batch; b++)
            {
                for (var i = 0; i < cells; i++)
                {
                    var sorted = Enumerable.Range(0, actions).Select(a => values[(((b * actions) + a) * cells) + i]).OrderDescending().ToArray();
                    smallest = Math.Min(smallest, sorted[0] - sorted[1]);
                }
            }

            if (k < iterations)
            {
                q = g.Add(qReward, g.Conv2d(g.MaxChannels(q), g.Input(inputs[2]), null));
            }
        }

        return smallest;
    }
}

/// <summary>The tests that set the worker pool's thread count run alone, so that one thread really is one.</summary>
[CollectionDefinition(nameof(WorkerPoolAlone), DisableParallelization = true)]
public sealed class WorkerPoolAlone;

/// <summary>The fused planner gives the same bits on one thread and on several.</summary>
[Collection(nameof(WorkerPoolAlone))]
public sealed class ValueIterationStepsThreadTests : IDisposable
{
    private readonly int _threads = WorkerPool.Threads;

    public void Dispose() => WorkerPool.SetThreads(_threads);

    [Fact]
    public void SameBitsOnOneThreadAndOnSeveral()
    {
        // 43 samples: three blocks of 16 lanes (six of 8), the last one part full.
        var rewards = TestData.Uniform(11, -1, 1, 43, 1, 6, 5);
        var wr = TestData.Uniform(12, -0.5f, 0.5f, 4, 1, 3, 3);
        var wv = TestData.Uniform(13, -0.3f, 0.3f, 4, 1, 3, 3);
        var weights = TestData.Uniform(14, -1, 1, 43, 4, 6, 5);
        (float[], float[][]) Once(int threads)
        {
            WorkerPool.SetThreads(threads);
            return ValueIterationStepsTests.Run((g, r, a, b) => g.ValueIterationSteps(r, a, b, 12), rewards, wr, wv, weights);
        }

        var (y1, g1) = Once(1);
        var before = WorkerPool.Dispatches;
        var (y3, g3) = Once(3);
        Assert.True(WorkerPool.Dispatches > before, "no pass ran on several threads");
        Assert.Equal(y1.Select(BitConverter.SingleToInt32Bits), y3.Select(BitConverter.SingleToInt32Bits));
        for (var k = 0; k < 3; k++)
        {
            Assert.Equal(g1[k].Select(BitConverter.SingleToInt32Bits), g3[k].Select(BitConverter.SingleToInt32Bits));
        }
    }
}
