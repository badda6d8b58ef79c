namespace AlignLab.Curricula;

/// <summary>How the levels a PPO agent trains on are chosen, cycle by cycle (Sadek et al. 2025; jaxgmg's <c>--ued</c>).</summary>
public enum CurriculumKind
{
    /// <summary>Domain randomisation: every cycle each environment gets a fresh level from the α-mixture, and every cycle trains.</summary>
    Dr,

    /// <summary>Robust prioritised level replay, PLR⊥ (Jiang et al. 2021): new levels are only scored; gradient updates come from replayed buffer levels.</summary>
    Plr,

    /// <summary>ACCEL (Parker-Holder et al. 2022): PLR⊥ whose replayed levels are then edited, the edited children scored and offered to the buffer.</summary>
    Accel,
}
