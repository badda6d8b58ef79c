namespace AlignLab.Diagnostics;

/// <summary>How a <see cref="GoalClassification"/> is written in tables, reports and JSON.</summary>
public static class GoalClassificationText
{
    /// <summary>The classification in words: "aligned", "goal misgeneralisation" or "capability failure".</summary>
    public static string Describe(this GoalClassification classification) => classification switch
    {
        GoalClassification.Aligned => "aligned",
        GoalClassification.GoalMisgeneralisation => "goal misgeneralisation",
        _ => "capability failure",
    };
}
