using System.Numerics;
using AlignLab.Diagnostics;
using AlignLab.Errors;
using AlignLab.Nn;
using AlignLab.Randomness;

namespace AlignLab.Interpretability;

/// <summary>The kind of linear probe.</summary>
public enum ProbeKind
{
    /// <summary>Multinomial logistic regression (softmax cross-entropy) with an L2 penalty.</summary>
    Logistic,

    /// <summary>Ridge regression onto the one-hot class vector; the predicted class is the largest output.</summary>
    Ridge,
}

/// <summary>Settings of a linear probe.</summary>
public sealed record ProbeOptions
{
    /// <summary>The probe's loss.</summary>
    public ProbeKind Kind { get; init; } = ProbeKind.Logistic;

    /// <summary>L2 penalty on the weights (not the bias), on standardised features: loss + L2/2 · ‖W‖².</summary>
    public double L2 { get; init; } = 1e-3;

    /// <summary>Fraction of the labelled observations held out for testing (drawn with <see cref="Seed"/>).</summary>
    public double TestFraction { get; init; } = 0.25;

    /// <summary>Most full-batch accelerated gradient steps (step size 1/L from the exact Lipschitz bound); for <see cref="SharedProbe"/>, most Newton steps.</summary>
    public int Iterations { get; init; } = 200;

    /// <summary>The steps stop once the gradient's norm is below this fraction of its value at the start.</summary>
    public double Tolerance { get; init; } = 1e-3;

    /// <summary>Seed of the held-out split and of the control's label shuffle.</summary>
    public ulong Seed { get; init; }
}

/// <summary>A probe's held-out result.</summary>
/// <param name="Accuracy">Held-out accuracy with its Wilson 95% interval (N = test observations).</param>
/// <param name="Chance">The accuracy of always predicting the training set's most frequent class, on the test set.</param>
/// <param name="Classes">The number of distinct classes among the labelled observations.</param>
/// <param name="Train">Training observations.</param>
public sealed record ProbeResult(Estimate Accuracy, double Chance, int Classes, int Train)
{
    /// <summary>The gradient steps the fit took before it met its tolerance or ran out of <see cref="ProbeOptions.Iterations"/>.</summary>
    public int Steps { get; init; }
}

/// <summary>A probe and its control: the same probe fitted to the labels shuffled across observations.</summary>
/// <param name="Probe">The probe on the true labels.</param>
/// <param name="Control">The probe on shuffled labels (near chance when the probe does not merely memorise).</param>
public sealed record ProbeReport(ProbeResult Probe, ProbeResult Control);

/// <summary>
/// Linear probes fitted exactly enough to be reproducible: features standardised on the training split, then
/// full-batch Nesterov-accelerated gradient descent with the step 1/L, where L bounds the loss's curvature
/// (the largest eigenvalue of the standardised Gram matrix found by power iteration). No randomness but the seeded split.
/// </summary>
public static class LinearProbe
{
    /// <summary>Fits the probe on <paramref name="labels"/> and the control on the same labels shuffled.</summary>
    /// <param name="features">count × dimension values, sample-major.</param>
    /// <param name="count">The number of observations.</param>
    /// <param name="labels">One class per observation; negative = unlabelled (left out).</param>
    /// <param name="options">The probe's settings.</param>
    public static ProbeReport FitWithControl(ReadOnlySpan<float> features, int count, IReadOnlyList<int> labels, ProbeOptions options)
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(options);
        var probe = Fit(features, count, labels, options);
        return new ProbeReport(probe, Fit(features, count, ShuffledLabels(labels, options.Seed), options));
    }

    /// <summary>The control's labels: the labelled observations' classes permuted among them (seeded), the unlabelled left as they are.</summary>
    internal static int[] ShuffledLabels(IReadOnlyList<int> labels, ulong seed)
    {
        var shuffled = labels.ToArray();
        var labelled = Enumerable.Range(0, shuffled.Length).Where(i => shuffled[i] >= 0).ToArray();
        var values = labelled.Select(i => shuffled[i]).ToArray();
        var rng = new Rng(seed ^ 0x5EED_C0DE_0000_0001UL);
        Shuffle(values, ref rng);
        for (var j = 0; j < labelled.Length; j++)
        {
            shuffled[labelled[j]] = values[j];
        }

        return shuffled;
    }

    /// <summary>Fits one probe on a seeded split and scores it on the held-out part.</summary>
    /// <exception cref="UserInputException">Too few labelled observations, or one class only.</exception>
    public static ProbeResult Fit(ReadOnlySpan<float> features, int count, IReadOnlyList<int> labels, ProbeOptions options)
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        if (labels.Count != count || features.Length % count != 0)
        {
            throw new ArgumentException($"Expected {count} labels and count × dimension features.", nameof(labels));
        }

        var d = features.Length / count;
        var (labelled, test, classes) = Split(count, labels, options);
        var train = labelled.Length - test;
        var index = new Dictionary<int, int>();
        for (var c = 0; c < classes.Length; c++)
        {
            index[classes[c]] = c;
        }

        var k = classes.Length;
        var dim = d + 1; // the last column is the constant 1 (the bias)
        var xTrain = Standardised(features, d, labelled.AsSpan(test), out var mean, out var scale);
        var yTrain = labelled.AsSpan(test).ToArray().Select(i => index[labels[i]]).ToArray();
        var weights = Solve(xTrain, train, dim, yTrain, k, options, out var steps);

        var row = new float[dim];
        var scores = new float[k];
        var correct = 0;
        var counts = new int[k];
        foreach (var y in yTrain)
        {
            counts[y]++;
        }

        var majority = Array.IndexOf(counts, counts.Max());
        var majorityHits = 0;
        for (var t = 0; t < test; t++)
        {
            var i = labelled[t];
            Standardise(features.Slice(i * d, d), mean, scale, row);
            Scores(weights, row, k, scores);
            var truth = index[labels[i]];
            correct += ArgMax(scores) == truth ? 1 : 0;
            majorityHits += truth == majority ? 1 : 0;
        }

        return new ProbeResult(Estimate.Proportion(correct, test), (double)majorityHits / test, k, train) { Steps = steps };
    }

    /// <summary>
    /// Checks the settings and draws the held-out split shared by every probe kind: the labelled observations in a
    /// seeded order, of which the first <c>Test</c> are held out; <c>Classes</c> are the distinct labels, ascending.
    /// </summary>
    /// <exception cref="UserInputException">Bad settings, one class only, or too few labelled observations.</exception>
    internal static (int[] Labelled, int Test, int[] Classes) Split(int count, IReadOnlyList<int> labels, ProbeOptions options)
    {
        if (options.TestFraction is <= 0 or >= 1 || options.L2 < 0 || options.Iterations < 1 || options.Tolerance is < 0 or >= 1)
        {
            throw new UserInputException($"probe settings: the test fraction must lie in (0, 1), L2 ≥ 0, iterations ≥ 1 and the tolerance in [0, 1) (got {options.TestFraction}, {options.L2}, {options.Iterations}, {options.Tolerance}).");
        }

        var labelled = Enumerable.Range(0, count).Where(i => labels[i] >= 0).ToArray();
        var classes = labelled.Select(i => labels[i]).Distinct().Order().ToArray();
        if (classes.Length < 2)
        {
            throw new UserInputException($"the target takes {(classes.Length == 0 ? "no value" : $"the one value {classes[0]}")} on all {labelled.Length} labelled observations; a probe needs at least two classes.");
        }

        var rng = new Rng(options.Seed);
        Shuffle(labelled, ref rng);
        var test = Math.Max(1, (int)Math.Round(labelled.Length * options.TestFraction));
        if (labelled.Length - test < 2)
        {
            throw new UserInputException($"only {labelled.Length} labelled observations; a probe needs more (draw more levels).");
        }

        return (labelled, test, classes);
    }

    private static float[] Standardised(ReadOnlySpan<float> features, int d, ReadOnlySpan<int> rows, out float[] mean, out float[] scale)
    {
        var n = rows.Length;
        var m = new double[d];
        var v = new double[d];
        foreach (var i in rows)
        {
            var x = features.Slice(i * d, d);
            for (var j = 0; j < d; j++)
            {
                m[j] += x[j];
            }
        }

        for (var j = 0; j < d; j++)
        {
            m[j] /= n;
        }

        foreach (var i in rows)
        {
            var x = features.Slice(i * d, d);
            for (var j = 0; j < d; j++)
            {
                var e = x[j] - m[j];
                v[j] += e * e;
            }
        }

        mean = new float[d];
        scale = new float[d];
        for (var j = 0; j < d; j++)
        {
            var sd = Math.Sqrt(v[j] / n);
            mean[j] = (float)m[j];
            scale[j] = sd > 1e-6 ? (float)(1 / sd) : 0f;
        }

        var dim = d + 1;
        var result = new float[n * dim];
        for (var r = 0; r < n; r++)
        {
            Standardise(features.Slice(rows[r] * d, d), mean, scale, result.AsSpan(r * dim, dim));
        }

        return result;
    }

    private static void Standardise(ReadOnlySpan<float> x, float[] mean, float[] scale, Span<float> row)
    {
        for (var j = 0; j < x.Length; j++)
        {
            row[j] = (x[j] - mean[j]) * scale[j];
        }

        row[x.Length] = 1f;
    }

    /// <summary>
    /// Minimises the mean loss + L2/2 ‖W‖² (bias unpenalised) by Nesterov's method with step 1/L. Each step is two
    /// matrix products (scores S = X·Wᵀ for all training rows, gradient G = (S − Y)ᵀ·X / n); the steps stop early
    /// once the gradient's norm falls below <see cref="ProbeOptions.Tolerance"/> times its first value.
    /// </summary>
    private static float[] Solve(float[] x, int n, int dim, int[] y, int k, ProbeOptions options, out int steps)
    {
        steps = 0;
        var lambda = LargestEigenvalue(x, n, dim);
        var curvature = options.Kind == ProbeKind.Logistic ? 0.5 : 1.0;
        var step = (float)(1 / ((curvature * lambda) + options.L2));
        var l2 = (float)options.L2;
        var w = new float[k * dim];
        var previous = new float[k * dim];
        var look = new float[k * dim];
        var gradient = new float[k * dim];
        var scores = new float[n * k];
        var inverseN = 1f / n;
        double t = 1;
        double firstNorm = -1;
        for (var iteration = 0; iteration < options.Iterations; iteration++)
        {
            steps = iteration + 1;
            MatrixProduct.Multiply(n, k, dim, x, transposeA: false, look, transposeB: true, scores);
            for (var i = 0; i < n; i++)
            {
                var row = scores.AsSpan(i * k, k);
                if (options.Kind == ProbeKind.Logistic)
                {
                    Softmax(row);
                }

                row[y[i]] -= 1f;
                for (var c = 0; c < k; c++)
                {
                    row[c] *= inverseN;
                }
            }

            MatrixProduct.Multiply(k, dim, n, scores, transposeA: true, x, transposeB: false, gradient);
            double norm = 0;
            for (var c = 0; c < k; c++)
            {
                var g = gradient.AsSpan(c * dim, dim - 1);
                Axpy(l2, look.AsSpan(c * dim, dim - 1), g);
                norm += Dot(gradient.AsSpan(c * dim, dim), gradient.AsSpan(c * dim, dim));
            }

            norm = Math.Sqrt(norm);
            if (firstNorm < 0)
            {
                firstNorm = norm;
            }

            if (norm <= options.Tolerance * firstNorm)
            {
                break;
            }

            var next = (1 + Math.Sqrt(1 + (4 * t * t))) / 2;
            var momentum = (float)((t - 1) / next);
            t = next;
            for (var at = 0; at < w.Length; at++)
            {
                var updated = look[at] - (step * gradient[at]);
                previous[at] = w[at];
                w[at] = updated;
                look[at] = updated + (momentum * (updated - previous[at]));
            }
        }

        return w;
    }

    /// <summary>The largest eigenvalue of XᵀX/n by power iteration (with a 10% margin, since it approaches from below).</summary>
    private static double LargestEigenvalue(float[] x, int n, int dim)
    {
        var v = new float[dim];
        Array.Fill(v, 1 / MathF.Sqrt(dim));
        var u = new float[dim];
        double lambda = 0;
        for (var iteration = 0; iteration < 30; iteration++)
        {
            Array.Clear(u);
            for (var i = 0; i < n; i++)
            {
                var row = x.AsSpan(i * dim, dim);
                Axpy(Dot(row, v) / n, row, u);
            }

            lambda = Math.Sqrt(Dot(u, u));
            if (lambda == 0)
            {
                return 1;
            }

            for (var j = 0; j < dim; j++)
            {
                v[j] = (float)(u[j] / lambda);
            }
        }

        // Power iteration approaches λmax from below; a margin keeps the step safe.
        return lambda * 1.1;
    }

    private static void Scores(float[] w, ReadOnlySpan<float> row, int k, Span<float> scores)
    {
        var dim = row.Length;
        for (var c = 0; c < k; c++)
        {
            scores[c] = Dot(w.AsSpan(c * dim, dim), row);
        }
    }

    private static void Softmax(Span<float> scores)
    {
        var max = float.NegativeInfinity;
        foreach (var s in scores)
        {
            max = Math.Max(max, s);
        }

        float sum = 0;
        for (var c = 0; c < scores.Length; c++)
        {
            scores[c] = MathF.Exp(scores[c] - max);
            sum += scores[c];
        }

        for (var c = 0; c < scores.Length; c++)
        {
            scores[c] /= sum;
        }
    }

    /// <summary>The index of the first largest score (the predicted class).</summary>
    internal static int ArgMax(ReadOnlySpan<float> scores)
    {
        var best = 0;
        for (var c = 1; c < scores.Length; c++)
        {
            if (scores[c] > scores[best])
            {
                best = c;
            }
        }

        return best;
    }

    internal static float Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        var acc = Vector<float>.Zero;
        var j = 0;
        for (; j <= a.Length - Vector<float>.Count; j += Vector<float>.Count)
        {
            acc += new Vector<float>(a[j..]) * new Vector<float>(b[j..]);
        }

        var sum = Vector.Sum(acc);
        for (; j < a.Length; j++)
        {
            sum += a[j] * b[j];
        }

        return sum;
    }

    internal static void Axpy(float alpha, ReadOnlySpan<float> x, Span<float> y)
    {
        if (alpha == 0)
        {
            return;
        }

        var a = new Vector<float>(alpha);
        var j = 0;
        for (; j <= x.Length - Vector<float>.Count; j += Vector<float>.Count)
        {
            (new Vector<float>(y[j..]) + (a * new Vector<float>(x[j..]))).CopyTo(y[j..]);
        }

        for (; j < x.Length; j++)
        {
            y[j] += alpha * x[j];
        }
    }

    private static void Shuffle(int[] values, ref Rng rng)
    {
        for (var i = values.Length - 1; i > 0; i--)
        {
            var j = rng.NextInt(i + 1);
            (values[i], values[j]) = (values[j], values[i]);
        }
    }
}
