using AlignLab.Grid;
using AlignLab.Nn;
using AlignLab.RewardModels;
using AlignLab.Solve;

namespace AlignLab.Rlhf;

/// <summary>
/// A trained reward ensemble as a transition reward the exact solver tabulates: each batch of enumerated
/// transitions is encoded as the labeller's segments were (<see cref="BoardTransitions"/>) and scored by the
/// ensemble (the mean of its members' normalised rewards).
/// </summary>
internal sealed class EnsembleTransitionReward(RewardEnsemble ensemble, BoardTransitions encoding) : ITransitionReward
{
    private TransitionStore? _store;
    private float[] _scores = [];

    public void Evaluate(TransitionBatch batch, Span<double> rewards)
    {
        if (_store is null || _store.Capacity < batch.Count)
        {
            _store = encoding.CreateStore(Math.Max(batch.Count, batch.Capacity));
            _scores = new float[_store.Capacity];
        }

        encoding.Fill(_store, batch);
        ensemble.Rewards(_store, _scores);
        for (var i = 0; i < batch.Count; i++)
        {
            rewards[i] = _scores[i];
        }
    }
}

/// <summary>
/// An ensemble of linear reward models over [one-hot(o), one-hot(a), one-hot(o′)] folded into one linear map,
/// r = b + Σ_c w_before[c, o[c]] + w_action[a] + Σ_c w_after[c, o′[c]]: a cellwise reward
/// (<see cref="ICellwiseTransitionReward"/>), so the factored tomato model solves it exactly. The folded
/// weights are the mean over members of each member's weights divided by its normalisation scale, and the
/// bias the mean of (bias − shift)/scale: exactly the ensemble's mean normalised reward.
/// </summary>
internal sealed class LinearCellwiseReward : ICellwiseTransitionReward
{
    private readonly double[] _weights;
    private readonly double _bias;
    private readonly sbyte[] _channelOf = new sbyte[256];
    private readonly int _cells;
    private readonly int _channels;
    private readonly int _actions;

    public LinearCellwiseReward(RewardEnsemble ensemble, GridWorld world)
    {
        _cells = world.CellCount;
        _channels = world.Channels;
        _actions = world.ActionLetters.Length;
        var width = (2 * _channels * _cells) + _actions;
        _weights = new double[width];
        Array.Fill(_channelOf, (sbyte)-1);
        for (var c = 0; c < world.ChannelSymbols.Count; c++)
        {
            _channelOf[world.ChannelSymbols[c]] = (sbyte)c;
        }

        foreach (var member in ensemble.Members)
        {
            if (member.Network.Layers is not [Linear { Bias: { } bias } linear] || linear.InFeatures != width)
            {
                throw new ArgumentException("A cellwise reward needs an ensemble of linear models over [o, a, o′].", nameof(ensemble));
            }

            var w = linear.Weight.Value.Span;
            for (var i = 0; i < width; i++)
            {
                _weights[i] += w[i] / member.Scale / ensemble.Members.Count;
            }

            _bias += (bias.Value.Span[0] - member.Shift) / member.Scale / ensemble.Members.Count;
        }
    }

    public double PairTerm(ReadOnlySpan<byte> before, ReadOnlySpan<double> extrasBefore, int action)
    {
        var sum = _bias + _weights[(_channels * _cells) + action];
        for (var i = 0; i < before.Length; i++)
        {
            var channel = _channelOf[before[i]];
            if (channel >= 0)
            {
                sum += _weights[(channel * _cells) + i];
            }
        }

        return sum;
    }

    public double CellTerm(ReadOnlySpan<byte> before, ReadOnlySpan<double> extrasBefore, int action, int cell, byte after)
    {
        var channel = _channelOf[after];
        return channel < 0 ? 0 : _weights[(_channels * _cells) + _actions + (channel * _cells) + cell];
    }

    public void Evaluate(TransitionBatch batch, Span<double> rewards)
    {
        for (var i = 0; i < batch.Count; i++)
        {
            var before = batch.Before(i);
            var after = batch.After(i);
            var action = batch.Actions[i];
            var sum = PairTerm(before, batch.ExtrasBeforeOf(i), action);
            for (var c = 0; c < after.Length; c++)
            {
                sum += CellTerm(before, batch.ExtrasBeforeOf(i), action, c, after[c]);
            }

            rewards[i] = sum;
        }
    }
}
