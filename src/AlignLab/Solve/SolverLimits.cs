using System.Globalization;
using AlignLab.Errors;

namespace AlignLab.Solve;

/// <summary>
/// How large a model the exact solver may build before it stops: the number of reachable states
/// it enumerates and the bytes its model and dynamic programming take (states, transitions and
/// value tables, estimated as they are allocated). Reaching either throws
/// <see cref="SolverLimitException"/>. Maps over <see cref="MaxCells"/> cells are refused before
/// any work.
/// </summary>
/// <param name="MaxStates">The most reachable states enumerated.</param>
/// <param name="MaxMemoryBytes">The most bytes the model and its value tables may take.</param>
public sealed record SolverLimits(int MaxStates = SolverLimits.DefaultMaxStates, long MaxMemoryBytes = SolverLimits.DefaultMaxMemoryBytes)
{
    /// <summary>The default state limit.</summary>
    public const int DefaultMaxStates = 40_000_000;

    /// <summary>
    /// The default memory limit, 1 GiB: with the runtime and uncollected garbage a solve stays
    /// under 2 GB of resident memory, so every command fits a small machine with room to spare.
    /// Every built-in level fits but three large pushing levels (SideEffectsSokoban levels 1 and
    /// 3, RocksDiamonds level 0), which need <c>--max-memory</c> (the README gives their sizes).
    /// </summary>
    public const long DefaultMaxMemoryBytes = 1L << 30;

    /// <summary>The most cells a level may have for the exact solver, checked before enumerating.</summary>
    public const int MaxCells = 65536;

    /// <summary>
    /// The defaults, with the memory limit lowered to three quarters of the memory the runtime
    /// may use when that is less (a container limit or <c>DOTNET_GCHeapHardLimit</c>), so that a
    /// model too large stops with a message instead of running out of memory.
    /// </summary>
    public static SolverLimits Default { get; } = new(DefaultMaxStates, Math.Min(DefaultMaxMemoryBytes, Math.Max(64L << 20, GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 4 * 3)));

    /// <summary>
    /// Reads a byte count such as <c>8GB</c>, <c>512MB</c>, <c>64KB</c> or <c>1000000</c>
    /// (binary units: 1 GB = 2³⁰ bytes); <paramref name="what"/> names the option in the error.
    /// </summary>
    /// <exception cref="UserInputException">The text is not a positive byte count.</exception>
    public static long ParseBytes(string text, string what)
    {
        ArgumentNullException.ThrowIfNull(text);
        var t = text.Trim().ToUpperInvariant();
        var (number, shift) = t.EndsWith("TB", StringComparison.Ordinal) ? (t[..^2], 40)
            : t.EndsWith("GB", StringComparison.Ordinal) ? (t[..^2], 30)
            : t.EndsWith("MB", StringComparison.Ordinal) ? (t[..^2], 20)
            : t.EndsWith("KB", StringComparison.Ordinal) ? (t[..^2], 10)
            : t.EndsWith('B') ? (t[..^1], 0)
            : (t, 0);
        if (!double.TryParse(number.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !(value > 0) || value * Math.Pow(2, shift) >= long.MaxValue)
        {
            throw new UserInputException($"{what}: expected a positive size such as 8GB, 512MB or 1000000, not '{text}'.");
        }

        return Math.Max(1, (long)(value * Math.Pow(2, shift)));
    }

    /// <summary>
    /// A byte count in the largest binary unit that keeps it at least 1, rounded up to two
    /// decimals (e.g. 8 GB, 1.5 MB, 8.01 GB for a little over 8 GB).
    /// </summary>
    public static string FormatBytes(long bytes) => bytes switch
    {
        >= 1L << 30 => Up(bytes, 30) + " GB",
        >= 1L << 20 => Up(bytes, 20) + " MB",
        >= 1L << 10 => Up(bytes, 10) + " KB",
        _ => $"{bytes} bytes",
    };

    private static string Up(long bytes, int shift) => (Math.Ceiling(bytes * 100.0 / (1L << shift)) / 100).ToString("0.##", CultureInfo.InvariantCulture);
}

/// <summary>
/// The exact solver reached one of its <see cref="SolverLimits"/>: too many states, too many
/// bytes, or too large a map. Bad input (a world too large to solve exactly), so the command
/// line prints its one-line message and exits with code 2.
/// </summary>
public sealed class SolverLimitException : UserInputException
{
    /// <summary>Creates the exception with its one-line message and the states reached.</summary>
    public SolverLimitException(string message, long statesReached)
        : base(message) => StatesReached = statesReached;

    /// <summary>Creates the exception with its one-line message.</summary>
    public SolverLimitException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with its one-line message and the error behind it.</summary>
    public SolverLimitException(string message, Exception inner)
        : base(message, inner)
    {
    }

    /// <summary>Creates the exception with a generic message (kept for the analyzers).</summary>
    public SolverLimitException()
        : this("the exact solver reached a limit")
    {
    }

    /// <summary>Number of states enumerated when the limit was reached (0 when refused before enumerating).</summary>
    public long StatesReached { get; }
}

/// <summary>
/// Counts the bytes the exact solver has allocated for one model (state records, hash table,
/// transitions, value tables) and throws <see cref="SolverLimitException"/> when an allocation
/// would pass the memory limit, before it is made.
/// </summary>
internal sealed class SolverBudget(string id, SolverLimits limits)
{
    /// <summary>Bytes currently counted.</summary>
    public long Bytes { get; private set; }

    /// <summary>States enumerated so far (for the message).</summary>
    public long States { get; set; }

    /// <summary>Counts an allocation of <paramref name="bytes"/>, throwing if it would pass the limit.</summary>
    public void Reserve(long bytes)
    {
        if (Bytes + bytes > limits.MaxMemoryBytes)
        {
            throw new SolverLimitException(
                $"{id}: the exact solver stopped at {States:N0} states: its model would need more than {SolverLimits.FormatBytes(Bytes + bytes)}, over the memory limit of {SolverLimits.FormatBytes(limits.MaxMemoryBytes)} (--max-memory).",
                States);
        }

        Bytes += bytes;
    }

    /// <summary>Uncounts a freed allocation.</summary>
    public void Release(long bytes) => Bytes -= bytes;

    /// <summary>
    /// Throws when <paramref name="projectedBytes"/>, an estimate of what the finished model will
    /// need, is over the limit; lets enumeration stop early instead of at the limit itself.
    /// </summary>
    public void CheckProjection(long projectedBytes)
    {
        if (projectedBytes > limits.MaxMemoryBytes)
        {
            throw new SolverLimitException(
                $"{id}: the exact solver stopped at {States:N0} states, still growing: their model (states, transitions, value tables) would already need about {SolverLimits.FormatBytes(projectedBytes)}, over the memory limit of {SolverLimits.FormatBytes(limits.MaxMemoryBytes)} (--max-memory).",
                States);
        }
    }

    /// <summary>
    /// Bytes the dynamic programming adds to a model of <paramref name="states"/> states: the
    /// immediate values cached per objective (reward, intended, each goal;
    /// <paramref name="immediateEntries"/> each), the time-dependent tie-break policies (one byte
    /// per step and state holds both), and the largest set of tables alive at once (the
    /// solver's reused state-action table with the tie-break sweep's two more, and eight state
    /// vectors).
    /// </summary>
    public static long ValueTableBytes(long states, int actions, int horizon, int goals, long immediateEntries)
    {
        var pairs = states * actions;
        return ((2 + goals) * immediateEntries * 8) + (horizon * states) + (3 * pairs * 8) + (8 * states * 8);
    }
}
