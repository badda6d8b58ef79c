using AlignLab.Randomness;

namespace AlignLab.Preferences;

/// <summary>
/// AI feedback from written principles. Each principle p scores a segment by its rule, Sₚ; the
/// weighted difference is D = Σₚ wₚ·(Sₚ(first) − Sₚ(second)). The first segment is preferred when
/// D &gt; 0, the second when D &lt; 0; when |D| ≤ 1e-9 it is a tie, broken by a fair coin from the
/// generator. The principle that <em>decided</em> a label is the one with the largest weighted
/// contribution in the direction of the answer, argmaxₚ sign(D)·wₚ·(Sₚ(first) − Sₚ(second)) (the
/// earliest in the file on equal contributions); a tie is decided by none (−1).
/// </summary>
public sealed class ConstitutionLabeller : IPreferenceLabeller
{
    /// <summary>Differences no larger than this count as a tie.</summary>
    public const double TieTolerance = 1e-9;

    private readonly double[] _contributions;

    /// <summary>A labeller that judges by <paramref name="constitution"/>.</summary>
    public ConstitutionLabeller(Constitution constitution)
    {
        ArgumentNullException.ThrowIfNull(constitution);
        Constitution = constitution;
        _contributions = new double[constitution.Principles.Count];
    }

    /// <inheritdoc />
    public string Name => "constitution";

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

        return new PreferenceLabel(sign > 0 ? 0 : 1, sign > 0 ? 1 : 0, decider);
    }
}
