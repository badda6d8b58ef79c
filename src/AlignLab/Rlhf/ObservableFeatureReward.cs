using AlignLab.Grid;
using AlignLab.Preferences;
using AlignLab.RewardModels;
using AlignLab.Solve;

namespace AlignLab.Rlhf;

/// <summary>
/// The readable reward model's features and its learned reward: r = w·φ(o, o′) / scale over the
/// <see cref="ObservableFeatures"/> of a transition, the coordinates constitution rules are written in (tiles entered,
/// left and stood on, tile counts, tiles that appeared or vanished, cells changed, steps). φ reads the two rendered boards
/// only, as the solver enumerates them: the tile under an agent that did not move is not on either board, so
/// <c>stand</c> counts only the tile an agent moves onto, the same in training and when solved.
/// </summary>
internal sealed class ObservableFeatureReward : ITransitionReward
{
    private readonly ObservableFeatures _features;
    private readonly char _agent;
    private readonly double[] _weights;
    private readonly double[] _phi;

    public ObservableFeatureReward(LinearRewardModel model, GridWorld world)
    {
        _features = new ObservableFeatures(world);
        _agent = world.AgentSymbol;
        _weights = [.. model.WeightValues.Select(w => w / model.Model.Scale)];
        _phi = new double[_features.Count];
    }

    /// <summary>The named feature map over raw-board observations (<see cref="BoardTransitions"/> in raw mode) of <paramref name="world"/>.</summary>
    public static FeatureMap Map(GridWorld world)
    {
        var features = new ObservableFeatures(world);
        var agent = world.AgentSymbol;
        var before = new byte[world.CellCount];
        var after = new byte[world.CellCount];
        var phi = new double[features.Count];
        return new FeatureMap(
            [.. features.Terms.Select(t => t.FeatureName)],
            (o, _, next, output) =>
            {
                for (var i = 0; i < before.Length; i++)
                {
                    before[i] = (byte)o[i];
                    after[i] = (byte)next[i];
                }

                features.Compute(before, after, agent, '\0', phi);
                for (var i = 0; i < phi.Length; i++)
                {
                    output[i] = (float)phi[i];
                }
            });
    }

    public void Evaluate(TransitionBatch batch, Span<double> rewards)
    {
        for (var i = 0; i < batch.Count; i++)
        {
            _features.Compute(batch.Before(i), batch.After(i), _agent, '\0', _phi);
            var sum = 0.0;
            for (var k = 0; k < _phi.Length; k++)
            {
                sum += _weights[k] * _phi[k];
            }

            rewards[i] = sum;
        }
    }
}
