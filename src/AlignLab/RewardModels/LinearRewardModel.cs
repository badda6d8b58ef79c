using System.Globalization;
using System.Text;
using AlignLab.Nn;
using AlignLab.Randomness;

namespace AlignLab.RewardModels;

/// <summary>
/// A readable reward model r = w·φ(o, a, o′) over caller-supplied named features, trained with the same
/// Bradley–Terry loss, optimiser and normalisation as <see cref="RewardModel"/>. It has no bias (a constant reward
/// cancels out of every comparison of equal-length segments) and starts from w = 0, so the trained
/// <see cref="Weights"/> say directly which features the preferences reward, up to a positive scale.
/// </summary>
public sealed class LinearRewardModel
{
    private LinearRewardModel(RewardModel model, FeatureMap features, float[] weights)
    {
        Model = model;
        Features = features;
        WeightValues = weights;
    }

    /// <summary>Gets the underlying model (its <see cref="RewardModel.Reward"/> is the normalised w·φ).</summary>
    public RewardModel Model { get; }

    /// <summary>Gets the features.</summary>
    public FeatureMap Features { get; }

    /// <summary>Gets the learned weights (raw, before normalisation), one per feature in <see cref="FeatureMap.Names"/> order.</summary>
    public IReadOnlyList<float> WeightValues { get; }

    /// <summary>Gets the learned weights by feature name, in feature order.</summary>
    public IReadOnlyList<KeyValuePair<string, float>> Weights =>
        [.. Features.Names.Select((name, i) => new KeyValuePair<string, float>(name, WeightValues[i]))];

    /// <summary>Trains the model on <paramref name="comparisons"/> (no resampling; a seeded validation split as in <see cref="RewardModel.Train"/>).</summary>
    /// <param name="store">The transitions the comparisons' segments refer to.</param>
    /// <param name="features">The named features φ.</param>
    /// <param name="comparisons">The labelled comparisons.</param>
    /// <param name="options">Hyper-parameters (the hidden sizes and activation are not used).</param>
    /// <returns>The trained model.</returns>
    public static LinearRewardModel Train(TransitionStore store, FeatureMap features, IReadOnlyList<Comparison> comparisons, RewardModelOptions options)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(options);
        var encoder = new FeatureMapEncoder(features);
        var table = RewardModel.Prepare(store, comparisons, options, encoder);
        var rng = new Rng(options.Seed);
        var (train, validation) = RewardModel.Split(comparisons.Count, options.ValidationFraction, ref rng);
        Linear? layer = null;
        var model = RewardModel.TrainOne(
            init =>
            {
                layer = new Linear(encoder.Width, 1, init, bias: false);
                layer.Weight.Value.Fill(0f);
                return new Sequential([encoder.Width], ("linear", layer));
            },
            encoder, table, comparisons, train, validation, options, ref rng);
        return new LinearRewardModel(model, features, layer!.Weight.Value.Values.ToArray());
    }

    /// <summary>The learned weights as text, one "name  weight" line per feature, largest magnitude first.</summary>
    /// <returns>The table.</returns>
    public string Describe()
    {
        var width = Features.Names.Max(n => n.Length);
        var sb = new StringBuilder();
        foreach (var (name, w) in Weights.OrderByDescending(kv => Math.Abs(kv.Value)).ThenBy(kv => kv.Key, StringComparer.Ordinal))
        {
            sb.Append(name.PadRight(width)).Append("  ").AppendLine(w.ToString("+0.0000;-0.0000", CultureInfo.InvariantCulture));
        }

        return sb.ToString();
    }
}
