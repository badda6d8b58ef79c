using System.Globalization;

namespace AlignLab.Preferences;

/// <summary>
/// One term of a rule in the observable feature language: a <see cref="FeatureKind"/>, the board
/// symbol it is about (for the tile kinds), the direction the agent must be moving (for
/// <see cref="FeatureKind.Enter"/> and <see cref="FeatureKind.Leave"/>, optional), and the score
/// each occurrence adds. Terms are what constitution principles and a scenario's
/// <c>observed:</c> proxy are written in, and the coordinates of <see cref="ObservableFeatures"/>.
/// </summary>
/// <param name="Kind">What is counted.</param>
/// <param name="Symbol">The board character of the tile, or <c>'\0'</c> for the kinds that name no tile.</param>
/// <param name="Moving">The move letter (U, D, L or R) the agent's visible displacement must have, or <c>'\0'</c> for any.</param>
/// <param name="Score">What each occurrence adds to the rule's value (negative for what is discouraged).</param>
public readonly record struct FeatureTerm(FeatureKind Kind, char Symbol, char Moving, double Score)
{
    /// <summary>Whether a kind names a tile.</summary>
    public static bool NamesTile(FeatureKind kind) => kind is not (FeatureKind.Changed or FeatureKind.Steps or FeatureKind.DistinctCells);

    /// <summary>Whether a kind can be restricted to a direction of movement.</summary>
    public static bool TakesDirection(FeatureKind kind) => kind is FeatureKind.Enter or FeatureKind.Leave;

    /// <summary>The key that writes a kind in YAML (<c>enter</c>, <c>distinct_cells</c>, ...).</summary>
    public static string KeyOf(FeatureKind kind) => kind switch
    {
        FeatureKind.DistinctCells => "distinct_cells",
        _ => kind.ToString().ToLowerInvariant(),
    };

    /// <summary>The feature without its score, as a person would read it: <c>enter '&gt;' moving R</c>.</summary>
    public string FeatureName =>
        !NamesTile(Kind) ? KeyOf(Kind)
        : Moving == '\0' ? $"{KeyOf(Kind)} '{Symbol}'"
        : $"{KeyOf(Kind)} '{Symbol}' moving {Moving}";

    /// <inheritdoc />
    public override string ToString() => Score == 1 ? FeatureName : $"{Score.ToString("R", CultureInfo.InvariantCulture)} × {FeatureName}";
}
