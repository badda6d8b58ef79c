namespace AlignLab.Nn;

/// <summary>Builders for the standard policy and value networks, initialised as in common PPO/DQN code.</summary>
public static class Nets
{
    /// <summary>
    /// Builds an MLP with layers named <c>fc1</c>, <c>act1</c>, …, <c>fcN</c>. Linear weights get orthogonal
    /// initialisation (gain √2 for ReLU and 5/3 for tanh hidden layers, <paramref name="outputGain"/> for the last)
    /// and zero biases.
    /// </summary>
    /// <param name="inputSize">Input features.</param>
    /// <param name="hidden">Hidden layer sizes, e.g. [64, 64].</param>
    /// <param name="outputSize">Output size.</param>
    /// <param name="activation">The hidden activation.</param>
    /// <param name="rng">The seeded generator.</param>
    /// <param name="outputGain">Orthogonal gain of the last layer.</param>
    /// <returns>The network.</returns>
    public static Sequential Mlp(int inputSize, ReadOnlySpan<int> hidden, int outputSize, Activation activation, Random rng, float outputGain = 1f)
    {
        var layers = new List<(string, Module)>();
        var fan = inputSize;
        var index = 1;
        foreach (var h in hidden)
        {
            layers.Add(($"fc{index}", OrthoLinear(fan, h, HiddenGain(activation), rng)));
            layers.Add(($"act{index}", MakeActivation(activation)));
            fan = h;
            index++;
        }

        layers.Add(($"fc{index}", OrthoLinear(fan, outputSize, outputGain, rng)));
        return new Sequential([inputSize], [.. layers]);
    }

    /// <summary>
    /// Builds a CNN for C×H×W grids: 3×3 (or <paramref name="kernelSize"/>) convolutions <c>conv1</c>…, each followed
    /// by an activation, then <c>flatten</c> and an MLP head <c>fc1</c>…. Orthogonal initialisation as in <see cref="Mlp"/>.
    /// </summary>
    /// <param name="channels">Input channels C.</param>
    /// <param name="height">Grid height H.</param>
    /// <param name="width">Grid width W.</param>
    /// <param name="convChannels">Output channels of each convolution.</param>
    /// <param name="kernelSize">Odd kernel size (1 or 3).</param>
    /// <param name="hidden">Hidden sizes of the head.</param>
    /// <param name="outputSize">Output size.</param>
    /// <param name="activation">The activation.</param>
    /// <param name="rng">The seeded generator.</param>
    /// <param name="outputGain">Orthogonal gain of the last layer.</param>
    /// <returns>The network.</returns>
    public static Sequential Cnn(
        int channels, int height, int width, ReadOnlySpan<int> convChannels, int kernelSize, ReadOnlySpan<int> hidden,
        int outputSize, Activation activation, Random rng, float outputGain = 1f)
    {
        var layers = new List<(string, Module)>();
        var c = channels;
        var index = 1;
        foreach (var oc in convChannels)
        {
            var conv = new Conv2d(c, oc, kernelSize, rng);
            Init.Orthogonal(conv.Weight.Value, HiddenGain(activation), rng);
            conv.Bias!.Value.Fill(0f);
            layers.Add(($"conv{index}", conv));
            layers.Add(($"cact{index}", MakeActivation(activation)));
            c = oc;
            index++;
        }

        layers.Add(("flatten", new Flatten()));
        var fan = c * height * width;
        index = 1;
        foreach (var h in hidden)
        {
            layers.Add(($"fc{index}", OrthoLinear(fan, h, HiddenGain(activation), rng)));
            layers.Add(($"act{index}", MakeActivation(activation)));
            fan = h;
            index++;
        }

        layers.Add(($"fc{index}", OrthoLinear(fan, outputSize, outputGain, rng)));
        return new Sequential([channels, height, width], [.. layers]);
    }

    private static float HiddenGain(Activation a) => a == Activation.Relu ? MathF.Sqrt(2f) : 5f / 3f;

    private static Module MakeActivation(Activation a) => a == Activation.Relu ? new Relu() : new Tanh();

    private static Linear OrthoLinear(int fanIn, int fanOut, float gain, Random rng)
    {
        var l = new Linear(fanIn, fanOut, rng);
        Init.Orthogonal(l.Weight.Value, gain, rng);
        l.Bias!.Value.Fill(0f);
        return l;
    }
}
