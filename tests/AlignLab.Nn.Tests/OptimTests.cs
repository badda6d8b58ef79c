namespace AlignLab.Nn.Tests;

public class OptimTests
{
    [Fact]
    public void AdamMatchesTheReferenceFormula()
    {
        var p = new Parameter("w", 37);
        Init.Uniform(p.Value, -1, 1, new Random(1));
        var start = p.Value.Values.ToArray();
        var opt = new Adam([p], learningRate: 0.01f, beta1: 0.8f, beta2: 0.95f, eps: 1e-6f, weightDecay: 0.1f);
        var m = new double[37];
        var v = new double[37];
        var w = start.Select(x => (double)x).ToArray();
        var rng = new Random(2);
        for (var t = 1; t <= 3; t++)
        {
            for (var i = 0; i < 37; i++)
            {
                p.Grad[i] = (float)(rng.NextDouble() - 0.5);
            }

            for (var i = 0; i < 37; i++)
            {
                var g = p.Grad[i] + (0.1 * w[i]);
                m[i] = (0.8 * m[i]) + (0.2 * g);
                v[i] = (0.95 * v[i]) + (0.05 * g * g);
                var mh = m[i] / (1 - Math.Pow(0.8, t));
                var vh = v[i] / (1 - Math.Pow(0.95, t));
                w[i] -= 0.01 * mh / (Math.Sqrt(vh) + 1e-6);
            }

            opt.Step();
            for (var i = 0; i < 37; i++)
            {
                Assert.Equal(w[i], p.Value[i], 1e-5);
            }
        }

        Assert.Equal(3, opt.StepCount);
    }

    [Fact]
    public void SgdWithMomentumMatchesTheReferenceFormula()
    {
        var p = new Parameter("w", 3);
        p.Value.CopyFrom([1f, 2f, 3f]);
        var opt = new Sgd([p], 0.1f, momentum: 0.5f);
        p.Grad.CopyFrom([1f, 1f, 1f]);
        opt.Step();
        Assert.Equal([0.9f, 1.9f, 2.9f], p.Value.Values.ToArray());
        opt.Step();
        Assert.Equal(0.9f - (0.1f * 1.5f), p.Value[0], 1e-6f);
    }

    [Fact]
    public void ScheduleHookSetsTheLearningRate()
    {
        var p = new Parameter("w", 1);
        var opt = new Sgd([p], 1f) { Schedule = step => 1f / (step + 1) };
        p.Grad[0] = 1f;
        opt.Step();
        Assert.Equal(1f, opt.LastLearningRate);
        opt.Step();
        Assert.Equal(0.5f, opt.LastLearningRate);
        Assert.Equal(-1.5f, p.Value[0]);
    }

    [Fact]
    public void ClipGradNormScalesToTheLimit()
    {
        var a = new Parameter("a", 2);
        var b = new Parameter("b", 1);
        a.Grad.CopyFrom([3f, 0f]);
        b.Grad.CopyFrom([4f]);
        var norm = Optimizer.ClipGradNorm([a, b], 1f);
        Assert.Equal(5f, norm, 1e-6f);
        Assert.Equal(0.6f, a.Grad[0], 1e-5f);
        Assert.Equal(0.8f, b.Grad[0], 1e-5f);
        Assert.Equal(1f, Optimizer.ClipGradNorm([a, b], 10f), 1e-5f);
        Assert.Equal(0.6f, a.Grad[0], 1e-5f);
    }

    [Fact]
    public void ZeroGradClearsAndBackwardAccumulates()
    {
        var lin = new Linear(2, 1, new Random(1));
        var x = new Tensor([1f, 2f], [1, 2]);
        var g = new Graph();
        var opt = new Sgd(lin.Parameters, 0.1f);
        for (var i = 0; i < 2; i++)
        {
            g.Reset();
            g.Backward(g.Sum(lin.Forward(g, g.Input(x))));
        }

        Assert.Equal([2f, 4f], lin.Weight.Grad.Values.ToArray());
        opt.ZeroGrad();
        Assert.All(lin.Weight.Grad.Values.ToArray(), v => Assert.Equal(0f, v));
    }
}

public class InitTests
{
    [Theory]
    [InlineData(64, 75)]
    [InlineData(75, 64)]
    [InlineData(5, 64)]
    public void OrthogonalGivesOrthonormalRowsOrColumnsTimesGain(int rows, int cols)
    {
        var t = new Tensor(rows, cols);
        Init.Orthogonal(t, 2f, new Random(1));
        var small = Math.Min(rows, cols);
        for (var i = 0; i < small; i++)
        {
            for (var j = 0; j < small; j++)
            {
                double dot = 0;
                for (var k = 0; k < Math.Max(rows, cols); k++)
                {
                    dot += rows <= cols ? (double)t[i, k] * t[j, k] : (double)t[k, i] * t[k, j];
                }

                Assert.Equal(i == j ? 4.0 : 0.0, dot, 1e-4);
            }
        }
    }

    [Fact]
    public void KaimingHasTheRequestedStandardDeviation()
    {
        var u = new Tensor(256, 200);
        var n = new Tensor(256, 200);
        Init.KaimingUniform(u, MathF.Sqrt(2), new Random(1));
        Init.KaimingNormal(n, MathF.Sqrt(2), new Random(1));
        var expected = Math.Sqrt(2.0 / 200);
        foreach (var t in new[] { u, n })
        {
            var v = t.Values.ToArray();
            var mean = v.Average();
            var std = Math.Sqrt(v.Select(x => (x - mean) * (x - mean)).Average());
            Assert.Equal(expected, std, expected * 0.03);
            Assert.Equal(0, mean, 0.01);
        }
    }

    [Fact]
    public void SameSeedSameWeights()
    {
        var a = Nets.Cnn(4, 13, 13, [16], 3, [64], 5, Activation.Relu, new Random(9));
        var b = Nets.Cnn(4, 13, 13, [16], 3, [64], 5, Activation.Relu, new Random(9));
        for (var i = 0; i < a.Parameters.Count; i++)
        {
            Assert.Equal(a.Parameters[i].Value.Values.ToArray(), b.Parameters[i].Value.Values.ToArray());
        }
    }
}
