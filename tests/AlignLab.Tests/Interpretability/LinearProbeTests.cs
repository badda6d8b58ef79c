using AlignLab.Errors;
using AlignLab.Interpretability;
using AlignLab.Nn;
using AlignLab.Randomness;

namespace AlignLab.Tests.Interpretability;

/// <summary>Linear probes on synthetic networks whose features are known.</summary>
public sealed class LinearProbeTests
{
    private const int Inputs = 12;
    private const int Count = 800;

    /// <summary>
    /// A one-hidden-layer tanh network whose unit 0 computes a planted direction u·x; the label is whether u·x &gt; 0.
    /// Every other unit is random, and the input holds no other trace of the label beyond that direction.
    /// </summary>
    private static (Sequential Network, float[] Inputs, int[] Labels) Planted(ulong seed)
    {
        var network = Nets.Mlp(Inputs, [16], 2, Activation.Tanh, new Random(7));
        var rng = new Rng(seed);
        var direction = new float[Inputs];
        for (var j = 0; j < Inputs; j++)
        {
            direction[j] = (float)rng.NextGaussian();
        }

        var state = network.StateDict();
        var weight = state["fc1.weight"];
        direction.AsSpan().CopyTo(weight.Span);
        network.LoadStateDict(state);
        var x = new float[Count * Inputs];
        var labels = new int[Count];
        for (var i = 0; i < Count; i++)
        {
            double dot = 0;
            for (var j = 0; j < Inputs; j++)
            {
                x[(i * Inputs) + j] = (float)rng.NextGaussian();
                dot += x[(i * Inputs) + j] * direction[j];
            }

            labels[i] = dot > 0 ? 1 : 0;
        }

        return (network, x, labels);
    }

    [Theory]
    [InlineData(ProbeKind.Logistic)]
    [InlineData(ProbeKind.Ridge)]
    public void A_probe_recovers_a_feature_planted_in_a_network_and_its_control_stays_near_chance(ProbeKind kind)
    {
        var (network, x, labels) = Planted(3);
        var hidden = Activations.Record(network, x, Count, Activations.Resolve(network, "act1"));
        var report = LinearProbe.FitWithControl(hidden.Values, Count, labels, new ProbeOptions { Kind = kind, Seed = 5 });

        Assert.True(report.Probe.Accuracy.Mean >= 0.95, $"probe {report.Probe.Accuracy}");
        Assert.InRange(report.Control.Accuracy.Mean, 0.35, 0.65);
        Assert.Equal(200, report.Probe.Accuracy.N);
        Assert.Equal(600, report.Probe.Train);
        Assert.Equal(2, report.Probe.Classes);
        Assert.True(report.Probe.Accuracy.Low <= report.Probe.Accuracy.Mean && report.Probe.Accuracy.Mean <= report.Probe.Accuracy.High);
    }

    [Fact]
    public void A_probe_cannot_read_a_label_the_features_do_not_carry()
    {
        var (network, x, labels) = Planted(3);
        var rng = new Rng(11);
        var noise = labels.Select(_ => rng.NextInt(2)).ToArray();
        var hidden = Activations.Record(network, x, Count, Activations.Resolve(network, "act1"));

        var result = LinearProbe.Fit(hidden.Values, Count, noise, new ProbeOptions { Seed = 5 });

        Assert.InRange(result.Accuracy.Mean, 0.35, 0.65);
    }

    [Fact]
    public void A_multinomial_probe_reads_one_of_many_classes()
    {
        // Eight classes, each a planted mean in a 10-dimensional feature space plus unit noise.
        const int classes = 8, d = 10, n = 1200;
        var rng = new Rng(9);
        var means = Enumerable.Range(0, classes * d).Select(_ => (float)(3 * rng.NextGaussian())).ToArray();
        var features = new float[n * d];
        var labels = new int[n];
        for (var i = 0; i < n; i++)
        {
            labels[i] = rng.NextInt(classes);
            for (var j = 0; j < d; j++)
            {
                features[(i * d) + j] = means[(labels[i] * d) + j] + (float)rng.NextGaussian();
            }
        }

        var report = LinearProbe.FitWithControl(features, n, labels, new ProbeOptions { Seed = 1, Iterations = 300 });

        Assert.True(report.Probe.Accuracy.Mean >= 0.9, $"probe {report.Probe.Accuracy}");
        Assert.True(report.Control.Accuracy.High >= 1.0 / classes && report.Control.Accuracy.Mean <= 0.25, $"control {report.Control.Accuracy}");
    }

    [Fact]
    public void Unlabelled_observations_are_left_out()
    {
        var (network, x, labels) = Planted(3);
        var partial = labels.Select((l, i) => i % 4 == 0 ? -1 : l).ToArray();
        var hidden = Activations.Record(network, x, Count, 1);

        var result = LinearProbe.Fit(hidden.Values, Count, partial, new ProbeOptions { Seed = 5 });

        Assert.Equal(600, result.Train + result.Accuracy.N);
    }

    [Fact]
    public void The_same_seed_gives_the_same_bits_and_another_seed_another_split()
    {
        var (network, x, labels) = Planted(3);
        var hidden = Activations.Record(network, x, Count, 1);

        var a = LinearProbe.FitWithControl(hidden.Values, Count, labels, new ProbeOptions { Seed = 5, Iterations = 50 });
        var b = LinearProbe.FitWithControl(hidden.Values, Count, labels, new ProbeOptions { Seed = 5, Iterations = 50 });
        var others = Enumerable.Range(6, 4).Select(s => LinearProbe.FitWithControl(hidden.Values, Count, labels, new ProbeOptions { Seed = (ulong)s, Iterations = 50 })).ToList();

        Assert.Equal(a, b);
        Assert.Contains(others, o => o.Probe.Accuracy.Mean != a.Probe.Accuracy.Mean || o.Control.Accuracy.Mean != a.Control.Accuracy.Mean);
    }

    [Fact]
    public void A_target_with_one_class_is_refused_in_one_line()
    {
        var features = new float[40];
        var e = Assert.Throws<UserInputException>(() => LinearProbe.Fit(features, 20, new int[20], new ProbeOptions()));

        Assert.DoesNotContain('\n', e.Message);
        Assert.Contains("two classes", e.Message, StringComparison.Ordinal);
    }
}
