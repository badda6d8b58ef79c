using AlignLab.Randomness;

namespace AlignLab.Preferences;

/// <summary>
/// How often a labeller agrees with the noiseless intended labeller (temperature 0, ε = 0) on
/// pairs of segments. Only pairs whose intended returns differ count (on the others the noiseless
/// labeller flips a coin); on each, agreement is the probability the labeller gives the intended
/// winner (½ for its own ties), so the figure carries no sampling noise from the labeller itself.
/// </summary>
/// <param name="Pairs">The pairs compared.</param>
/// <param name="Decisive">The pairs whose intended returns differ.</param>
/// <param name="Agreement">The mean agreement over the decisive pairs (NaN when there are none).</param>
public readonly record struct LabellerAgreement(int Pairs, int Decisive, double Agreement)
{
    /// <summary>
    /// Measures <paramref name="labeller"/> on <paramref name="batch"/>'s segments taken two by two
    /// (slot 2i against slot 2i + 1). <paramref name="rng"/> feeds the labeller's draws, which do not
    /// change the figure.
    /// </summary>
    public static LabellerAgreement Measure(IPreferenceLabeller labeller, SegmentBatch batch, ref Rng rng)
    {
        ArgumentNullException.ThrowIfNull(labeller);
        ArgumentNullException.ThrowIfNull(batch);
        var pairs = batch.Count / 2;
        var decisive = 0;
        var agreement = 0.0;
        for (var i = 0; i < pairs; i++)
        {
            var first = batch[2 * i];
            var second = batch[(2 * i) + 1];
            var r1 = first.Hidden.IntendedReturn;
            var r2 = second.Hidden.IntendedReturn;
            var label = labeller.Compare(first, second, ref rng);
            if (Math.Abs(r1 - r2) <= ConstitutionLabeller.TieTolerance)
            {
                continue;
            }

            decisive++;
            agreement += r1 > r2 ? label.ProbabilityFirst : 1 - label.ProbabilityFirst;
        }

        return new LabellerAgreement(pairs, decisive, decisive == 0 ? double.NaN : agreement / decisive);
    }
}
