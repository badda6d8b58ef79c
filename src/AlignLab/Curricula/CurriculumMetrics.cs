namespace AlignLab.Curricula;

/// <summary>The metrics a <see cref="CurriculumTrainer"/> reports to its progress callback once per cycle (a recorded run does not store them: the run store accepts a fixed list of names).</summary>
public static class CurriculumMetrics
{
    /// <summary>The curriculum: 0 DR, 1 PLR⊥, 2 ACCEL.</summary>
    public const string Kind = "curriculum/kind";

    /// <summary>α, the probability of a shift-distribution level.</summary>
    public const string Alpha = "curriculum/alpha";

    /// <summary>New-level cycles so far.</summary>
    public const string NewCycles = "curriculum/new_cycles";

    /// <summary>Replay cycles so far.</summary>
    public const string ReplayCycles = "curriculum/replay_cycles";

    /// <summary>Edit cycles so far (ACCEL).</summary>
    public const string EditCycles = "curriculum/edit_cycles";

    /// <summary>Buffer slots holding a scored level.</summary>
    public const string ScoredLevels = "curriculum/scored_levels";

    /// <summary>Mean score of the scored buffer levels.</summary>
    public const string MeanScore = "curriculum/mean_score";
}
