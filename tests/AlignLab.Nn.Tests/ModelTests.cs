namespace AlignLab.Nn.Tests;

public class ModelTests
{
    [Fact]
    public void MlpGradientMatchesFiniteDifferences()
    {
        var net = Nets.Mlp(5, [8, 8], 3, Activation.Tanh, new Random(1));
        var x = TestData.Uniform(2, -1, 1, 4, 5);
        int[] labels = [0, 2, 1, 2];
        GradCheck.Parameters(g => g.CrossEntropy(net.Forward(g, g.Input(x)), labels), net.Parameters);
    }

    [Fact]
    public void CnnGradientMatchesFiniteDifferences()
    {
        var net = Nets.Cnn(2, 5, 4, [3, 2], 3, [6], 3, Activation.Tanh, new Random(3));
        var x = TestData.Uniform(4, -1, 1, 2, 2, 5, 4);
        int[] labels = [1, 2];
        GradCheck.Parameters(g => g.CrossEntropy(net.Forward(g, g.Input(x)), labels), net.Parameters);
    }

    [Fact]
    public void CnnWithPointwiseConvInputGradient()
    {
        var rng = new Random(5);
        var conv3 = new Conv2d(2, 3, 3, rng);
        var conv1 = new Conv2d(3, 2, 1, rng);
        var x = TestData.Uniform(6, -1, 1, 2, 2, 4, 4);
        GradCheck.Inputs((g, v) => conv1.Forward(g, g.Tanh(conv3.Forward(g, v[0]))), x);
    }

    [Fact]
    public void ParameterNamesFollowPyTorchConventions()
    {
        var mlp = Nets.Mlp(75, [64, 64], 5, Activation.Relu, new Random(1));
        Assert.Equal(["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias", "fc3.weight", "fc3.bias"], mlp.Parameters.Select(p => p.Name));
        Assert.Equal([64, 75], mlp.Parameters[0].Shape.ToArray());
        var cnn = Nets.Cnn(4, 13, 13, [16, 32], 3, [64], 5, Activation.Relu, new Random(1));
        Assert.Equal(["conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias", "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"], cnn.Parameters.Select(p => p.Name));
        Assert.Equal([16, 4, 3, 3], cnn.Parameters[0].Shape.ToArray());
    }

    [Fact]
    public void PredictMatchesGraphForward()
    {
        foreach (var net in new[]
        {
            Nets.Mlp(75, [64, 64], 5, Activation.Relu, new Random(1)),
            Nets.Mlp(7, [33], 2, Activation.Tanh, new Random(2)),
            Nets.Cnn(4, 13, 13, [16, 32, 32], 3, [], 5, Activation.Relu, new Random(3)),
        })
        {
            foreach (var batch in new[] { 1, 3, 64 })
            {
                var shape = new[] { batch }.Concat(net.InputShape).ToArray();
                var x = TestData.Uniform(batch, -1, 1, shape);
                var g = new Graph();
                var expected = net.Forward(g, g.Input(x)).Value.Values.ToArray();
                var actual = new float[batch * net.OutputSize];
                net.Predict(x.Values, batch, actual);
                Assert.Equal(expected, actual);
            }
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(5)]
    public void PredictInTwoPartsEqualsPredictInOne(int split)
    {
        // The first `split` layers, then the rest from their output, bit for bit (a split between a convolution
        // and its ReLU must still apply the ReLU).
        var net = Nets.Cnn(4, 7, 7, [8, 8], 3, [16], 5, Activation.Relu, new Random(4));
        const int batch = 9;
        var x = TestData.Uniform(batch, -1, 1, [batch, 4, 7, 7]);
        var whole = new float[batch * net.OutputSize];
        net.Predict(x.Values, batch, whole);
        var middle = new float[batch * net.SizeAfter(split)];
        net.Predict(x.Values, batch, middle, 0, split);
        var parts = new float[batch * net.OutputSize];
        net.Predict(middle, batch, parts, split, net.Layers.Count - split);
        Assert.Equal(whole, parts);
        Assert.Equal(4 * 7 * 7, net.SizeAfter(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => net.Predict(x.Values, batch, parts, 0, net.Layers.Count + 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => net.SizeAfter(net.Layers.Count + 1));
    }

    [Fact]
    public void PredictSeesWeightChangesThroughSpan()
    {
        var net = Nets.Mlp(3, [4], 2, Activation.Relu, new Random(1));
        var y1 = new float[2];
        net.Predict([0.5f, -0.2f, 0.1f], y1);
        net.Parameters[^1].Value.Span[0] += 1f;
        var y2 = new float[2];
        net.Predict([0.5f, -0.2f, 0.1f], y2);
        Assert.Equal(y1[0] + 1f, y2[0], 1e-6f);
        Assert.Equal(y1[1], y2[1]);
    }

    [Fact]
    public void ShapeMismatchesGiveClearErrors()
    {
        var g = new Graph();
        var x = g.Input(new Tensor(4, 7));
        var w = g.Input(new Tensor(5, 6));
        var ex = Assert.Throws<ArgumentException>(() => g.Linear(x, w, null));
        Assert.Contains("[4,7]", ex.Message, StringComparison.Ordinal);
        Assert.Contains("[5,6]", ex.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => g.Add(x, g.Input(new Tensor(7, 4))));
        Assert.Throws<ArgumentException>(() => g.MatMul(x, g.Input(new Tensor(6, 2))));
        Assert.Throws<ArgumentException>(() => g.Conv2d(g.Input(new Tensor(1, 3, 5, 5)), g.Input(new Tensor(2, 4, 3, 3)), null));
        Assert.Throws<ArgumentOutOfRangeException>(() => g.CrossEntropy(x, [0, 1, 2, 7]));
        Assert.Throws<ArgumentException>(() => new Tensor([1f, 2f, 3f], [2, 2]));
        Assert.Throws<ArgumentException>(() => g.Backward(x));
        var net = Nets.Mlp(3, [4], 2, Activation.Relu, new Random(1));
        Assert.Throws<ArgumentException>(() => net.Predict(new float[4], new float[2]));
    }

    [Fact]
    public void StaleVarFromEarlierStepIsRejected()
    {
        var g = new Graph();
        var a = g.Input(new Tensor(2));
        g.Input(new Tensor(2));
        var b = g.Input(new Tensor(2));
        g.Reset();
        g.Input(new Tensor(2));
        Assert.Throws<ArgumentException>(() => g.Add(a, b));
    }
}
