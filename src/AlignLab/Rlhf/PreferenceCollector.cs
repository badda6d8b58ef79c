using AlignLab.Grid;
using AlignLab.Preferences;
using AlignLab.Randomness;
using AlignLab.RewardModels;
using AlignLab.Solve;
using PreferenceSegment = AlignLab.Preferences.Segment;
using StoreSegment = AlignLab.RewardModels.Segment;

namespace AlignLab.Rlhf;

/// <summary>
/// The labels of one RLHF run as they accumulate: it draws segments from a behaviour policy, chooses which pairs to
/// ask (the first ones, or the ones a given ensemble disagrees on most), asks the labeller, keeps every chosen
/// segment's transitions, and fits a reward ensemble to every label so far. <see cref="RlhfExperiment"/> calls it
/// once per query round with one behaviour policy; <see cref="RlhfTraining"/> once per iteration with the current
/// agent's policy.
/// </summary>
/// <remarks>
/// The seed is split as it always was: a stream for the segments, one for the labels, then the reward models' seed
/// (the same for every fit). The caller's generator is advanced past these draws, so it can draw more of its own.
/// </remarks>
internal sealed class PreferenceCollector
{
    /// <summary>Candidate pairs whose disagreement is computed at once (bounds the scratch store).</summary>
    private const int DisagreementChunk = 128;

    private readonly GridWorld _world;
    private readonly IPreferenceLabeller _labeller;
    private readonly RlhfOptions _options;
    private readonly BoardTransitions _encoding;
    private readonly TransitionStore _store;
    private readonly RewardModelOptions _modelOptions;
    private readonly int[]? _principles;
    private readonly List<Comparison> _comparisons;
    private Rng _sampling;
    private Rng _labelling;
    private SegmentSampler? _sampler;
    private BoardPolicy? _behaviour;
    private SegmentBatch? _pool;
    private TransitionStore? _scratch;
    private int _agree;
    private int _strict;

    /// <summary>Prepares to collect up to <see cref="RlhfOptions.Comparisons"/> labels on <paramref name="world"/>.</summary>
    /// <param name="world">The world segments are played in.</param>
    /// <param name="labeller">Who compares the segments.</param>
    /// <param name="options">Comparisons in all, selection, segment length, reward model.</param>
    /// <param name="kind">The reward model to fit (linear or MLP).</param>
    /// <param name="rng">The run's generator (seeded with <see cref="RlhfOptions.Seed"/>); advanced past the collector's streams.</param>
    public PreferenceCollector(GridWorld world, IPreferenceLabeller labeller, RlhfOptions options, RewardModelKind kind, ref Rng rng)
    {
        _world = world;
        _labeller = labeller;
        _options = options;
        _sampling = rng.Split();
        _labelling = rng.Split();
        var modelSeed = rng.NextUInt64();
        SegmentLength = options.SegmentLength == 0 ? world.MaxSteps : Math.Min(options.SegmentLength, world.MaxSteps);
        _encoding = new BoardTransitions(world, raw: kind == RewardModelKind.Features);
        _store = _encoding.CreateStore(checked(options.Comparisons * 2 * SegmentLength));
        _modelOptions = options.RewardModel with
        {
            Seed = modelSeed,
            Center = false,
            Hidden = kind == RewardModelKind.Linear ? [] : options.RewardModel.Hidden,
        };
        _principles = labeller is ConstitutionLabeller constitution ? new int[constitution.Constitution.Principles.Count + 1] : null;
        _comparisons = new List<Comparison>(options.Comparisons);
    }

    /// <summary>The most steps a segment has.</summary>
    public int SegmentLength { get; }

    /// <summary>Labels collected so far.</summary>
    public int Count => _comparisons.Count;

    /// <summary>
    /// Asks <paramref name="count"/> more comparisons of segments drawn from <paramref name="behaviour"/> (null:
    /// uniformly random actions). With <paramref name="disagreement"/>, <see cref="RlhfOptions.Oversampling"/>× as
    /// many candidate pairs are drawn and the ones it disagrees on most are asked; without, the first pairs drawn.
    /// </summary>
    public void Collect(int count, BoardPolicy? behaviour, RewardEnsemble? disagreement)
    {
        if (count == 0)
        {
            return;
        }

        if (_comparisons.Count + count > _options.Comparisons)
        {
            throw new InvalidOperationException($"The collector was sized for {_options.Comparisons} comparisons.");
        }

        // A sampler is bound to its behaviour policy; the segment stream continues across samplers.
        if (_sampler is null || !ReferenceEquals(behaviour, _behaviour))
        {
            _sampler = new SegmentSampler(_world, _options.SegmentLength, behaviour, absorbingTermination: true);
            _behaviour = behaviour;
        }

        var candidates = disagreement is null ? count : count * _options.Oversampling;
        if (_pool is null || _pool.Count < 2 * candidates)
        {
            _pool = _sampler.CreateBatch(2 * candidates);
        }

        for (var i = 0; i < 2 * candidates; i++)
        {
            _sampler.Sample(_pool, i, ref _sampling);
        }

        var chosen = disagreement is null
            ? Enumerable.Range(0, count).ToArray()
            : MostDisagreed(disagreement, _pool, candidates, count);
        foreach (var pair in chosen)
        {
            var first = _pool[2 * pair];
            var second = _pool[(2 * pair) + 1];
            var label = _labeller.Compare(first, second, ref _labelling);
            var a = _encoding.Add(_store, first);
            var b = _encoding.Add(_store, second);
            _comparisons.Add(new Comparison(a, b, RlhfExperiment.SoftLabels(_labeller) ? (float)label.ProbabilityFirst : label.Preferred == 0 ? 1f : 0f));
            if (_principles is not null)
            {
                _principles[label.Principle < 0 ? _principles.Length - 1 : label.Principle]++;
            }

            var intended = first.Hidden.IntendedReturn - second.Hidden.IntendedReturn;
            if (intended != 0)
            {
                _strict++;
                _agree += (intended > 0) == (label.Preferred == 0) ? 1 : 0;
            }
        }
    }

    /// <summary>Fits a reward ensemble to every label so far (the same model seed every time).</summary>
    public RewardEnsemble Fit() => RewardEnsemble.Train(_store, _comparisons, _modelOptions);

    /// <summary>Fits the readable linear model over observable features to every label so far (raw-board encoding).</summary>
    public LinearRewardModel FitReadable() => LinearRewardModel.Train(_store, ObservableFeatureReward.Map(_world), _comparisons, _modelOptions);

    /// <summary>The labels so far, with <paramref name="ensemble"/> fitted to them.</summary>
    public LearnedReward Result(RewardEnsemble ensemble) =>
        new(ensemble, _comparisons.Count, AgreementWithIntended, Principles);

    /// <summary>Share of labels so far preferring the higher intended return (pairs whose intended returns differ).</summary>
    public double AgreementWithIntended => _strict == 0 ? double.NaN : (double)_agree / _strict;

    /// <summary>For a constitution, labels decided by each principle, then ties (last); null otherwise.</summary>
    public int[]? Principles => _principles is null ? null : (int[])_principles.Clone();

    /// <summary>The <paramref name="count"/> candidate pairs (of <paramref name="candidates"/>) with the highest ensemble disagreement, highest first; ties to the earlier pair.</summary>
    private int[] MostDisagreed(RewardEnsemble ensemble, SegmentBatch pool, int candidates, int count)
    {
        var scratch = _scratch ??= _encoding.CreateStore(2 * DisagreementChunk * SegmentLength);
        var disagreement = new double[candidates];
        var pairs = new List<SegmentPair>(DisagreementChunk);
        for (var start = 0; start < candidates; start += DisagreementChunk)
        {
            var n = Math.Min(DisagreementChunk, candidates - start);
            scratch.Clear();
            pairs.Clear();
            for (var j = 0; j < n; j++)
            {
                PreferenceSegment first = pool[2 * (start + j)];
                PreferenceSegment second = pool[(2 * (start + j)) + 1];
                StoreSegment a = _encoding.Add(scratch, first);
                StoreSegment b = _encoding.Add(scratch, second);
                pairs.Add(new SegmentPair(a, b));
            }

            ensemble.Disagreements(scratch, pairs, disagreement.AsSpan(start, n));
        }

        var ranked = Enumerable.Range(0, candidates).ToArray();
        Array.Sort(ranked, (x, y) => disagreement[y] != disagreement[x] ? disagreement[y].CompareTo(disagreement[x]) : x.CompareTo(y));
        return ranked[..count];
    }
}
