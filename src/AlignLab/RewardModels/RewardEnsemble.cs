using AlignLab.Randomness;

namespace AlignLab.RewardModels;

/// <summary>
/// An ensemble of <see cref="RewardModelOptions.EnsembleSize"/> MLP reward models (default 5), each trained on its
/// own bootstrap resample of the training comparisons (as many as there are, drawn with replacement, seeded) and
/// its own initial weights, as in imitation's <c>RewardEnsemble</c>. Its reward is the mean of the members'
/// normalised rewards; its disagreement on a pair of segments is the standard deviation across members of the
/// Bradley–Terry probability P(A ≻ B) (members' raw returns), the uncertainty that active query selection ranks by.
/// </summary>
public sealed class RewardEnsemble
{
    private readonly RewardModel[] _members;
    private readonly ITransitionEncoder _encoder;

    private RewardEnsemble(RewardModel[] members, ITransitionEncoder encoder, int[] validation)
    {
        _members = members;
        _encoder = encoder;
        Validation = validation;
    }

    /// <summary>Gets the members, in training order.</summary>
    public IReadOnlyList<RewardModel> Members => _members;

    /// <summary>Gets the indices of the comparisons held out for validation (shared by every member).</summary>
    public IReadOnlyList<int> Validation { get; }

    /// <summary>
    /// Trains the ensemble. One seeded split holds out <see cref="RewardModelOptions.ValidationFraction"/> of the
    /// comparisons for every member; then each member draws its resample, initial weights and minibatch order from
    /// its own stream split off the seed.
    /// </summary>
    /// <param name="store">The transitions the comparisons' segments refer to.</param>
    /// <param name="comparisons">The labelled comparisons.</param>
    /// <param name="options">Hyper-parameters (<see cref="RewardModelOptions.EnsembleSize"/>, <see cref="RewardModelOptions.Bootstrap"/>, ...).</param>
    /// <returns>The trained ensemble.</returns>
    public static RewardEnsemble Train(TransitionStore store, IReadOnlyList<Comparison> comparisons, RewardModelOptions options)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(options);
        var encoder = new ConcatEncoder(store.ObservationSize, store.ActionCount);
        var table = RewardModel.Prepare(store, comparisons, options, encoder);
        var rng = new Rng(options.Seed);
        var (train, validation) = RewardModel.Split(comparisons.Count, options.ValidationFraction, ref rng);
        var members = new RewardModel[options.EnsembleSize];
        var build = RewardModel.MlpFactory(encoder, options);
        for (var k = 0; k < members.Length; k++)
        {
            // Two streams per member, both split off the seed's: the resample's, and the one for initial weights
            // and minibatch order, which is therefore the same with and without resampling.
            var memberRng = rng.Split();
            var sampleRng = rng.Split();
            var sample = train;
            if (options.Bootstrap)
            {
                sample = new int[train.Length];
                for (var i = 0; i < sample.Length; i++)
                {
                    sample[i] = train[sampleRng.NextInt(train.Length)];
                }
            }

            members[k] = RewardModel.TrainOne(build, encoder, table, comparisons, sample, validation, options, ref memberRng);
        }

        return new RewardEnsemble(members, encoder, validation);
    }

    /// <summary>The ensemble's reward of one transition: the mean of the members' normalised rewards.</summary>
    /// <param name="observation">The observation's features.</param>
    /// <param name="action">The action.</param>
    /// <param name="nextObservation">The next observation's features.</param>
    /// <returns>The mean normalised reward.</returns>
    public float Reward(ReadOnlySpan<float> observation, int action, ReadOnlySpan<float> nextObservation)
    {
        double sum = 0;
        foreach (var m in _members)
        {
            sum += m.Reward(observation, action, nextObservation);
        }

        return (float)(sum / _members.Length);
    }

    /// <summary>
    /// The ensemble's reward of one transition, computed as <see cref="Rewards"/> computes it for a batch (the
    /// members' normalised rewards summed in double, then the mean rounded to float), with each member's network run
    /// on this one row; allocates nothing. Equal to <see cref="Rewards"/> up to the float rounding of the network's
    /// batched arithmetic. Not thread-safe (the members' scratch rows).
    /// </summary>
    internal double StepReward(ReadOnlySpan<float> observation, int action, ReadOnlySpan<float> nextObservation)
    {
        double sum = 0;
        foreach (var m in _members)
        {
            sum += (m.RawReward(observation, action, nextObservation) - m.Shift) / m.Scale;
        }

        return (float)(sum / _members.Length);
    }

    /// <summary>Writes the ensemble's reward of every transition of <paramref name="store"/> into <paramref name="rewards"/>.</summary>
    /// <param name="store">The transitions.</param>
    /// <param name="rewards">Receives <see cref="TransitionStore.Count"/> values.</param>
    public void Rewards(TransitionStore store, Span<float> rewards)
    {
        ArgumentNullException.ThrowIfNull(store);
        if (rewards.Length < store.Count)
        {
            throw new ArgumentException($"Rewards needs room for {store.Count} values, got {rewards.Length}.", nameof(rewards));
        }

        var table = new FeatureTable(store, _encoder);
        var sum = new double[store.Count];
        foreach (var m in _members)
        {
            var raw = m.RawRewards(table);
            for (var i = 0; i < raw.Length; i++)
            {
                sum[i] += (raw[i] - m.Shift) / m.Scale;
            }
        }

        for (var i = 0; i < sum.Length; i++)
        {
            rewards[i] = (float)(sum[i] / _members.Length);
        }
    }

    /// <summary>
    /// The disagreement of the members on each pair: the standard deviation (population, over members) of
    /// P(A ≻ B) = σ(R_A − R_B) with each member's raw returns.
    /// </summary>
    /// <param name="store">The transitions.</param>
    /// <param name="pairs">The candidate pairs.</param>
    /// <param name="disagreements">Receives one value per pair.</param>
    public void Disagreements(TransitionStore store, IReadOnlyList<SegmentPair> pairs, Span<double> disagreements)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(pairs);
        if (disagreements.Length < pairs.Count)
        {
            throw new ArgumentException($"Disagreements needs room for {pairs.Count} values, got {disagreements.Length}.", nameof(disagreements));
        }

        for (var j = 0; j < pairs.Count; j++)
        {
            store.CheckSegment(pairs[j].A, $"pair {j}");
            store.CheckSegment(pairs[j].B, $"pair {j}");
        }

        var table = new FeatureTable(store, _encoder);
        var sum = new double[pairs.Count];
        var sq = new double[pairs.Count];
        foreach (var m in _members)
        {
            var raw = m.RawRewards(table);
            for (var j = 0; j < pairs.Count; j++)
            {
                var p = RewardModel.Sigmoid(PreferenceTrainer.Return(raw, pairs[j].A) - PreferenceTrainer.Return(raw, pairs[j].B));
                sum[j] += p;
                sq[j] += p * p;
            }
        }

        var k = _members.Length;
        for (var j = 0; j < pairs.Count; j++)
        {
            var mean = sum[j] / k;
            disagreements[j] = Math.Sqrt(Math.Max(0, (sq[j] / k) - (mean * mean)));
        }
    }

    /// <summary>The disagreement on one pair (see <see cref="Disagreements"/>).</summary>
    /// <param name="store">The transitions.</param>
    /// <param name="pair">The pair.</param>
    /// <returns>The standard deviation of P(A ≻ B) across members.</returns>
    public double Disagreement(TransitionStore store, SegmentPair pair)
    {
        Span<double> d = stackalloc double[1];
        Disagreements(store, [pair], d);
        return d[0];
    }
}
