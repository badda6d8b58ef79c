using AlignLab.Diagnostics;
using AlignLab.Errors;
using AlignLab.Nn;

namespace AlignLab.Interpretability;

/// <summary>How a probe reads a layer.</summary>
public enum ProbeReadout
{
    /// <summary>
    /// One weight per (class, feature) over the whole flattened layer (<see cref="LinearProbe"/>): any target, any layer,
    /// classes × (features + 1) parameters.
    /// </summary>
    Full,

    /// <summary>
    /// One weight vector shared by every position of a channels × height × width layer, with a softmax over the cells
    /// (<see cref="SharedProbe"/>): cell targets on spatial layers only, channels + cells parameters.
    /// </summary>
    Shared,
}

/// <summary>
/// A cell probe that shares one weight vector over positions: a 1×1 readout of a C × H × W layer followed by a softmax over
/// its H·W cells. The logit of cell p is w·ã[:, p] + b_p, where ã is the layer standardised per channel on the training
/// split (so the L2 penalty weighs channels alike) and b_p is a per-cell bias (a bias shared by all cells would cancel in
/// the softmax; b is the prior over cells). The L2 penalty weighs w and b alike: unpenalised, the bias of a cell that never
/// holds the target in training would run off to −∞. Being translation-equivariant apart from that prior, it
/// asks whether one direction in channel space marks the target's cell wherever it is, and it has C + H·W parameters
/// instead of the full probe's classes × (C·H·W + 1). It has the same seeded held-out split and shuffled-label control as
/// <see cref="LinearProbe"/>, the same L2 and the same stop (the gradient's norm at <see cref="ProbeOptions.Tolerance"/> of
/// its first value), but few enough parameters for Newton's method: <see cref="ProbeOptions.Iterations"/> caps Newton
/// steps here, and a handful suffice.
/// </summary>
public static class SharedProbe
{
    /// <summary>Fits the probe on <paramref name="labels"/> and the control on the same labels shuffled among the labelled observations.</summary>
    /// <param name="activations">The recorded layer (its shape must be channels × height × width).</param>
    /// <param name="labels">One cell (row · width + column) per observation; negative = unlabelled (left out).</param>
    /// <param name="options">The probe's settings (<see cref="ProbeKind.Logistic"/> only).</param>
    /// <exception cref="UserInputException">The layer is not spatial, the target is not a cell, or the settings or labels are unusable.</exception>
    public static ProbeReport FitWithControl(ActivationSet activations, IReadOnlyList<int> labels, ProbeOptions options)
    {
        ArgumentNullException.ThrowIfNull(activations);
        return FitWithControl(activations.Values, activations.Count, activations.Shape, labels, options, activations.Layer);
    }

    /// <summary>Fits the probe and its control on <paramref name="count"/> samples of a layer of shape <paramref name="shape"/>.</summary>
    /// <param name="values">count × C·H·W values, sample-major, channel-major within a sample.</param>
    /// <param name="count">The number of observations.</param>
    /// <param name="shape">The per-sample shape, [C, H, W].</param>
    /// <param name="labels">One cell per observation; negative = unlabelled.</param>
    /// <param name="options">The probe's settings.</param>
    /// <param name="layer">The layer's name, for messages.</param>
    /// <exception cref="UserInputException">The layer is not spatial, the target is not a cell, or the settings or labels are unusable.</exception>
    public static ProbeReport FitWithControl(ReadOnlySpan<float> values, int count, IReadOnlyList<int> shape, IReadOnlyList<int> labels, ProbeOptions options, string layer = "the layer")
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(options);
        var probe = Fit(values, count, shape, labels, options, layer);
        return new ProbeReport(probe, Fit(values, count, shape, LinearProbe.ShuffledLabels(labels, options.Seed), options, layer));
    }

    /// <summary>Fits one shared probe on the seeded split and scores it on the held-out part.</summary>
    /// <inheritdoc cref="FitWithControl(ReadOnlySpan{float}, int, IReadOnlyList{int}, IReadOnlyList{int}, ProbeOptions, string)"/>
    public static ProbeResult Fit(ReadOnlySpan<float> values, int count, IReadOnlyList<int> shape, IReadOnlyList<int> labels, ProbeOptions options, string layer = "the layer")
    {
        ArgumentNullException.ThrowIfNull(shape);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        if (shape.Count != 3)
        {
            throw new UserInputException($"the shared probe reads a cell from a spatial channels×height×width layer, but {layer} has shape {string.Join('×', shape)}: use the full probe there (--probe full).");
        }

        if (options.Kind != ProbeKind.Logistic)
        {
            throw new UserInputException($"the shared probe is a softmax over cells (logistic); {options.Kind.ToString().ToLowerInvariant()} is for the full probe (--probe full).");
        }

        var channels = shape[0];
        var cells = shape[1] * shape[2];
        if (labels.Count != count || values.Length != (long)count * channels * cells)
        {
            throw new ArgumentException($"Expected {count} labels and {count}×{channels * cells} values.", nameof(labels));
        }

        for (var i = 0; i < count; i++)
        {
            if (labels[i] >= cells)
            {
                throw new UserInputException($"the shared probe reads a cell (0–{cells - 1}) of the {shape[1]}×{shape[2]} map, but the target takes the value {labels[i]}: it fits cell targets (agent, GOAL, GOAL-next) only; use the full probe (--probe full).");
            }
        }

        var (labelled, test, classes) = LinearProbe.Split(count, labels, options);
        var trainRows = labelled[test..];
        var y = trainRows.Select(i => labels[i]).ToArray();
        var problem = new Problem(values, channels, cells, trainRows, y, ChannelScales(values, channels, cells, trainRows), (float)options.L2);
        var theta = Solve(problem, options, out var steps);

        var counts = new int[cells];
        foreach (var label in y)
        {
            counts[label]++;
        }

        var majority = Array.IndexOf(counts, counts.Max());
        var effective = problem.Effective(theta);
        var logits = new float[cells];
        int correct = 0, majorityHits = 0;
        for (var t = 0; t < test; t++)
        {
            var i = labelled[t];
            problem.Logits(values, i, effective, theta.AsSpan(channels), logits);
            correct += LinearProbe.ArgMax(logits) == labels[i] ? 1 : 0;
            majorityHits += labels[i] == majority ? 1 : 0;
        }

        return new ProbeResult(Estimate.Proportion(correct, test), (double)majorityHits / test, classes.Length, trainRows.Length) { Steps = steps };
    }

    /// <summary>1 / the standard deviation of each channel over the training rows and all positions (0 for a constant channel).</summary>
    internal static float[] ChannelScales(ReadOnlySpan<float> values, int channels, int cells, ReadOnlySpan<int> rows)
    {
        var sum = new double[channels];
        var squares = new double[channels];
        foreach (var row in rows)
        {
            var sample = values.Slice(row * channels * cells, channels * cells);
            for (var c = 0; c < channels; c++)
            {
                double s = 0, q = 0;
                foreach (var v in sample.Slice(c * cells, cells))
                {
                    s += v;
                    q += (double)v * v;
                }

                sum[c] += s;
                squares[c] += q;
            }
        }

        var n = (double)rows.Length * cells;
        var scale = new float[channels];
        for (var c = 0; c < channels; c++)
        {
            var mean = sum[c] / n;
            var sd = Math.Sqrt(Math.Max(0, (squares[c] / n) - (mean * mean)));
            scale[c] = sd > 1e-6 ? (float)(1 / sd) : 0f;
        }

        return scale;
    }

    /// <summary>
    /// Newton's method from θ = 0 with a backtracking (Armijo) line search: the problem has only C + H·W parameters, so
    /// the exact Hessian costs a few gradients and the steps converge quadratically. Stops once the gradient's norm is at
    /// most the tolerance times its first value.
    /// </summary>
    private static float[] Solve(Problem problem, ProbeOptions options, out int steps)
    {
        var size = problem.Channels + problem.Cells;
        var theta = new double[size];
        var trial = new double[size];
        var gradient = new double[size];
        var hessian = new double[size * size];
        var direction = new double[size];
        double firstNorm = -1;
        steps = 0;
        for (var iteration = 0; iteration < options.Iterations; iteration++)
        {
            steps = iteration + 1;
            var loss = problem.Evaluate(theta, gradient, hessian);
            double squares = 0;
            foreach (var g in gradient)
            {
                squares += g * g;
            }

            var norm = Math.Sqrt(squares);
            if (firstNorm < 0)
            {
                firstNorm = norm;
            }

            if (norm <= options.Tolerance * firstNorm || norm == 0)
            {
                break;
            }

            // With L2 = 0 the loss ignores a constant added to every cell bias; a small ridge keeps H definite.
            for (var p = 0; p < size; p++)
            {
                hessian[(p * size) + p] += 1e-10;
            }

            gradient.CopyTo(direction, 0);
            CholeskySolve(hessian, size, direction);
            var slope = 0.0;
            for (var j = 0; j < size; j++)
            {
                slope += gradient[j] * direction[j];
            }

            var t = 1.0;
            var decreased = false;
            for (var halving = 0; halving < 40 && !decreased; halving++, t /= 2)
            {
                for (var j = 0; j < size; j++)
                {
                    trial[j] = theta[j] - (t * direction[j]);
                }

                decreased = problem.Evaluate(trial, null, null) <= loss - (1e-4 * t * slope);
            }

            if (!decreased)
            {
                break; // no step lowers the loss within rounding: θ is as good as float activations allow
            }

            trial.CopyTo(theta, 0);
        }

        return [.. theta.Select(v => (float)v)];
    }

    /// <summary>Solves H x = b in place for a symmetric positive definite H (its lower triangle is overwritten).</summary>
    private static void CholeskySolve(double[] h, int n, double[] b)
    {
        for (var j = 0; j < n; j++)
        {
            var d = h[(j * n) + j];
            for (var k = 0; k < j; k++)
            {
                d -= h[(j * n) + k] * h[(j * n) + k];
            }

            d = Math.Sqrt(Math.Max(d, 1e-300));
            h[(j * n) + j] = d;
            for (var i = j + 1; i < n; i++)
            {
                var v = h[(i * n) + j];
                for (var k = 0; k < j; k++)
                {
                    v -= h[(i * n) + k] * h[(j * n) + k];
                }

                h[(i * n) + j] = v / d;
            }
        }

        for (var i = 0; i < n; i++)
        {
            var v = b[i];
            for (var k = 0; k < i; k++)
            {
                v -= h[(i * n) + k] * b[k];
            }

            b[i] = v / h[(i * n) + i];
        }

        for (var i = n - 1; i >= 0; i--)
        {
            var v = b[i];
            for (var k = i + 1; k < n; k++)
            {
                v -= h[(k * n) + i] * b[k];
            }

            b[i] = v / h[(i * n) + i];
        }
    }

    /// <summary>
    /// The training problem: mean softmax cross-entropy over the training rows plus L2/2 ‖θ‖², as a function of
    /// θ = [w (C standardised channel weights); b (H·W cell biases)]. The activations are read in place: standardising
    /// multiplies w by the channel scales, and centring would add the same constant to every cell's logit, which the
    /// softmax ignores.
    /// </summary>
    internal sealed class Problem
    {
        private const int Chunk = 256;
        private readonly float[] _values;
        private readonly int[] _rows;
        private readonly int[] _labels;
        private readonly float[] _scale;
        private readonly float _l2;
        private readonly float[] _effective;
        private readonly float[] _bias;
        private readonly float[] _logits;
        private readonly float[] _q;
        private readonly int[] _labelCounts;
        private readonly float[] _softmaxSum;
        private readonly double[] _channelGradient;
        private readonly double[] _channelPairs;
        private readonly float[] _channelCell;
        private readonly float[] _chunkSoftmax;
        private readonly float[] _chunkU;
        private readonly float[] _cellProduct;
        private readonly float[] _channelCellProduct;
        private readonly float[] _channelProduct;
        private readonly double[] _cellPairs;
        private readonly double[] _weightedCell;
        private readonly double[] _weightedPairs;

        internal Problem(ReadOnlySpan<float> values, int channels, int cells, int[] rows, int[] labels, float[] scale, float l2)
        {
            // One copy of the training rows, contiguous, so that the steps read memory in order.
            var size = channels * cells;
            _values = new float[rows.Length * size];
            for (var r = 0; r < rows.Length; r++)
            {
                values.Slice(rows[r] * size, size).CopyTo(_values.AsSpan(r * size, size));
            }

            Channels = channels;
            Cells = cells;
            _rows = rows;
            _labels = labels;
            _scale = scale;
            _l2 = l2;
            _effective = new float[channels];
            _bias = new float[cells];
            _logits = new float[cells];
            _q = new float[cells];
            _labelCounts = new int[cells];
            foreach (var label in labels)
            {
                _labelCounts[label]++;
            }

            _softmaxSum = new float[cells];
            _channelGradient = new double[channels];
            _channelPairs = new double[channels * channels];
            _channelCell = new float[channels * cells];
            _chunkSoftmax = new float[Chunk * cells];
            _chunkU = new float[Chunk * channels];
            _cellProduct = new float[cells * cells];
            _channelCellProduct = new float[channels * cells];
            _channelProduct = new float[channels * channels];
            _cellPairs = new double[cells * cells];
            _weightedCell = new double[channels * cells];
            _weightedPairs = new double[channels * channels];
        }

        internal int Channels { get; }

        internal int Cells { get; }

        /// <summary>The weights on the raw activations: w_c times channel c's scale.</summary>
        internal float[] Effective(ReadOnlySpan<float> theta)
        {
            var v = new float[Channels];
            for (var c = 0; c < Channels; c++)
            {
                v[c] = theta[c] * _scale[c];
            }

            return v;
        }

        /// <summary>The cell logits b + Σ_c v_c a[c, :] of sample <paramref name="index"/> of <paramref name="values"/>.</summary>
        internal void Logits(ReadOnlySpan<float> values, int index, ReadOnlySpan<float> effective, ReadOnlySpan<float> bias, Span<float> logits)
        {
            var size = Channels * Cells;
            var sample = values.Slice(index * size, size);
            bias.CopyTo(logits);
            for (var c = 0; c < Channels; c++)
            {
                LinearProbe.Axpy(effective[c], sample.Slice(c * Cells, Cells), logits);
            }
        }

        /// <summary>
        /// The objective at <paramref name="theta"/>; when asked, its gradient and its Hessian (row-major, size × size)
        /// are written too. With s the softmax over cells and ã the standardised layer, per row: ∂/∂w = Σ_p s_p ã[:, p] −
        /// ã[:, y], ∂/∂b = s − e_y, and the Hessian is Xᵀ(diag s − s sᵀ)X with X's row p = [ã[:, p]; e_p].
        /// </summary>
        internal double Evaluate(ReadOnlySpan<double> theta, Span<double> gradient, double[]? hessian)
        {
            var n = _rows.Length;
            var withGradient = !gradient.IsEmpty;
            for (var c = 0; c < Channels; c++)
            {
                _effective[c] = (float)(theta[c] * _scale[c]);
            }

            for (var p = 0; p < Cells; p++)
            {
                _bias[p] = (float)theta[Channels + p];
            }

            if (withGradient)
            {
                Array.Clear(_softmaxSum);
                Array.Clear(_channelGradient);
            }

            if (hessian is not null)
            {
                Array.Clear(_channelPairs);
                Array.Clear(_channelCell);
                Array.Clear(_cellPairs);
                Array.Clear(_weightedCell);
                Array.Clear(_weightedPairs);
            }

            double loss = 0;
            var chunkRows = 0;
            for (var r = 0; r < n; r++)
            {
                var sample = _values.AsSpan(r * Channels * Cells, Channels * Cells);
                Logits(_values, r, _effective, _bias, _logits);
                var y = _labels[r];
                var max = float.NegativeInfinity;
                foreach (var z in _logits)
                {
                    max = MathF.Max(max, z);
                }

                float sum = 0;
                var target = _logits[y];
                for (var p = 0; p < Cells; p++)
                {
                    var e = MathF.Exp(_logits[p] - max);
                    _logits[p] = e;
                    sum += e;
                }

                loss += Math.Log(sum) + max - target;
                if (!withGradient)
                {
                    continue;
                }

                var inverse = 1 / sum;
                var s = hessian is null ? _logits.AsSpan() : _chunkSoftmax.AsSpan(chunkRows * Cells, Cells);
                for (var p = 0; p < Cells; p++)
                {
                    s[p] = _logits[p] * inverse;
                }

                LinearProbe.Axpy(1f, s, _softmaxSum);
                for (var c = 0; c < Channels; c++)
                {
                    var a = sample.Slice(c * Cells, Cells);
                    var u = _scale[c] * LinearProbe.Dot(s, a);
                    _channelGradient[c] += u - (_scale[c] * a[y]);
                    if (hessian is null)
                    {
                        continue;
                    }

                    // q = s ⊙ ã_c: its sum over cells is u_c; Σ_p s_p ã_c ã_c' = q · ã_c'.
                    var q = _q.AsSpan(0, Cells);
                    for (var p = 0; p < Cells; p++)
                    {
                        q[p] = s[p] * a[p] * _scale[c];
                    }

                    _chunkU[(chunkRows * Channels) + c] = u;
                    LinearProbe.Axpy(1f, q, _channelCell.AsSpan(c * Cells, Cells));
                    for (var d = 0; d <= c; d++)
                    {
                        _channelPairs[(c * Channels) + d] += _scale[d] * LinearProbe.Dot(q, sample.Slice(d * Cells, Cells));
                    }
                }

                if (hessian is not null && ++chunkRows == Chunk)
                {
                    FlushChunk(chunkRows);
                    chunkRows = 0;
                }
            }

            if (hessian is not null && chunkRows > 0)
            {
                FlushChunk(chunkRows);
            }

            double penalty = 0;
            foreach (var v in theta)
            {
                penalty += v * v;
            }

            if (withGradient)
            {
                for (var c = 0; c < Channels; c++)
                {
                    gradient[c] = (_channelGradient[c] / n) + (_l2 * theta[c]);
                }

                for (var p = 0; p < Cells; p++)
                {
                    gradient[Channels + p] = ((double)_softmaxSum[p] / n) - ((double)_labelCounts[p] / n) + (_l2 * theta[Channels + p]);
                }
            }

            if (hessian is not null)
            {
                var size = Channels + Cells;
                for (var c = 0; c < Channels; c++)
                {
                    for (var d = 0; d <= c; d++)
                    {
                        var v = (_channelPairs[(c * Channels) + d] - _weightedPairs[(c * Channels) + d]) / n;
                        hessian[(c * size) + d] = v;
                        hessian[(d * size) + c] = v;
                    }

                    hessian[(c * size) + c] += _l2;
                    for (var p = 0; p < Cells; p++)
                    {
                        var v = ((double)_channelCell[(c * Cells) + p] - _weightedCell[(c * Cells) + p]) / n;
                        hessian[(c * size) + Channels + p] = v;
                        hessian[((Channels + p) * size) + c] = v;
                    }
                }

                for (var p = 0; p < Cells; p++)
                {
                    for (var q = 0; q < Cells; q++)
                    {
                        hessian[((Channels + p) * size) + Channels + q] = ((p == q ? (double)_softmaxSum[p] : 0) - _cellPairs[(p * Cells) + q]) / n;
                    }

                    hessian[((Channels + p) * size) + Channels + p] += _l2;
                }
            }

            return (loss / n) + (0.5 * _l2 * penalty);
        }

        /// <summary>Adds a chunk's outer products (Σ s sᵀ, Σ u sᵀ, Σ u uᵀ) with the engine's matrix product.</summary>
        private void FlushChunk(int rows)
        {
            MatrixProduct.Multiply(Cells, Cells, rows, _chunkSoftmax, transposeA: true, _chunkSoftmax, transposeB: false, _cellProduct);
            MatrixProduct.Multiply(Channels, Cells, rows, _chunkU, transposeA: true, _chunkSoftmax, transposeB: false, _channelCellProduct);
            MatrixProduct.Multiply(Channels, Channels, rows, _chunkU, transposeA: true, _chunkU, transposeB: false, _channelProduct);
            for (var j = 0; j < _cellPairs.Length; j++)
            {
                _cellPairs[j] += _cellProduct[j];
            }

            for (var j = 0; j < _weightedCell.Length; j++)
            {
                _weightedCell[j] += _channelCellProduct[j];
            }

            for (var j = 0; j < _weightedPairs.Length; j++)
            {
                _weightedPairs[j] += _channelProduct[j];
            }
        }
    }
}
