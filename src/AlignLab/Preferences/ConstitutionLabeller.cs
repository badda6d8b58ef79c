using AlignLab.Randomness;

namespace AlignLab.Preferences;

/// <summary>
/// AI feedback from written principles. Each principle p scores a segment by its rule, Sₚ; the
/// weighted difference is D = Σₚ wₚ·(Sₚ(first) − Sₚ(second)). The first segment is preferred when
/// D &gt; 0, the second when D &lt; 0; when |D| ≤ 1e-9 it is a tie, broken by a fair coin from the
/// generator. The principle that <em>decided</em> a label is the one with the largest weighted
/// contribution in the direction of the answer, argmaxₚ sign(D)·wₚ·(Sₚ(first) − Sₚ(second)) (the
/// earliest in the file on equal contributions); a tie is decided by none (−1). With a temperature T &gt; 0
/// the label also carries how strongly the principles prefer the first segment, σ(D/T), as
/// Constitutional AI's feedback model gives a normalised probability that the preference model
/// trains on as a soft target (Bai et al. 2022, §4.1); with T = 0 (the default) that probability is 1 or 0.
/// </summary>
public sealed class ConstitutionLabeller : IPreferenceLabeller
{
    /// <summary>Differences no larger than this count as a tie.</summary>
    public const double TieTolerance = 1e-9;

    private readonly double[] _contributions;

    /// <summary>A labeller that judges by <paramref name="constitution"/>, with soft probabilities σ(D/<paramref name="temperature"/>) when the temperature is positive.</summary>
    public ConstitutionLabeller(Constitution constitution, double temperature = 0)
    {
        ArgumentNullException.ThrowIfNull(constitution);
        if (!(temperature >= 0) || double.IsInfinity(temperature))
        {
            throw new Errors.UserInputException($"the constitution labeller's temperature must be a finite number ≥ 0, not {temperature}.");
        }

        Constitution = constitution;
        Temperature = temperature;
        _contributions = new double[constitution.Principles.Count];
    }

    /// <inheritdoc />
    public string Name => "constitution";

    /// <summary>The temperature of the soft probability σ(D/T); 0 for hard answers.</summary>
    public double Temperature { get; }

    /// <summary>The principles judged by.</summary>
    public Constitution Constitution { get; }

    /// <summary>
    /// The weighted contribution of each principle to D for the last comparison, wₚ·(Sₚ(first) − Sₚ(second));
    /// valid until the next <see cref="Compare"/>.
    /// </summary>
    public ReadOnlySpan<double> LastContributions => _contributions;

    /// <inheritdoc />
    public PreferenceLabel Compare(in Segment first, in Segment second, ref Rng rng)
    {
        var principles = Constitution.Principles;
        var total = 0.0;
        for (var p = 0; p < principles.Count; p++)
        {
            var principle = principles[p];
            var contribution = principle.Weight * (principle.Rule.Evaluate(first) - principle.Rule.Evaluate(second));
            _contributions[p] = contribution;
            total += contribution;
        }

        var u = rng.NextDouble();
        if (Math.Abs(total) <= TieTolerance)
        {
            return new PreferenceLabel(u < 0.5 ? 0 : 1, 0.5, -1);
        }

        var sign = Math.Sign(total);
        var decider = 0;
        for (var p = 1; p < principles.Count; p++)
        {
            if (sign * _contributions[p] > sign * _contributions[decider])
            {
                decider = p;
            }
        }

        return new PreferenceLabel(sign > 0 ? 0 : 1, BradleyTerryLabeller.Sigmoid(total, Temperature), decider);
    }
}
