using AlignLab.Nn;
using AlignLab.Randomness;

namespace AlignLab.RewardModels;

/// <summary>
/// Trains one reward network on comparisons with the Bradley–Terry loss. A minibatch of comparisons is processed
/// in passes of at most <see cref="RowsPerPass"/> transitions (whole comparisons; a longer comparison gets a pass
/// of its own): each pass copies the input rows of every transition of segment A, then of segment B, comparison
/// after comparison, into an input matrix; the network maps them to rewards [rows, 1];
/// <see cref="Graph.SegmentSum"/> turns them into the returns R_A and R_B, and
/// <see cref="Graph.BradleyTerryLoss"/> compares those with the labels. Each pass's loss is weighted by its share
/// of the minibatch's comparisons before its backward pass, so the accumulated gradient is that of the
/// minibatch's mean loss; then AdamW takes one step. Input matrices are kept per row count, so once every pass
/// size has been seen a step allocates nothing.
/// </summary>
/// <remarks>
/// Why passes: the engine's weight-gradient GEMM (dWᵀ from dyᵀ·x, summed over rows) slows down by about 2× per
/// row when a pass has thousands of rows (measured on the first layer, 760 → 64: 8 µs per row at 1,600 rows,
/// 3.5–4 µs at 128–256), while the forward pass costs the same per row either way.
/// </remarks>
internal sealed class PreferenceTrainer
{
    /// <summary>The most transitions in one forward/backward pass (unless a single comparison has more).</summary>
    internal const int RowsPerPass = 256;

    private readonly Sequential _net;
    private readonly FeatureTable _table;
    private readonly IReadOnlyList<Comparison> _comparisons;
    private readonly Adam _optimizer;
    private readonly Graph _graph = new();
    private readonly Dictionary<int, Tensor> _inputs = [];
    private readonly int[] _startsA;
    private readonly int[] _startsB;
    private readonly int[] _lengthsA;
    private readonly int[] _lengthsB;
    private readonly float[] _labels;

    public PreferenceTrainer(Sequential net, FeatureTable table, IReadOnlyList<Comparison> comparisons, int batchSize, double learningRate, double weightDecay)
    {
        _net = net;
        _table = table;
        _comparisons = comparisons;
        _optimizer = Adam.W(net.Parameters, (float)learningRate, (float)weightDecay);
        _startsA = new int[batchSize];
        _startsB = new int[batchSize];
        _lengthsA = new int[batchSize];
        _lengthsB = new int[batchSize];
        _labels = new float[batchSize];
    }

    /// <summary>Gets the optimiser steps taken.</summary>
    public int Steps => _optimizer.StepCount;

    /// <summary>One training step on the comparisons <paramref name="batch"/> (indices); returns the minibatch's mean loss before the update.</summary>
    public float Step(ReadOnlySpan<int> batch)
    {
        _optimizer.ZeroGrad();
        double total = 0;
        var first = 0;
        while (first < batch.Length)
        {
            // Whole comparisons, up to RowsPerPass transitions (at least one comparison).
            var end = first;
            var rows = 0;
            while (end < batch.Length)
            {
                var c = _comparisons[batch[end]];
                var size = c.A.Length + c.B.Length;
                if (end > first && rows + size > RowsPerPass)
                {
                    break;
                }

                rows += size;
                end++;
            }

            total += Pass(batch[first..end], rows, batch.Length);
            first = end;
        }

        _optimizer.Step();
        return (float)(total / batch.Length);
    }

    /// <summary>Forward and backward of the comparisons <paramref name="part"/> (<paramref name="rows"/> transitions), weighted by their share of <paramref name="batchCount"/>; returns their summed loss.</summary>
    private double Pass(ReadOnlySpan<int> part, int rows, int batchCount)
    {
        if (!_inputs.TryGetValue(rows, out var input))
        {
            input = new Tensor(rows, _table.Width);
            _inputs.Add(rows, input);
        }

        var n = part.Length;
        var x = input.Span;
        var width = _table.Width;
        var row = 0;
        for (var i = 0; i < n; i++)
        {
            var c = _comparisons[part[i]];
            _startsA[i] = row;
            _lengthsA[i] = c.A.Length;
            _table.Rows.AsSpan(c.A.Start * width, c.A.Length * width).CopyTo(x[(row * width)..]);
            row += c.A.Length;
            _startsB[i] = row;
            _lengthsB[i] = c.B.Length;
            _table.Rows.AsSpan(c.B.Start * width, c.B.Length * width).CopyTo(x[(row * width)..]);
            row += c.B.Length;
            _labels[i] = c.Label;
        }

        var g = _graph;
        g.Reset();
        var rewards = _net.Forward(g, g.Input(input));
        var returnsA = g.SegmentSum(rewards, _startsA.AsSpan(0, n), _lengthsA.AsSpan(0, n));
        var returnsB = g.SegmentSum(rewards, _startsB.AsSpan(0, n), _lengthsB.AsSpan(0, n));
        var loss = g.BradleyTerryLoss(returnsA, returnsB, _labels.AsSpan(0, n));
        g.Backward(g.Scale(loss, (float)n / batchCount));
        return (double)loss.Value[0] * n;
    }

    /// <summary>
    /// <paramref name="epochs"/> passes over <paramref name="train"/> (comparison indices, repeats allowed), each in a
    /// fresh order drawn from <paramref name="rng"/>, in minibatches of <paramref name="batchSize"/>.
    /// </summary>
    public void Train(int[] train, int epochs, int batchSize, ref Rng rng)
    {
        var order = (int[])train.Clone();
        for (var e = 0; e < epochs; e++)
        {
            for (var i = order.Length - 1; i > 0; i--)
            {
                var j = rng.NextInt(i + 1);
                (order[i], order[j]) = (order[j], order[i]);
            }

            for (var start = 0; start < order.Length; start += batchSize)
            {
                Step(order.AsSpan(start, Math.Min(batchSize, order.Length - start)));
            }
        }
    }

    /// <summary>The network's reward of every transition of the table (tape-free, in batches).</summary>
    public static float[] RawRewards(Sequential net, FeatureTable table)
    {
        var rewards = new float[table.Count];
        const int Chunk = 1024;
        for (var start = 0; start < table.Count; start += Chunk)
        {
            var n = Math.Min(Chunk, table.Count - start);
            net.Predict(table.Rows.AsSpan(start * table.Width, n * table.Width), n, rewards.AsSpan(start, n));
        }

        return rewards;
    }

    /// <summary>The return of <paramref name="segment"/> under per-transition <paramref name="rewards"/>, summed in double.</summary>
    public static double Return(ReadOnlySpan<float> rewards, Segment segment)
    {
        double sum = 0;
        foreach (var r in rewards.Slice(segment.Start, segment.Length))
        {
            sum += r;
        }

        return sum;
    }

    /// <summary>Mean Bradley–Terry loss and accuracy (over strict labels) of the comparisons <paramref name="indices"/>.</summary>
    public static (double Loss, double Accuracy) Evaluate(ReadOnlySpan<float> rewards, IReadOnlyList<Comparison> comparisons, ReadOnlySpan<int> indices)
    {
        if (indices.IsEmpty)
        {
            return (double.NaN, double.NaN);
        }

        double loss = 0;
        int strict = 0, correct = 0;
        foreach (var k in indices)
        {
            var c = comparisons[k];
            var d = Return(rewards, c.A) - Return(rewards, c.B);
            loss += Math.Max(d, 0) + Math.Log(1 + Math.Exp(-Math.Abs(d))) - (c.Label * d);
            if (c.Label != 0.5f)
            {
                strict++;
                if ((d > 0) == (c.Label > 0.5f) && d != 0)
                {
                    correct++;
                }
            }
        }

        return (loss / indices.Length, strict == 0 ? double.NaN : (double)correct / strict);
    }

    /// <summary>Mean and standard deviation (population) of the rewards of every transition covered by the comparisons <paramref name="indices"/>, each transition once.</summary>
    public static (double Mean, double Std) Moments(ReadOnlySpan<float> rewards, IReadOnlyList<Comparison> comparisons, ReadOnlySpan<int> indices)
    {
        var covered = new bool[rewards.Length];
        foreach (var k in indices)
        {
            covered.AsSpan(comparisons[k].A.Start, comparisons[k].A.Length).Fill(true);
            covered.AsSpan(comparisons[k].B.Start, comparisons[k].B.Length).Fill(true);
        }

        double sum = 0, sq = 0;
        var n = 0;
        for (var i = 0; i < rewards.Length; i++)
        {
            if (covered[i])
            {
                sum += rewards[i];
                sq += (double)rewards[i] * rewards[i];
                n++;
            }
        }

        var mean = sum / n;
        return (mean, Math.Sqrt(Math.Max(0, (sq / n) - (mean * mean))));
    }
}
