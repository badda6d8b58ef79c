using AlignLab.Agents;
using AlignLab.Errors;
using AlignLab.Nn;
using AlignLab.Randomness;

namespace AlignLab.RewardModels;

/// <summary>
/// A reward model r(o, a, o′) learned from preferences between segments (Christiano et al. 2017): an MLP over
/// [o, one-hot(a), o′] (or a linear map over caller features, see <see cref="LinearRewardModel"/>), whose segment
/// return is the sum of r over the segment's transitions, trained with the Bradley–Terry cross-entropy
/// −[y·log σ(R_A − R_B) + (1 − y)·log σ(R_B − R_A)] and AdamW.
/// </summary>
/// <remarks>
/// <para>
/// <b>Output normalisation.</b> After training, the reward is shifted and scaled to zero mean and unit standard
/// deviation over the training transitions (each transition covered by a training comparison counted once):
/// <see cref="Reward"/> = (raw − <see cref="Shift"/>) / <see cref="Scale"/>. A positive affine map keeps the
/// order of any two transitions and of any two segments of equal length (the shift adds the same amount to both
/// returns), so it does not change which of two equal-length segments is preferred; it does change the
/// Bradley–Terry probabilities, so <see cref="PreferenceProbability"/> uses the raw, trained scale.
/// </para>
/// <para>A model is not thread-safe: inference reuses scratch buffers.</para>
/// </remarks>
public sealed class RewardModel
{
    private readonly Sequential _net;
    private readonly ITransitionEncoder _encoder;
    private readonly float[] _row;
    private readonly float[] _out = new float[1];

    private RewardModel(Sequential net, ITransitionEncoder encoder, double shift, double scale, RewardTrainingReport report)
    {
        _net = net;
        _encoder = encoder;
        _row = new float[encoder.Width];
        Shift = shift;
        Scale = scale;
        Report = report;
    }

    /// <summary>Gets the mean raw reward over the training transitions, subtracted by <see cref="Reward"/> (0 when <see cref="RewardModelOptions.Center"/> is off).</summary>
    public double Shift { get; }

    /// <summary>Gets the standard deviation of the raw reward over the training transitions (1 if it was 0), divided out by <see cref="Reward"/>.</summary>
    public double Scale { get; }

    /// <summary>Gets the losses and accuracy measured after training.</summary>
    public RewardTrainingReport Report { get; }

    /// <summary>Gets the network (for tests and checkpoints).</summary>
    internal Sequential Network => _net;

    /// <summary>
    /// Trains a single MLP reward model on <paramref name="comparisons"/> (no resampling); a seeded
    /// <see cref="RewardModelOptions.ValidationFraction"/> of them is held out for the report.
    /// </summary>
    /// <param name="store">The transitions the comparisons' segments refer to.</param>
    /// <param name="comparisons">The labelled comparisons.</param>
    /// <param name="options">Hyper-parameters.</param>
    /// <returns>The trained, normalised model.</returns>
    public static RewardModel Train(TransitionStore store, IReadOnlyList<Comparison> comparisons, RewardModelOptions options)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(options);
        var encoder = new ConcatEncoder(store.ObservationSize, store.ActionCount);
        var table = Prepare(store, comparisons, options, encoder);
        var rng = new Rng(options.Seed);
        var (train, validation) = Split(comparisons.Count, options.ValidationFraction, ref rng);
        return TrainOne(MlpFactory(encoder, options), encoder, table, comparisons, train, validation, options, ref rng);
    }

    /// <summary>The normalised reward of one transition (zero mean, unit deviation over the training transitions).</summary>
    /// <param name="observation">The observation's features.</param>
    /// <param name="action">The action.</param>
    /// <param name="nextObservation">The next observation's features.</param>
    /// <returns>(raw − <see cref="Shift"/>) / <see cref="Scale"/>.</returns>
    public float Reward(ReadOnlySpan<float> observation, int action, ReadOnlySpan<float> nextObservation) =>
        (float)((RawReward(observation, action, nextObservation) - Shift) / Scale);

    /// <summary>The reward of one transition on the scale the model was trained on (before normalisation).</summary>
    /// <param name="observation">The observation's features.</param>
    /// <param name="action">The action.</param>
    /// <param name="nextObservation">The next observation's features.</param>
    /// <returns>The network's output.</returns>
    public float RawReward(ReadOnlySpan<float> observation, int action, ReadOnlySpan<float> nextObservation)
    {
        _encoder.Check(observation, action, nextObservation);
        _encoder.Encode(observation, action, nextObservation, _row);
        _net.Predict(_row, _out);
        return _out[0];
    }

    /// <summary>Writes the normalised reward of every transition of <paramref name="store"/> into <paramref name="rewards"/>.</summary>
    /// <param name="store">The transitions.</param>
    /// <param name="rewards">Receives <see cref="TransitionStore.Count"/> values.</param>
    public void Rewards(TransitionStore store, Span<float> rewards)
    {
        ArgumentNullException.ThrowIfNull(store);
        if (rewards.Length < store.Count)
        {
            throw new ArgumentException($"Rewards needs room for {store.Count} values, got {rewards.Length}.", nameof(rewards));
        }

        var raw = RawRewards(new FeatureTable(store, _encoder));
        for (var i = 0; i < raw.Length; i++)
        {
            rewards[i] = (float)((raw[i] - Shift) / Scale);
        }
    }

    /// <summary>The normalised return of <paramref name="segment"/>: the sum of <see cref="Reward"/> over its transitions.</summary>
    /// <param name="store">The transitions.</param>
    /// <param name="segment">The segment.</param>
    /// <returns>The return.</returns>
    public double SegmentReturn(TransitionStore store, Segment segment)
    {
        ArgumentNullException.ThrowIfNull(store);
        store.CheckSegment(segment, "SegmentReturn");
        double sum = 0;
        for (var i = segment.Start; i < segment.Start + segment.Length; i++)
        {
            sum += Reward(store.Observation(i), store.Action(i), store.NextObservation(i));
        }

        return sum;
    }

    /// <summary>The Bradley–Terry probability σ(R_A − R_B) that <paramref name="pair"/>.A is preferred, with the raw (trained) returns.</summary>
    /// <param name="store">The transitions.</param>
    /// <param name="pair">The two segments.</param>
    /// <returns>A probability in [0, 1].</returns>
    public double PreferenceProbability(TransitionStore store, SegmentPair pair)
    {
        ArgumentNullException.ThrowIfNull(store);
        store.CheckSegment(pair.A, "PreferenceProbability");
        store.CheckSegment(pair.B, "PreferenceProbability");
        return Sigmoid(RawReturn(store, pair.A) - RawReturn(store, pair.B));
    }

    internal static double Sigmoid(double d) => d >= 0 ? 1 / (1 + Math.Exp(-d)) : Math.Exp(d) / (1 + Math.Exp(d));

    /// <summary>The raw reward of every row of <paramref name="table"/>.</summary>
    internal float[] RawRewards(FeatureTable table) => PreferenceTrainer.RawRewards(_net, table);

    /// <summary>Checks the options and the comparisons and computes every transition's input row.</summary>
    internal static FeatureTable Prepare(TransitionStore store, IReadOnlyList<Comparison> comparisons, RewardModelOptions options, ITransitionEncoder encoder)
    {
        ArgumentNullException.ThrowIfNull(comparisons);
        options.Validate();
        if (comparisons.Count == 0)
        {
            throw new UserInputException("reward model: there are no comparisons to train on.");
        }

        for (var i = 0; i < comparisons.Count; i++)
        {
            var c = comparisons[i];
            store.CheckSegment(c.A, $"comparison {i}");
            store.CheckSegment(c.B, $"comparison {i}");
            if (!(c.Label >= 0f && c.Label <= 1f))
            {
                throw new UserInputException($"comparison {i}: the label {c.Label} is not a probability in [0, 1].");
            }
        }

        return new FeatureTable(store, encoder);
    }

    /// <summary>A seeded split of <paramref name="count"/> comparisons: round(fraction·count) held out (at least one comparison stays for training).</summary>
    internal static (int[] Train, int[] Validation) Split(int count, double fraction, ref Rng rng)
    {
        var order = new int[count];
        for (var i = 0; i < count; i++)
        {
            order[i] = i;
        }

        for (var i = count - 1; i > 0; i--)
        {
            var j = rng.NextInt(i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }

        var held = Math.Min(count - 1, (int)Math.Round(fraction * count));
        return (order[held..], order[..held]);
    }

    /// <summary>Builds the MLP [o, one-hot a, o′] → hidden → 1.</summary>
    internal static Func<Random, Sequential> MlpFactory(ITransitionEncoder encoder, RewardModelOptions options) =>
        init => Nets.Mlp(encoder.Width, options.Hidden, 1, options.Activation, init);

    /// <summary>Trains one network on the comparisons <paramref name="train"/> (indices), then normalises and reports.</summary>
    internal static RewardModel TrainOne(
        Func<Random, Sequential> build, ITransitionEncoder encoder, FeatureTable table, IReadOnlyList<Comparison> comparisons,
        int[] train, int[] validation, RewardModelOptions options, ref Rng rng)
    {
        var net = build(NeuralAgentSupport.InitRandom(rng.NextUInt64()));
        var trainer = new PreferenceTrainer(net, table, comparisons, options.BatchSize, options.LearningRate, options.WeightDecay);
        trainer.Train(train, options.Epochs, options.BatchSize, ref rng);
        var raw = PreferenceTrainer.RawRewards(net, table);
        var (trainLoss, _) = PreferenceTrainer.Evaluate(raw, comparisons, train);
        var (valLoss, valAccuracy) = PreferenceTrainer.Evaluate(raw, comparisons, validation);
        var (mean, std) = PreferenceTrainer.Moments(raw, comparisons, train);
        var report = new RewardTrainingReport(trainLoss, valLoss, valAccuracy, train.Length, validation.Length, trainer.Steps);
        return new RewardModel(net, encoder, options.Center ? mean : 0, std > 0 ? std : 1, report);
    }

    private double RawReturn(TransitionStore store, Segment segment)
    {
        double sum = 0;
        for (var i = segment.Start; i < segment.Start + segment.Length; i++)
        {
            sum += RawReward(store.Observation(i), store.Action(i), store.NextObservation(i));
        }

        return sum;
    }
}
