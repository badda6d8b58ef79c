namespace AlignLab.Curricula;

/// <summary>The score a PLR⊥ or ACCEL buffer ranks its levels by: how much the current policy still has to learn there.</summary>
public enum LevelScoreKind
{
    /// <summary>
    /// The exact oracle regret: the solver's optimal expected return on the level minus the policy's exact expected return
    /// there (both of the specified reward, computed by <see cref="Solve.ExactSolution"/>); never negative.
    /// </summary>
    Exact,

    /// <summary>Positive value loss (Jiang et al. 2021): the mean over the cycle's steps on the level of max(GAE advantage, 0).</summary>
    Pvl,

    /// <summary>
    /// MaxMC (Jiang et al. 2021): the mean over the cycle's steps of R_max − V(s_t), R_max the highest discounted episode
    /// return ever reached on the level (max-latest: the best return seen, against the latest values).
    /// </summary>
    MaxMc,
}
