using System.Globalization;
using System.Text.Json.Nodes;
using AlignLab.Errors;

namespace AlignLab.Curricula;

/// <summary>
/// Every setting of a curriculum. The PLR⊥ and ACCEL defaults are jaxgmg's (<c>jaxgmg/cli/train.py</c>, the version
/// Sadek et al. 2025 ran: <c>plr_buffer_size = 4096</c>, <c>plr_temperature = 0.1</c>, <c>plr_staleness_coeff = 0.1</c>,
/// <c>plr_prob_replay = 0.5</c>, <c>num_mutate_steps = 12</c> with <c>chain_mutate</c>); rank prioritisation is Jiang et
/// al. 2021's.
/// </summary>
public sealed record CurriculumOptions
{
    /// <summary>The curriculum: domain randomisation, PLR⊥ or ACCEL.</summary>
    public CurriculumKind Kind { get; init; } = CurriculumKind.Dr;

    /// <summary>
    /// α: the probability that a newly generated level comes from <see cref="ShiftDistribution"/> (the distribution that
    /// tells the goals apart) instead of <c>train</c> (jaxgmg's <c>prob_shift</c>). For ACCEL it is also the probability
    /// that one edit may move the goal object (jaxgmg's <c>prob_mutate_shift</c>, which Sadek et al. set equal to it);
    /// the other edits only add or remove walls. In [0, 1].
    /// </summary>
    public double Alpha { get; init; }

    /// <summary>The scenario's generated distribution the α-fraction of levels is drawn from (the deployment distribution by default).</summary>
    public string ShiftDistribution { get; init; } = "deploy";

    /// <summary>What PLR⊥ and ACCEL rank their buffer by (ignored by DR).</summary>
    public LevelScoreKind Score { get; init; } = LevelScoreKind.Exact;

    /// <summary>Levels the buffer holds (jaxgmg: 4096). It starts full of levels from the α-mixture with score 0, as in jaxgmg; at least the number of environments.</summary>
    public int BufferSize { get; init; } = 4096;

    /// <summary>The probability that a cycle replays buffer levels rather than scoring new ones (jaxgmg: 0.5; Sadek et al. also ran 0.33 for PLR⊥ and 0.7 for ACCEL). In [0, 1].</summary>
    public double ReplayProbability { get; init; } = 0.5;

    /// <summary>β of rank prioritisation, P_S(i) ∝ (1/rank_i)^(1/β) (jaxgmg and Sadek et al.: 0.1); positive.</summary>
    public double Temperature { get; init; } = 0.1;

    /// <summary>ρ, the weight of the staleness distribution in P = (1 − ρ)·P_S + ρ·P_C (jaxgmg: 0.1). In [0, 1].</summary>
    public double StalenessCoefficient { get; init; } = 0.1;

    /// <summary>ACCEL: chained edits that make one child from a replayed level (jaxgmg's <c>num_mutate_steps</c>: 12); at least 1.</summary>
    public int EditsPerChild { get; init; } = 12;

    /// <summary>Throws a one-line <see cref="UserInputException"/> for a value out of range.</summary>
    public void Validate()
    {
        if (!(Alpha is >= 0 and <= 1))
        {
            throw new UserInputException(Invariant($"--alpha must be in [0, 1], not {Alpha}."));
        }

        if (!(ReplayProbability is >= 0 and <= 1))
        {
            throw new UserInputException(Invariant($"--replay-prob must be in [0, 1], not {ReplayProbability}."));
        }

        if (!(Temperature is > 0 and < double.PositiveInfinity))
        {
            throw new UserInputException(Invariant($"--temperature must be positive and finite, not {Temperature}."));
        }

        if (!(StalenessCoefficient is >= 0 and <= 1))
        {
            throw new UserInputException(Invariant($"--staleness must be in [0, 1], not {StalenessCoefficient}."));
        }

        if (BufferSize < 1 || EditsPerChild < 1)
        {
            throw new UserInputException(Invariant($"--buffer-size ({BufferSize}) and --edits ({EditsPerChild}) must be at least 1."));
        }

        if (string.IsNullOrWhiteSpace(ShiftDistribution))
        {
            throw new UserInputException("the shift distribution needs a name.");
        }
    }

    /// <summary>The settings as a JSON object (for a run's configuration and for <c>--json</c> output).</summary>
    public JsonObject ToJson() => new()
    {
        ["kind"] = Name(Kind),
        ["alpha"] = Alpha,
        ["shift_distribution"] = ShiftDistribution,
        ["score"] = Name(Score),
        ["buffer_size"] = BufferSize,
        ["replay_probability"] = ReplayProbability,
        ["temperature"] = Temperature,
        ["staleness_coefficient"] = StalenessCoefficient,
        ["edits_per_child"] = EditsPerChild,
    };

    /// <summary>The command-line name of a curriculum: dr, plr or accel.</summary>
    public static string Name(CurriculumKind kind) => kind switch
    {
        CurriculumKind.Dr => "dr",
        CurriculumKind.Plr => "plr",
        CurriculumKind.Accel => "accel",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    /// <summary>The command-line name of a level score: exact, pvl or maxmc.</summary>
    public static string Name(LevelScoreKind score) => score switch
    {
        LevelScoreKind.Exact => "exact",
        LevelScoreKind.Pvl => "pvl",
        LevelScoreKind.MaxMc => "maxmc",
        _ => throw new ArgumentOutOfRangeException(nameof(score), score, null),
    };

    /// <summary>Reads a curriculum name (dr, plr, accel).</summary>
    /// <exception cref="UserInputException">Another name.</exception>
    public static CurriculumKind ParseKind(string name) => name?.Trim().ToLowerInvariant() switch
    {
        "dr" => CurriculumKind.Dr,
        "plr" => CurriculumKind.Plr,
        "accel" => CurriculumKind.Accel,
        _ => throw new UserInputException($"unknown curriculum '{name}'; curricula: dr, plr, accel."),
    };

    /// <summary>Reads a level score name (exact, pvl, maxmc).</summary>
    /// <exception cref="UserInputException">Another name.</exception>
    public static LevelScoreKind ParseScore(string name) => name?.Trim().ToLowerInvariant() switch
    {
        "exact" => LevelScoreKind.Exact,
        "pvl" => LevelScoreKind.Pvl,
        "maxmc" => LevelScoreKind.MaxMc,
        _ => throw new UserInputException($"unknown level score '{name}'; scores: exact, pvl, maxmc."),
    };

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
