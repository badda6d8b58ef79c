using AlignLab.Errors;
using AlignLab.Interpretability;
using AlignLab.Nn;
using AlignLab.Randomness;
using CsCheck;

namespace AlignLab.Tests.Interpretability;

/// <summary>The position-shared (1×1 readout) cell probe on synthetic spatial activations whose feature is known.</summary>
public sealed class SharedProbeTests
{
    private const int Channels = 6;
    private const int Height = 7;
    private const int Width = 7;
    private const int Cells = Height * Width;
    private const int Size = Channels * Cells;
    private static readonly int[] Shape = [Channels, Height, Width];

    /// <summary>
    /// Unit Gaussian noise on every channel and cell, with one planted direction u (the same at every position) added
    /// at the labelled cell: the label is readable by one weight vector shared over positions, and by nothing else.
    /// </summary>
    private static (float[] Values, int[] Labels) Planted(int count, ulong seed, float strength = 2.5f)
    {
        var rng = new Rng(seed);
        var direction = new float[Channels];
        for (var c = 0; c < Channels; c++)
        {
            direction[c] = (float)rng.NextGaussian();
        }

        var norm = MathF.Sqrt(direction.Sum(v => v * v));
        var values = new float[count * Size];
        var labels = new int[count];
        for (var i = 0; i < count; i++)
        {
            labels[i] = rng.NextInt(Cells);
            for (var j = 0; j < Size; j++)
            {
                values[(i * Size) + j] = (float)rng.NextGaussian();
            }

            for (var c = 0; c < Channels; c++)
            {
                values[(i * Size) + (c * Cells) + labels[i]] += strength * direction[c] / norm;
            }
        }

        return (values, labels);
    }

    [Fact]
    public void The_shared_probe_recovers_a_planted_position_shared_feature_and_its_control_stays_near_chance()
    {
        var (values, labels) = Planted(800, 3, strength: 5f);

        var report = SharedProbe.FitWithControl(values, 800, Shape, labels, new ProbeOptions { Seed = 5 });

        Assert.True(report.Probe.Accuracy.Mean >= 0.95, $"probe {report.Probe.Accuracy}");
        Assert.True(report.Control.Accuracy.Mean <= 0.08, $"control {report.Control.Accuracy} (chance {1.0 / Cells:F3})");
        Assert.Equal(200, report.Probe.Accuracy.N);
        Assert.Equal(600, report.Probe.Train);
        Assert.True(report.Probe.Steps < 50, $"Newton took {report.Probe.Steps} steps");
    }

    [Fact]
    public void The_shared_probe_reads_a_weak_feature_from_fewer_examples_than_the_full_probe()
    {
        // 49 classes × 295 features for the full probe against 6 + 49 parameters for the shared one, from 300 examples.
        var (values, labels) = Planted(400, 4, strength: 2.5f);
        var options = new ProbeOptions { Seed = 1 };

        var shared = SharedProbe.Fit(values, 400, Shape, labels, options);
        var full = LinearProbe.Fit(values, 400, labels, options);

        Assert.True(shared.Accuracy.Low > full.Accuracy.High, $"shared {shared.Accuracy}, full {full.Accuracy}");
    }

    [Fact]
    public void The_shared_probe_cannot_read_a_cell_the_activations_do_not_carry()
    {
        var (values, labels) = Planted(600, 3, strength: 0f);

        var result = SharedProbe.Fit(values, 600, Shape, labels, new ProbeOptions { Seed = 5 });

        Assert.True(result.Accuracy.Mean <= 0.08, $"probe {result.Accuracy}");
    }

    [Fact]
    public void The_loss_gradient_and_hessian_match_finite_differences()
    {
        var (values, labels) = Planted(60, 8);
        var rows = Enumerable.Range(0, 60).ToArray();
        var scale = SharedProbe.ChannelScales(values, Channels, Cells, rows);
        var problem = new SharedProbe.Problem(values, Channels, Cells, rows, labels, scale, 0.05f);
        const int dimension = Channels + Cells;
        Gen.Int[0, 1_000_000].Sample(seed =>
        {
            var rng = new Rng((ulong)seed);
            var theta = Enumerable.Range(0, dimension).Select(_ => 0.5 * rng.NextGaussian()).ToArray();
            var gradient = new double[dimension];
            var hessian = new double[dimension * dimension];
            problem.Evaluate(theta, gradient, hessian);
            var direction = Enumerable.Range(0, dimension).Select(_ => rng.NextGaussian()).ToArray();
            const double h = 1e-3;
            var plus = theta.Zip(direction, (t, d) => t + (h * d)).ToArray();
            var minus = theta.Zip(direction, (t, d) => t - (h * d)).ToArray();
            var gradientPlus = new double[dimension];
            var gradientMinus = new double[dimension];

            // Directional derivative of the loss against g·d; of the gradient against H·d.
            var numeric = (problem.Evaluate(plus, gradientPlus, null) - problem.Evaluate(minus, gradientMinus, null)) / (2 * h);
            var analytic = gradient.Zip(direction, (g, d) => g * d).Sum();
            Assert.Equal(analytic, numeric, 2e-3 * Math.Max(1, Math.Abs(analytic)));
            for (var i = 0; i < dimension; i++)
            {
                var hd = 0.0;
                for (var j = 0; j < dimension; j++)
                {
                    hd += hessian[(i * dimension) + j] * direction[j];
                }

                Assert.Equal(hd, (gradientPlus[i] - gradientMinus[i]) / (2 * h), 2e-3 * Math.Max(1, Math.Abs(hd)));
            }
        }, iter: 20, threads: 1); // one thread: the problem keeps its scratch buffers
    }

    [Fact]
    public void The_same_seed_gives_the_same_bits_and_another_seed_another_split()
    {
        var (values, labels) = Planted(400, 6);

        var a = SharedProbe.FitWithControl(values, 400, Shape, labels, new ProbeOptions { Seed = 5 });
        var b = SharedProbe.FitWithControl(values, 400, Shape, labels, new ProbeOptions { Seed = 5 });
        var others = Enumerable.Range(6, 4).Select(s => SharedProbe.FitWithControl(values, 400, Shape, labels, new ProbeOptions { Seed = (ulong)s })).ToList();

        Assert.Equal(a, b);
        Assert.Contains(others, o => o.Probe.Accuracy.Mean != a.Probe.Accuracy.Mean || o.Control.Accuracy.Mean != a.Control.Accuracy.Mean);
    }

    [Fact]
    public void A_non_spatial_layer_is_refused_in_one_line()
    {
        var network = Nets.Mlp(12, [16], 2, Activation.Tanh, new Random(7));
        var inputs = new float[20 * 12];
        var hidden = Activations.Record(network, inputs, 20, Activations.Resolve(network, "act1"));

        var e = Assert.Throws<UserInputException>(() => SharedProbe.FitWithControl(hidden, new int[20], new ProbeOptions()));

        Assert.DoesNotContain('\n', e.Message);
        Assert.Contains("act1", e.Message, StringComparison.Ordinal);
        Assert.Contains("--probe full", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_target_that_is_not_a_cell_is_refused_in_one_line()
    {
        var (values, labels) = Planted(50, 2);
        labels[7] = Cells + 3;

        var e = Assert.Throws<UserInputException>(() => SharedProbe.Fit(values, 50, Shape, labels, new ProbeOptions()));

        Assert.DoesNotContain('\n', e.Message);
        Assert.Contains("cell", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Ridge_is_refused_for_the_shared_probe()
    {
        var (values, labels) = Planted(50, 2);

        var e = Assert.Throws<UserInputException>(() => SharedProbe.Fit(values, 50, Shape, labels, new ProbeOptions { Kind = ProbeKind.Ridge }));

        Assert.Contains("--probe full", e.Message, StringComparison.Ordinal);
    }
}
