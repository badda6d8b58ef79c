namespace AlignLab.Nn.Tests;

public class AllocationTests
{
    [Fact]
    public void AdamTrainingStepAllocatesNothingAfterWarmUp()
    {
        var rng = new Random(1);
        var net = Nets.Mlp(75, [64, 64], 5, Activation.Relu, rng);
        var x = TestData.Uniform(2, -1, 1, 256, 75);
        var labels = Enumerable.Range(0, 256).Select(i => i % 5).ToArray();
        var opt = new Adam(net.Parameters, 1e-3f);
        var g = new Graph();
        void Step()
        {
            g.Reset();
            opt.ZeroGrad();
            var loss = g.CrossEntropy(net.Forward(g, g.Input(x)), labels);
            g.Backward(loss);
            Optimizer.ClipGradNorm(opt.Parameters, 0.5f);
            opt.Step();
        }

        for (var i = 0; i < 3; i++)
        {
            Step();
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 10; i++)
        {
            Step();
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void PpoStyleLossAndCnnStepAllocateNothingAfterWarmUp()
    {
        var net = Nets.Cnn(4, 7, 7, [8, 8], 3, [32], 4, Activation.Relu, new Random(1));
        var x = TestData.Uniform(2, 0, 1, 16, 4, 7, 7);
        var old = TestData.Uniform(3, -2, -1, 16);
        var adv = TestData.Uniform(4, -1, 1, 16);
        var actions = Enumerable.Range(0, 16).Select(i => i % 4).ToArray();
        var opt = new Adam(net.Parameters, 1e-3f);
        var g = new Graph();
        void Step()
        {
            g.Reset();
            opt.ZeroGrad();
            var logits = net.Forward(g, g.Input(x));
            var ratio = g.Exp(g.Sub(g.Gather(g.LogSoftmax(logits), actions), g.Input(old)));
            var a = g.Input(adv);
            var pg = g.Scale(g.Mean(g.Min(g.Mul(ratio, a), g.Mul(g.Clamp(ratio, 0.8f, 1.2f), a))), -1f);
            var loss = g.Add(pg, g.Scale(g.Entropy(logits), -0.01f));
            g.Backward(loss);
            opt.Step();
        }

        for (var i = 0; i < 3; i++)
        {
            Step();
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 5; i++)
        {
            Step();
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void BatchOnePredictAllocatesNothing()
    {
        var net = Nets.Mlp(75, [64, 64], 5, Activation.Tanh, new Random(1));
        var obs = new float[75];
        var y = new float[5];
        net.Predict(obs, y);

        // The fewest bytes over five windows of 100 calls: an allocation per call shows in every window, while the
        // runtime's one-off work on this thread (tiered compilation installing faster code, under load) shows in one.
        var fewest = long.MaxValue;
        for (var window = 0; window < 5; window++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < 100; i++)
            {
                obs[i % 75] = i;
                net.Predict(obs, y);
            }

            fewest = Math.Min(fewest, GC.GetAllocatedBytesForCurrentThread() - before);
        }

        Assert.Equal(0, fewest);
    }
}
