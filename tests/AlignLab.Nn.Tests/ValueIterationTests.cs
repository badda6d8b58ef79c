namespace AlignLab.Nn.Tests;

public class ValueIterationTests
{
    [Theory]
    [InlineData(2, 4, 3, 5)]
    [InlineData(3, 5, 4, 4)]
    [InlineData(1, 1, 2, 3)]
    public void MaxChannelsGradient(int batch, int channels, int h, int w)
    {
        // Channel values 0.3 apart at every cell (a random order per cell), so the ±1e-2 steps of the finite
        // differences never change which channel is the maximum.
        var x = new Tensor(batch, channels, h, w);
        var rng = new Random(7);
        var cells = h * w;
        for (var b = 0; b < batch; b++)
        {
            for (var i = 0; i < cells; i++)
            {
                var order = Enumerable.Range(0, channels).OrderBy(_ => rng.Next()).ToArray();
                for (var a = 0; a < channels; a++)
                {
                    x[(((b * channels) + a) * cells) + i] = (0.3f * order[a]) + (0.05f * (float)rng.NextDouble()) - 0.5f;
                }
            }
        }

        GradCheck.Inputs((g, v) => g.MaxChannels(v[0]), x);
    }

    [Fact]
    public void MaxChannelsTakesTheMaximumAndKeepsTheMapShape()
    {
        var g = new Graph();
        var x = new Tensor([1f, -2f, 5f, 0f, 3f, 4f], [1, 3, 1, 2]);
        var y = g.MaxChannels(g.Input(x));
        Assert.Equal([1, 1, 1, 2], y.Shape.ToArray());
        Assert.Equal([5f, 4f], y.Value.Values.ToArray());
    }

    [Theory]
    [InlineData(2, 4, 3, 3, 5, 1)]
    [InlineData(3, 5, 2, 4, 4, 0)]
    public void MaskedCellSumGradientOfBothOperands(int batch, int actions, int maskChannels, int h, int w, int channel) =>
        GradCheck.Inputs(
            (g, v) => g.MaskedCellSum(v[0], v[1], channel),
            TestData.Uniform(1, -1, 1, batch, actions, h, w),
            TestData.Uniform(2, -1, 1, batch, maskChannels, h, w));

    [Fact]
    public void MaskedCellSumWithAOneHotMaskReadsTheMarkedCell()
    {
        var q = TestData.Uniform(3, -1, 1, 2, 4, 3, 3);
        var mask = new Tensor(2, 2, 3, 3);
        mask[(((0 * 2) + 1) * 9) + 4] = 1f; // sample 0: cell (1,1) on channel 1
        mask[(((1 * 2) + 1) * 9) + 7] = 1f; // sample 1: cell (2,1)
        mask[(((1 * 2) + 0) * 9) + 0] = 1f; // channel 0 is ignored
        var g = new Graph();
        var y = g.MaskedCellSum(g.Input(q), g.Input(mask), 1);
        for (var a = 0; a < 4; a++)
        {
            Assert.Equal(q[(((0 * 4) + a) * 9) + 4], y.Value[(0 * 4) + a]);
            Assert.Equal(q[(((1 * 4) + a) * 9) + 7], y.Value[(1 * 4) + a]);
        }
    }

    [Fact]
    public void OpsRefuseBadShapes()
    {
        var g = new Graph();
        Assert.Throws<ArgumentException>(() => g.MaxChannels(g.Input(new Tensor(2, 3))));
        Assert.Throws<ArgumentException>(() => g.MaskedCellSum(g.Input(new Tensor(1, 4, 3, 3)), g.Input(new Tensor(1, 2, 3, 4)), 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => g.MaskedCellSum(g.Input(new Tensor(1, 4, 3, 3)), g.Input(new Tensor(1, 2, 3, 3)), 2));
    }

    /// <summary>
    /// The whole module (f_R, K = 3 steps of value iteration, the read at the agent's cell) against central
    /// differences. The maxima over actions have kinks, so the step is 1e-3 and the test first asserts that at
    /// every cell of every step the best action beats the second by more than 0.01, more than twice what a step moves Q.
    /// </summary>
    [Theory]
    [InlineData(false, Activation.Tanh, 192)] // seeds whose maxima are that far apart
    [InlineData(true, Activation.Tanh, 335)]
    public void WholeNetworkGradientMatchesFiniteDifferences(bool coordinates, Activation activation, int seed)
    {
        var (net, x) = SmallNetwork(coordinates, activation, seed);
        var weights = TestData.Uniform(5, -1, 1, 3, 4);
        Assert.True(SmallestMaxGap(net, x) > 0.01);
        var g = new Graph();
        foreach (var p in net.Parameters)
        {
            p.Grad.Fill(0f);
        }

        g.Backward(g.Sum(g.Mul(net.Forward(g, g.Input(x)), g.Input(weights))));
        var eval = new Graph();
        double Loss()
        {
            eval.Reset();
            var y = net.Forward(eval, eval.Input(x)).Value.Values;
            double s = 0;
            for (var i = 0; i < y.Length; i++)
            {
                s += (double)y[i] * weights[i];
            }

            return s;
        }

        const float step = 1e-3f;
        foreach (var p in net.Parameters)
        {
            for (var j = 0; j < p.Value.Length; j++)
            {
                var orig = p.Value[j];
                p.Value[j] = orig + step;
                var plus = Loss();
                p.Value[j] = orig - step;
                var minus = Loss();
                p.Value[j] = orig;
                var numeric = (plus - minus) / (2 * step);
                var analytic = p.Grad[j];
                Assert.True(Math.Abs(analytic - numeric) <= 2e-3 + (1e-2 * Math.Abs(numeric)), $"{p.Name}[{j}]: analytic {analytic:G6}, numeric {numeric:G6}");
            }
        }
    }

    /// <summary>The smallest difference between the best and the second-best action's Q over every cell and step of the planner.</summary>
    private static double SmallestMaxGap(ValueIterationNetwork net, Tensor x)
    {
        var g = new Graph();
        var rewards = net.RewardMap(g, g.Input(x));
        var qReward = g.Conv2d(rewards, g.Param(net.TransitionReward), null);
        var q = qReward;
        var smallest = double.PositiveInfinity;
        for (var k = 0; k <= net.Iterations; k++)
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

            if (k < net.Iterations)
            {
                q = g.Add(qReward, g.Conv2d(g.MaxChannels(q), g.Param(net.TransitionValue), null));
            }
        }

        return smallest;
    }

    [Theory]
    [InlineData(false, Activation.Relu)]
    [InlineData(true, Activation.Tanh)]
    public void InferenceEqualsTheTape(bool coordinates, Activation activation)
    {
        var (net, x) = SmallNetwork(coordinates, activation, seed: 12);
        var g = new Graph();
        var taped = net.Forward(g, g.Input(x)).Value.Values.ToArray();
        var seq = new Sequential([3, 4, 5], ("vin", net));
        var predicted = new float[3 * 4];
        seq.Predict(x.Values, 3, predicted);
        for (var i = 0; i < predicted.Length; i++)
        {
            Assert.Equal(taped[i], predicted[i], 1e-5);
        }

        var rewards = new float[3 * 20];
        net.RewardMap(x.Values, 3, rewards);
        var tapedRewards = net.RewardMap(g, g.Input(x)).Value.Values.ToArray();
        for (var i = 0; i < rewards.Length; i++)
        {
            Assert.Equal(tapedRewards[i], rewards[i], 1e-5);
        }
    }

    [Fact]
    public void SameSeedSameWeightsAndNamesFollowPyTorch()
    {
        var (a, _) = SmallNetwork(true, Activation.Relu, seed: 3);
        var (b, _) = SmallNetwork(true, Activation.Relu, seed: 3);
        Assert.Equal(a.Parameters.SelectMany(p => p.Value.Values.ToArray()), b.Parameters.SelectMany(p => p.Value.Values.ToArray()));
        var seq = new Sequential([3, 4, 5], ("vin", a));
        Assert.Equal(
            ["vin.reward1.weight", "vin.reward1.bias", "vin.reward_out.weight", "vin.reward_out.bias", "vin.q_reward", "vin.q_value"],
            seq.Parameters.Select(p => p.Name));
        var fresh = new ValueIterationNetwork(3, 4, 5, 2, 4, [3], 3, false, Activation.Relu, new Random(3));
        Assert.All(fresh.TransitionValue.Value.Values.ToArray(), w => Assert.Equal(0f, w));
    }

    /// <summary>A VIN on 3 one-hot channels of a 4×5 map (agent channel 2), 4 actions, K = 3, with w_V drawn (not zero) so every path carries a gradient.</summary>
    private static (ValueIterationNetwork Net, Tensor X) SmallNetwork(bool coordinates, Activation activation, int seed)
    {
        var rng = new Random(seed);
        var net = new ValueIterationNetwork(3, 4, 5, 2, 4, [3], 3, coordinates, activation, rng);
        Init.Uniform(net.TransitionValue.Value, -0.4f, 0.4f, rng);
        var x = new Tensor(3, 3, 4, 5);
        for (var b = 0; b < 3; b++)
        {
            for (var cell = 0; cell < 20; cell++)
            {
                x[(((b * 3) + (cell == 3 + (5 * b) ? 2 : rng.Next(2))) * 20) + cell] = 1f;
            }
        }

        return (net, x);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void InferenceAndTrainingStepsAllocateNothingAfterWarmUp(bool coordinates)
    {
        var (net, x) = SmallNetwork(coordinates, Activation.Relu, seed: 21);
        var seq = new Sequential([3, 4, 5], ("vin", net));
        var y = new float[3 * 4];
        var g = new Graph();
        void Step()
        {
            seq.Predict(x.Values, 3, y);
            g.Reset();
            g.Backward(g.Sum(seq.Forward(g, g.Input(x))));
        }

        Step();

        // The fewest bytes over five windows of 20 steps: an allocation per step shows in every window, the
        // runtime's one-off work on this thread in one.
        var fewest = long.MaxValue;
        for (var window = 0; window < 5; window++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < 20; i++)
            {
                Step();
            }

            fewest = Math.Min(fewest, GC.GetAllocatedBytesForCurrentThread() - before);
        }

        Assert.Equal(0, fewest);
    }
}
