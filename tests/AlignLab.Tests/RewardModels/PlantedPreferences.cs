using AlignLab.Randomness;
using AlignLab.RewardModels;

namespace AlignLab.Tests.RewardModels;

/// <summary>
/// Synthetic preference data: random transitions with Gaussian observation features, segments of equal length,
/// and comparisons labelled by a planted reward r*(o, a, o′) = w·o + v·o′ + u[a] (1 when A's return is higher).
/// </summary>
internal sealed class PlantedPreferences
{
    public PlantedPreferences(int observationSize, int actionCount, int segments, int segmentLength, int comparisons, ulong seed, int trainSegments = 0)
    {
        var rng = new Rng(seed);
        ObservationSize = observationSize;
        Store = new TransitionStore(observationSize, actionCount, segments * segmentLength);
        W = Gaussian(ref rng, observationSize);
        V = Gaussian(ref rng, observationSize);
        U = Gaussian(ref rng, actionCount);
        var o = new float[observationSize];
        var next = new float[observationSize];
        TrueRewards = new double[segments * segmentLength];
        for (var t = 0; t < TrueRewards.Length; t++)
        {
            Fill(ref rng, o);
            Fill(ref rng, next);
            var a = rng.NextInt(actionCount);
            Store.Add(o, a, next);
            TrueRewards[t] = TrueReward(o, a, next);
        }

        Segments = [.. Enumerable.Range(0, segments).Select(s => new Segment(s * segmentLength, segmentLength))];
        TrainSegments = trainSegments > 0 ? trainSegments : segments;
        var list = new Comparison[comparisons];
        for (var i = 0; i < comparisons; i++)
        {
            list[i] = Labelled(RandomPair(ref rng, 0, TrainSegments));
        }

        Comparisons = list;
    }

    public int ObservationSize { get; }

    public TransitionStore Store { get; }

    public float[] W { get; }

    public float[] V { get; }

    public float[] U { get; }

    public double[] TrueRewards { get; }

    public Segment[] Segments { get; }

    public Comparison[] Comparisons { get; }

    /// <summary>Gets how many of the first segments the comparisons use; the rest are never trained on.</summary>
    public int TrainSegments { get; }

    public double TrueReward(ReadOnlySpan<float> o, int a, ReadOnlySpan<float> next)
    {
        double r = U[a];
        for (var i = 0; i < o.Length; i++)
        {
            r += (W[i] * o[i]) + (V[i] * next[i]);
        }

        return r;
    }

    public double TrueReturn(Segment s) => TrueRewards.AsSpan(s.Start, s.Length).ToArray().Sum();

    /// <summary>Two distinct segments among segments [from, to).</summary>
    public SegmentPair RandomPair(ref Rng rng, int from, int to)
    {
        var n = to - from;
        var a = rng.NextInt(n);
        var b = (a + 1 + rng.NextInt(n - 1)) % n;
        return new SegmentPair(Segments[from + a], Segments[from + b]);
    }

    public Comparison Labelled(SegmentPair p) => new(p.A, p.B, TrueReturn(p.A) > TrueReturn(p.B) ? 1f : 0f);

    public static float[] Gaussian(ref Rng rng, int n)
    {
        var x = new float[n];
        Fill(ref rng, x);
        return x;
    }

    private static void Fill(ref Rng rng, Span<float> x)
    {
        for (var i = 0; i < x.Length; i++)
        {
            x[i] = (float)rng.NextGaussian();
        }
    }
}
