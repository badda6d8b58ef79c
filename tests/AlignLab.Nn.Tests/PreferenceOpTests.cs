namespace AlignLab.Nn.Tests;

/// <summary>The preference ops (SegmentSum, BradleyTerryLoss) and the AdamW optimiser.</summary>
public class PreferenceOpTests
{
    private static readonly float[] Labels = [1f, 0f, 0.5f, 0.8f, 0.1f];

    [Fact]
    public void SegmentSumGradientMatchesFiniteDifferences() =>
        GradCheck.Inputs((g, v) => g.SegmentSum(v[0], [0, 3, 2, 9], [3, 4, 1, 2]), TestData.Uniform(1, -1, 1, 11, 1));

    [Fact]
    public void SegmentSumAddsTheRanges()
    {
        var g = new Graph();
        var x = g.Input(new Tensor([1f, 2f, 3f, 4f, 5f], [5]));
        var y = g.SegmentSum(x, [0, 1, 4], [2, 3, 1]);
        Assert.Equal([3f, 9f, 5f], y.Value.Values.ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => g.SegmentSum(x, [3], [3]));
        Assert.Throws<ArgumentOutOfRangeException>(() => g.SegmentSum(x, [0], [0]));
    }

    [Fact]
    public void BradleyTerryGradientMatchesFiniteDifferences() =>
        GradCheck.Inputs((g, v) => g.BradleyTerryLoss(v[0], v[1], Labels), TestData.Uniform(2, -2, 2, 5), TestData.Uniform(3, -2, 2, 5));

    [Fact]
    public void BradleyTerryGradientThroughSegmentSumsMatchesFiniteDifferences() =>
        GradCheck.Inputs(
            (g, v) => g.BradleyTerryLoss(g.SegmentSum(v[0], [0, 2], [2, 3]), g.SegmentSum(v[0], [5, 7], [2, 2]), [1f, 0.25f]),
            TestData.Uniform(4, -1, 1, 9, 1));

    [Fact]
    public void BradleyTerryMatchesTheDefinitionAndStaysFiniteForLargeMargins()
    {
        var g = new Graph();
        var a = g.Input(new Tensor([0.3f, 200f, -200f], [3]), requiresGrad: true);
        var b = g.Input(new Tensor([-0.4f, 0f, 0f], [3]), requiresGrad: true);
        var loss = g.BradleyTerryLoss(a, b, [0.7f, 0f, 1f]);
        static double LogSigmoid(double z) => -Math.Log(1 + Math.Exp(-z));
        var d0 = 0.3 - -0.4;
        var expected = (-((0.7 * LogSigmoid(d0)) + (0.3 * LogSigmoid(-d0))) + 200 + 200) / 3;
        Assert.Equal(expected, loss.Value[0], 1e-4);
        g.Backward(loss);
        Assert.True(float.IsFinite(a.Grad![1]) && float.IsFinite(a.Grad[2]));
        Assert.Equal(1.0 / 3, a.Grad[1], 1e-6);
        Assert.Equal(-1.0 / 3, a.Grad[2], 1e-6);
        Assert.Equal(-1.0 / 3, b.Grad![1], 1e-6);
    }

    [Fact]
    public void BradleyTerryRejectsLabelsOutsideTheUnitInterval()
    {
        var g = new Graph();
        var a = g.Input(new Tensor([0f], [1]));
        Assert.Throws<ArgumentOutOfRangeException>(() => g.BradleyTerryLoss(a, a, [1.5f]));
        Assert.Throws<ArgumentException>(() => g.BradleyTerryLoss(a, a, [1f, 0f]));
    }

    [Fact]
    public void AdamWMatchesAHandComputedStep()
    {
        // One parameter element, lr 0.1, λ 0.5, β₁ 0.9, β₂ 0.99, ε 0, w = 2, g = 4:
        // decay: 2·(1 − 0.05) = 1.9; m = 0.4, v = 0.16, m̂ = 4, v̂ = 16, step = 0.1·4/4 = 0.1 → 1.8.
        var p = new Parameter("w", 1);
        p.Value[0] = 2f;
        p.Grad[0] = 4f;
        var opt = Adam.W([p], learningRate: 0.1f, weightDecay: 0.5f, beta1: 0.9f, beta2: 0.99f, eps: 0f);
        opt.Step();
        Assert.Equal(1.8f, p.Value[0], 1e-6f);

        // Second step with g = −2: decay 1.8·0.95 = 1.71; m = 0.9·0.4 − 0.2 = 0.16, v = 0.99·0.16 + 0.04 = 0.1984,
        // m̂ = 0.16/0.19, v̂ = 0.1984/0.0199; 1.71 − 0.1·m̂/√v̂.
        p.Grad[0] = -2f;
        opt.Step();
        var expected = 1.71 - (0.1 * (0.16 / 0.19) / Math.Sqrt(0.1984 / (1 - (0.99 * 0.99))));
        Assert.Equal(expected, p.Value[0], 1e-5);
    }

    [Fact]
    public void AdamWMatchesTheReferenceFormulaOnAVector()
    {
        // 37 elements exercise both the vector loop and the scalar tail.
        var p = new Parameter("w", 37);
        Init.Uniform(p.Value, -1, 1, new Random(1));
        var w = p.Value.Values.ToArray().Select(x => (double)x).ToArray();
        var opt = Adam.W([p], learningRate: 0.01f, weightDecay: 0.2f, beta1: 0.8f, beta2: 0.95f, eps: 1e-6f);
        var m = new double[37];
        var v = new double[37];
        var rng = new Random(2);
        for (var t = 1; t <= 3; t++)
        {
            for (var i = 0; i < 37; i++)
            {
                p.Grad[i] = (float)(rng.NextDouble() - 0.5);
                var g = (double)p.Grad[i];
                w[i] *= 1 - (0.01 * 0.2);
                m[i] = (0.8 * m[i]) + (0.2 * g);
                v[i] = (0.95 * v[i]) + (0.05 * g * g);
                w[i] -= 0.01 * (m[i] / (1 - Math.Pow(0.8, t))) / (Math.Sqrt(v[i] / (1 - Math.Pow(0.95, t))) + 1e-6);
            }

            opt.Step();
            for (var i = 0; i < 37; i++)
            {
                Assert.Equal(w[i], p.Value[i], 1e-5);
            }
        }
    }

    [Fact]
    public void AdamWWithZeroGradientOnlyDecays()
    {
        var p = new Parameter("w", 3);
        p.Value.CopyFrom([1f, -2f, 4f]);
        var opt = Adam.W([p], learningRate: 0.1f, weightDecay: 0.1f);
        opt.Step();
        Assert.Equal([0.99f, -1.98f, 3.96f], p.Value.Values.ToArray());
    }

    [Fact]
    public void PreferenceStepAllocatesNothingAfterWarmUp()
    {
        var net = Nets.Mlp(12, [16], 1, Activation.Relu, new Random(1));
        var opt = Adam.W(net.Parameters, 1e-3f);
        var x = TestData.Uniform(5, -1, 1, 20, 12);
        int[] startsA = [0, 5], startsB = [10, 15], lengths = [5, 5];
        float[] labels = [1f, 0f];
        var g = new Graph();
        void Step()
        {
            g.Reset();
            opt.ZeroGrad();
            var r = net.Forward(g, g.Input(x));
            var loss = g.BradleyTerryLoss(g.SegmentSum(r, startsA, lengths), g.SegmentSum(r, startsB, lengths), labels);
            g.Backward(loss);
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
}
