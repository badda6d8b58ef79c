namespace AlignLab.Nn.Tests;

public class OpGradientTests
{
    [Theory]
    [InlineData(3, 4, 5)]
    [InlineData(5, 17, 20)]
    [InlineData(6, 9, 64)]
    [InlineData(1, 3, 2)]
    public void MatMul(int m, int k, int n) =>
        GradCheck.Inputs((g, v) => g.MatMul(v[0], v[1]), TestData.Uniform(1, -1, 1, m, k), TestData.Uniform(2, -1, 1, k, n));

    [Theory]
    [InlineData(3, 4, 5)]
    [InlineData(5, 17, 20)]
    [InlineData(5, 9, 64)]
    [InlineData(1, 7, 3)]
    public void Linear(int batch, int inF, int outF) =>
        GradCheck.Inputs(
            (g, v) => g.Linear(v[0], v[1], v[2]),
            TestData.Uniform(1, -1, 1, batch, inF),
            TestData.Uniform(2, -1, 1, outF, inF),
            TestData.Uniform(3, -1, 1, outF));

    [Fact]
    public void LinearWithoutBias() =>
        GradCheck.Inputs((g, v) => g.Linear(v[0], v[1], null), TestData.Uniform(1, -1, 1, 4, 6), TestData.Uniform(2, -1, 1, 3, 6));

    [Theory]
    [InlineData(3, 2, 3, 4, 5, 4)]
    [InlineData(1, 2, 3, 3, 6, 5)]
    [InlineData(1, 2, 3, 5, 4, 4)]
    [InlineData(3, 7, 2, 3, 13, 13)] // 6 images per GEMM chunk: a full and a partial chunk
    public void Conv2d(int k, int batch, int c, int o, int h, int w) =>
        GradCheck.Inputs(
            (g, v) => g.Conv2d(v[0], v[1], v[2]),
            TestData.Uniform(1, -1, 1, batch, c, h, w),
            TestData.Uniform(2, -1, 1, o, c, k, k),
            TestData.Uniform(3, -1, 1, o));

    [Theory]
    [InlineData(3, 2, 2, 3, 4, 4)]
    [InlineData(3, 7, 2, 3, 13, 13)] // a full and a partial chunk
    public void Conv2dWithFusedRelu(int k, int batch, int c, int o, int h, int w)
    {
        // Finite differences need every pre-activation away from the kink: small weights (|Σ w·x| ≤ c·k²·0.02)
        // and biases at least 0.5 from zero, some positive (active units) and some negative (dead ones).
        var x = TestData.Uniform(1, -1, 1, batch, c, h, w);
        var weight = TestData.Uniform(2, -0.02f, 0.02f, o, c, k, k);
        var bias = TestData.AwayFromZero(3, 0.5f, o);
        Assert.True(c * k * k * 0.02f < 0.4f);
        Assert.Contains(bias.Values.ToArray(), b => b > 0);
        Assert.Contains(bias.Values.ToArray(), b => b < 0);
        GradCheck.Inputs((g, v) => g.Conv2d(v[0], v[1], v[2], relu: true), x, weight, bias);
    }

    [Fact]
    public void FusedConvReluEqualsConvThenReluBitForBit()
    {
        var x = TestData.Uniform(31, -1, 1, 7, 3, 13, 13);
        var weight = TestData.Uniform(32, -1, 1, 4, 3, 3, 3);
        var bias = TestData.Uniform(33, -1, 1, 4);
        var upstream = TestData.Uniform(34, -1, 1, 7, 4, 13, 13);
        (float[] Y, float[][] Grads) Run(bool fused)
        {
            var g = new Graph();
            var vs = new[] { g.Input(x, requiresGrad: true), g.Input(weight, requiresGrad: true), g.Input(bias, requiresGrad: true) };
            var y = fused ? g.Conv2d(vs[0], vs[1], vs[2], relu: true) : g.Relu(g.Conv2d(vs[0], vs[1], vs[2]));
            g.Backward(g.Sum(g.Mul(y, g.Input(upstream))));
            return (y.Value.Values.ToArray(), vs.Select(v => v.Grad!.Values.ToArray()).ToArray());
        }

        var (separateY, separateGrads) = Run(false);
        var (fusedY, fusedGrads) = Run(true);
        Assert.Contains(0f, fusedY);
        Assert.Equal(separateY, fusedY);
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(separateGrads[i], fusedGrads[i]);
        }
    }

    [Fact]
    public void Relu() => GradCheck.Inputs((g, v) => g.Relu(v[0]), TestData.AwayFromZero(4, 0.1f, 3, 7));

    [Fact]
    public void Tanh() => GradCheck.Inputs((g, v) => g.Tanh(v[0]), TestData.Uniform(5, -2, 2, 3, 7));

    [Fact]
    public void Exp() => GradCheck.Inputs((g, v) => g.Exp(v[0]), TestData.Uniform(6, -1, 1, 4, 5));

    [Fact]
    public void Add() => GradCheck.Inputs((g, v) => g.Add(v[0], v[1]), TestData.Uniform(7, -1, 1, 3, 5), TestData.Uniform(8, -1, 1, 3, 5));

    [Fact]
    public void Sub() => GradCheck.Inputs((g, v) => g.Sub(v[0], v[1]), TestData.Uniform(7, -1, 1, 3, 5), TestData.Uniform(8, -1, 1, 3, 5));

    [Fact]
    public void Mul() => GradCheck.Inputs((g, v) => g.Mul(v[0], v[1]), TestData.Uniform(7, -1, 1, 3, 5), TestData.Uniform(8, -1, 1, 3, 5));

    [Fact]
    public void Min()
    {
        var a = TestData.Uniform(9, -1, 1, 4, 6);
        var b = a.Clone();
        for (var i = 0; i < b.Length; i++)
        {
            b[i] += i % 2 == 0 ? 0.3f : -0.3f;
        }

        GradCheck.Inputs((g, v) => g.Min(v[0], v[1]), a, b);
    }

    [Fact]
    public void Max()
    {
        var a = TestData.Uniform(9, -1, 1, 4, 6);
        var b = a.Clone();
        for (var i = 0; i < b.Length; i++)
        {
            b[i] += i % 2 == 0 ? 0.3f : -0.3f;
        }

        GradCheck.Inputs((g, v) => g.Max(v[0], v[1]), a, b);
    }

    [Fact]
    public void MaxSendsTheGradientToTheFirstOperandOnTies()
    {
        var g = new Graph();
        var a = g.Input(new Tensor([1f, 2f, -0f, 0f, 3f], [5]), requiresGrad: true);
        var b = g.Input(new Tensor([1f, 5f, 0f, -0f, -3f], [5]), requiresGrad: true);
        var max = g.Max(a, b);
        g.Backward(g.Sum(g.Mul(max, g.Input(new Tensor([1f, 2f, 3f, 4f, 5f], [5])))));
        Assert.Equal([1f, 5f, 0f, 0f, 3f], max.Value.Values.ToArray());
        Assert.Equal([1f, 0f, 3f, 4f, 5f], a.Grad!.Values.ToArray());
        Assert.Equal([0f, 2f, 0f, 0f, 0f], b.Grad!.Values.ToArray());
    }

    [Fact]
    public void MaxEqualsNegatedMinOfNegationsBitForBit()
    {
        // PPO's clipped value loss used max(a, b) = −min(−a, −b) before Max existed; Max must give the same
        // values (signed zeros included) and route the gradient the same way on ties, so training is unchanged.
        var a = TestData.Uniform(35, -1, 1, 8, 9);
        var b = TestData.Uniform(36, -1, 1, 8, 9);
        for (var i = 0; i < a.Length; i += 3)
        {
            b[i] = a[i];
        }

        a[1] = 0f;
        b[1] = -0f;
        a[2] = -0f;
        b[2] = 0f;
        var upstream = TestData.Uniform(37, -1, 1, 8, 9);
        (float[] Y, float[] Da, float[] Db) Run(bool viaMin)
        {
            var g = new Graph();
            var va = g.Input(a, requiresGrad: true);
            var vb = g.Input(b, requiresGrad: true);
            var y = viaMin ? g.Scale(g.Min(g.Scale(va, -1f), g.Scale(vb, -1f)), -1f) : g.Max(va, vb);
            g.Backward(g.Sum(g.Mul(y, g.Input(upstream))));
            return (y.Value.Values.ToArray(), va.Grad!.Values.ToArray(), vb.Grad!.Values.ToArray());
        }

        var old = Run(viaMin: true);
        var max = Run(viaMin: false);
        Assert.Equal(Bits(old.Y), Bits(max.Y));
        Assert.Equal(Bits(old.Da), Bits(max.Da));
        Assert.Equal(Bits(old.Db), Bits(max.Db));
        Assert.Contains(max.Da, d => d != 0f);
        Assert.Contains(max.Db, d => d != 0f);

        static int[] Bits(float[] values) => [.. values.Select(BitConverter.SingleToInt32Bits)];
    }

    [Fact]
    public void Clamp()
    {
        // Values in ±[0.1, 1.1) clamped to [-0.5, 0.5], kept ≥ 0.05 away from the bounds.
        var x = TestData.AwayFromZero(10, 0.1f, 5, 6);
        for (var i = 0; i < x.Length; i++)
        {
            if (MathF.Abs(MathF.Abs(x[i]) - 0.5f) < 0.05f)
            {
                x[i] *= 1.3f;
            }
        }

        GradCheck.Inputs((g, v) => g.Clamp(v[0], -0.5f, 0.5f), x);
    }

    [Fact]
    public void Scale() => GradCheck.Inputs((g, v) => g.Scale(v[0], -2.5f), TestData.Uniform(11, -1, 1, 3, 4));

    [Fact]
    public void FlattenAndReshape() =>
        GradCheck.Inputs((g, v) => g.Reshape(g.Flatten(v[0]), [3, -1]), TestData.Uniform(12, -1, 1, 2, 3, 2, 2));

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(-1)]
    public void Concat(int axis)
    {
        var a = TestData.Uniform(13, -1, 1, 2, 3);
        var b = axis == 0 ? TestData.Uniform(14, -1, 1, 4, 3) : TestData.Uniform(14, -1, 1, 2, 5);
        GradCheck.Inputs((g, v) => g.Concat(v[0], v[1], axis), a, b);
    }

    [Fact]
    public void Softmax() => GradCheck.Inputs((g, v) => g.Softmax(v[0]), TestData.Uniform(15, -2, 2, 3, 5));

    [Fact]
    public void LogSoftmax() => GradCheck.Inputs((g, v) => g.LogSoftmax(v[0]), TestData.Uniform(16, -2, 2, 3, 5));

    [Fact]
    public void Sum() => GradCheck.Inputs((g, v) => g.Sum(v[0]), TestData.Uniform(17, -1, 1, 3, 4));

    [Fact]
    public void Mean() => GradCheck.Inputs((g, v) => g.Mean(v[0]), TestData.Uniform(18, -1, 1, 3, 4));

    [Fact]
    public void SumLastAxis() => GradCheck.Inputs((g, v) => g.SumLastAxis(v[0]), TestData.Uniform(19, -1, 1, 3, 4));

    [Fact]
    public void Gather() => GradCheck.Inputs((g, v) => g.Gather(v[0], [2, 0, 3]), TestData.Uniform(20, -1, 1, 3, 4));

    [Fact]
    public void MseLoss() =>
        GradCheck.Inputs((g, v) => g.MseLoss(v[0], v[1]), TestData.Uniform(21, -1, 1, 4, 3), TestData.Uniform(22, -1, 1, 4, 3));

    [Fact]
    public void HuberLoss()
    {
        // Differences in ±[0.1, 2.1): both the quadratic and the linear region, away from |d| = δ = 1.
        var pred = TestData.Uniform(23, -1, 1, 5, 4);
        var diff = TestData.AwayFromZero(24, 0.1f, 5, 4);
        var target = new Tensor(5, 4);
        for (var i = 0; i < diff.Length; i++)
        {
            var d = diff[i] * 2f;
            if (MathF.Abs(MathF.Abs(d) - 1f) < 0.05f)
            {
                d *= 1.2f;
            }

            target[i] = pred[i] - d;
        }

        GradCheck.Inputs((g, v) => g.HuberLoss(v[0], v[1], 1f), pred, target);
    }

    [Fact]
    public void CrossEntropy() => GradCheck.Inputs((g, v) => g.CrossEntropy(v[0], [1, 0, 4, 2]), TestData.Uniform(25, -2, 2, 4, 5));

    [Fact]
    public void Entropy() => GradCheck.Inputs((g, v) => g.Entropy(v[0]), TestData.Uniform(26, -2, 2, 4, 5));

    [Fact]
    public void PpoClippedObjective()
    {
        // -mean(min(r·A, clamp(r, 0.8, 1.2)·A)) with r = exp(logp - oldLogp), the PPO policy loss.
        var logits = TestData.Uniform(27, -1, 1, 4, 3);
        var old = TestData.Uniform(28, -1.6f, -0.6f, 4);
        var adv = TestData.AwayFromZero(29, 0.2f, 4);
        GradCheck.Inputs(
            (g, v) =>
            {
                var logp = g.Gather(g.LogSoftmax(v[0]), [0, 2, 1, 2]);
                var ratio = g.Exp(g.Sub(logp, g.Input(old)));
                var a = g.Input(adv);
                var surr = g.Min(g.Mul(ratio, a), g.Mul(g.Clamp(ratio, 0.8f, 1.2f), a));
                return g.Scale(g.Mean(surr), -1f);
            },
            logits);
    }
}
