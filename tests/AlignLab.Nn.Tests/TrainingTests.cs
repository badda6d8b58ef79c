namespace AlignLab.Nn.Tests;

public class TrainingTests
{
    private const int PerClass = 100;
    private const int Classes = 3;

    [Fact]
    public void SpiralIsLearnedByA64x64Mlp()
    {
        var (net, accuracy) = TrainSpiral(seed: 42, steps: 400);
        Assert.True(accuracy >= 0.97, $"Training accuracy {accuracy:P1} is below 97%.");
        Assert.Equal(6, net.Parameters.Count);
    }

    [Fact]
    public void SameSeedGivesBitIdenticalWeights()
    {
        var (a, _) = TrainSpiral(seed: 7, steps: 60);
        var (b, _) = TrainSpiral(seed: 7, steps: 60);
        var (c, _) = TrainSpiral(seed: 8, steps: 60);
        for (var i = 0; i < a.Parameters.Count; i++)
        {
            var wa = a.Parameters[i].Value.Values.ToArray().Select(BitConverter.SingleToInt32Bits);
            var wb = b.Parameters[i].Value.Values.ToArray().Select(BitConverter.SingleToInt32Bits);
            Assert.Equal(wa, wb);
        }

        Assert.NotEqual(a.Parameters[0].Value.Values.ToArray(), c.Parameters[0].Value.Values.ToArray());
    }

    [Fact]
    public void XorIsLearnedWithSgdAndMomentum()
    {
        var rng = new Random(3);
        var net = Nets.Mlp(2, [16], 2, Activation.Tanh, rng);
        var x = new Tensor([0f, 0f, 0f, 1f, 1f, 0f, 1f, 1f], [4, 2]);
        int[] y = [0, 1, 1, 0];
        var opt = new Sgd(net.Parameters, 0.1f, momentum: 0.9f);
        var g = new Graph();
        for (var step = 0; step < 300; step++)
        {
            g.Reset();
            opt.ZeroGrad();
            var loss = g.CrossEntropy(net.Forward(g, g.Input(x)), y);
            g.Backward(loss);
            opt.Step();
        }

        var logits = new float[8];
        net.Predict(x.Values, 4, logits);
        for (var i = 0; i < 4; i++)
        {
            Assert.Equal(y[i], logits[(2 * i) + 1] > logits[2 * i] ? 1 : 0);
        }
    }

    internal static (Tensor X, int[] Y) Spiral(Random rng)
    {
        var x = new Tensor(PerClass * Classes, 2);
        var y = new int[PerClass * Classes];
        for (var c = 0; c < Classes; c++)
        {
            for (var i = 0; i < PerClass; i++)
            {
                var r = (double)i / PerClass;
                var t = (c * 4.0) + (4.0 * r) + (rng.NextDouble() * 0.2);
                var n = (c * PerClass) + i;
                x[n, 0] = (float)(r * Math.Sin(t));
                x[n, 1] = (float)(r * Math.Cos(t));
                y[n] = c;
            }
        }

        return (x, y);
    }

    private static (Sequential Net, double Accuracy) TrainSpiral(int seed, int steps)
    {
        var rng = new Random(seed);
        var (x, y) = Spiral(rng);
        var net = Nets.Mlp(2, [64, 64], Classes, Activation.Relu, rng);
        var opt = new Adam(net.Parameters, 1e-2f);
        var g = new Graph();
        for (var step = 0; step < steps; step++)
        {
            g.Reset();
            opt.ZeroGrad();
            var loss = g.CrossEntropy(net.Forward(g, g.Input(x)), y);
            g.Backward(loss);
            Optimizer.ClipGradNorm(net.Parameters, 5f);
            opt.Step();
        }

        var logits = new float[x.Dim(0) * Classes];
        net.Predict(x.Values, x.Dim(0), logits);
        var correct = 0;
        for (var n = 0; n < y.Length; n++)
        {
            var row = logits.AsSpan(n * Classes, Classes);
            var best = 0;
            for (var c = 1; c < Classes; c++)
            {
                if (row[c] > row[best])
                {
                    best = c;
                }
            }

            correct += best == y[n] ? 1 : 0;
        }

        return (net, (double)correct / y.Length);
    }
}
