namespace AlignLab.Nn;

/// <content>
/// Ops for learning a reward from preferences: <see cref="SegmentSum"/> (the return of each segment of
/// per-transition rewards) and <see cref="BradleyTerryLoss"/> (the cross-entropy of preference labels under the
/// Bradley–Terry model P(A ≻ B) = σ(R_A − R_B)).
/// </content>
public sealed unsafe partial class Graph
{
    /// <summary>
    /// Sums contiguous ranges of <paramref name="x"/> (read as a flat vector): output s is
    /// Σ x[starts[s] … starts[s] + lengths[s] − 1] → [segments]. Ranges may overlap or leave elements out; an
    /// element left out gets no gradient.
    /// </summary>
    /// <param name="x">The per-step values, e.g. rewards [transitions, 1]; read flat.</param>
    /// <param name="starts">The first element of each segment.</param>
    /// <param name="lengths">The length of each segment (at least 1), as many as <paramref name="starts"/>.</param>
    /// <returns>The segment sums, [segments].</returns>
    public Var SegmentSum(Var x, ReadOnlySpan<int> starts, ReadOnlySpan<int> lengths)
    {
        Check(x, nameof(x));
        if (starts.Length != lengths.Length || starts.Length == 0)
        {
            throw ShapeError("SegmentSum", $"needs as many starts as lengths (at least one), got {starts.Length} and {lengths.Length}");
        }

        var n = x.Value.Length;
        var s = starts.Length;
        var v = NewNode("SegmentSum", &SegmentSumBackward, x.RequiresGrad);
        v.Input = x;

        // Indices holds the starts, then the lengths.
        if (v.Indices.Length < 2 * s)
        {
            v.Indices = new int[2 * s];
        }

        for (var i = 0; i < s; i++)
        {
            if (starts[i] < 0 || lengths[i] < 1 || starts[i] > n - lengths[i])
            {
                throw new ArgumentOutOfRangeException(nameof(starts), $"SegmentSum: segment {i} [{starts[i]}, +{lengths[i]}) is empty or outside [0,{n}).");
            }

            v.Indices[i] = starts[i];
            v.Indices[s + i] = lengths[i];
        }

        var y = W(Output(v, [s]));
        var xv = x.Value.Values;
        for (var i = 0; i < s; i++)
        {
            // Sequential float32 sum in a fixed order (deterministic, and the lengths are short).
            var sum = 0f;
            var seg = xv.Slice(starts[i], lengths[i]);
            for (var t = 0; t < seg.Length; t++)
            {
                sum += seg[t];
            }

            y[i] = sum;
        }

        return v;
    }

    /// <summary>dx[t] += dy[s] for every t in segment s.</summary>
    private static void SegmentSumBackward(Var v, ReadOnlySpan<float> dy)
    {
        var s = dy.Length;
        var dx = G(v.Input);
        for (var i = 0; i < s; i++)
        {
            var seg = dx.Slice(v.Indices[i], v.Indices[s + i]);
            var g = dy[i];
            for (var t = 0; t < seg.Length; t++)
            {
                seg[t] += g;
            }
        }
    }

    /// <summary>
    /// The Bradley–Terry preference loss, averaged over the comparisons → scalar: with d = R_A − R_B and label y
    /// (the probability that A is preferred), −[y·log σ(d) + (1 − y)·log σ(−d)], computed stably as
    /// softplus(d) − y·d with softplus(d) = max(d, 0) + log(1 + e^−|d|) (finite for any finite d).
    /// </summary>
    /// <param name="returnsA">The returns R_A of the first segments, [comparisons].</param>
    /// <param name="returnsB">The returns R_B of the second segments, same shape.</param>
    /// <param name="labels">One label in [0, 1] per comparison (1: A preferred, 0: B preferred, 0.5: no preference).</param>
    /// <returns>The mean loss.</returns>
    public Var BradleyTerryLoss(Var returnsA, Var returnsB, ReadOnlySpan<float> labels)
    {
        Check(returnsA, nameof(returnsA));
        Check(returnsB, nameof(returnsB));
        if (returnsA.Value.Rank != 1 || !returnsA.Value.HasShape(returnsB.Shape) || labels.Length != returnsA.Shape[0] || labels.Length == 0)
        {
            throw ShapeError("BradleyTerryLoss", $"needs returns [n] and [n] and n labels (n ≥ 1), got {Fmt(returnsA)}, {Fmt(returnsB)} and {labels.Length} labels");
        }

        var n = labels.Length;
        var v = NewNode("BradleyTerryLoss", &BradleyTerryLossBackward, returnsA.RequiresGrad || returnsB.RequiresGrad);
        v.Input = returnsA;
        v.Other = returnsB;
        Output(v, []);

        // Diff holds the labels, Probs σ(R_A − R_B), for the backward pass.
        var y = Var.Ensure(ref v.Diff, n);
        var p = Var.Ensure(ref v.Probs, n);
        var ra = returnsA.Value.Values;
        var rb = returnsB.Value.Values;
        double sum = 0;
        for (var i = 0; i < n; i++)
        {
            var label = labels[i];
            if (!(label >= 0f && label <= 1f))
            {
                throw new ArgumentOutOfRangeException(nameof(labels), $"BradleyTerryLoss: label {label} at {i} is outside [0,1].");
            }

            y[i] = label;
            double d = ra[i] - rb[i];
            var ad = Math.Abs(d);
            var e = Math.Exp(-ad);
            sum += Math.Max(d, 0.0) + Math.Log(1.0 + e) - (label * d);
            p[i] = (float)(d >= 0 ? 1.0 / (1.0 + e) : e / (1.0 + e));
        }

        v.ValueRef.Data[0] = (float)(sum / n);
        return v;
    }

    /// <summary>dR_A += dy/n · (σ(d) − y), dR_B −= the same.</summary>
    private static void BradleyTerryLossBackward(Var v, ReadOnlySpan<float> dy)
    {
        var n = v.Input!.Value.Length;
        var scale = dy[0] / n;
        var da = G(v.Input);
        var db = G(v.Other);
        for (var i = 0; i < n; i++)
        {
            var g = (v.Probs[i] - v.Diff[i]) * scale;
            if (!da.IsEmpty)
            {
                da[i] += g;
            }

            if (!db.IsEmpty)
            {
                db[i] -= g;
            }
        }
    }
}
