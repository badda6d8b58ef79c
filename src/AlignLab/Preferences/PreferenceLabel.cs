using AlignLab.Randomness;

namespace AlignLab.Preferences;

/// <summary>A labeller's answer to "which of these two segments is better?".</summary>
/// <param name="Preferred">0 when the first segment is preferred, 1 when the second is.</param>
/// <param name="ProbabilityFirst">The probability with which this labeller prefers the first segment (the label is one draw from it).</param>
/// <param name="Principle">For a constitution, the index of the principle that decided the label; −1 for a tie or another labeller.</param>
public readonly record struct PreferenceLabel(int Preferred, double ProbabilityFirst, int Principle);

/// <summary>
/// Compares two trajectory segments. A labeller is deterministic given the generator it is handed:
/// each comparison draws exactly one uniform number from it, so the same seed and the same
/// segments give the same labels.
/// </summary>
public interface IPreferenceLabeller
{
    /// <summary>The labeller's name as the command line writes it (<c>intended</c>, <c>observed</c>, <c>constitution</c>).</summary>
    string Name { get; }

    /// <summary>Labels one pair.</summary>
    PreferenceLabel Compare(in Segment first, in Segment second, ref Rng rng);
}
