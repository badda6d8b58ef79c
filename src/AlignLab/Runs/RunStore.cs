using System.Globalization;
using System.Reflection;
using System.Security.Cryptography;
using System.Text.Json;

namespace AlignLab.Runs;

/// <summary>
/// The store of runs, metrics, evaluation episodes, checkpoints, results and analyses (DESIGN.md, "Results and reports"), and
/// the contract every store keeps: an embedded SQLite file (a path) or a PostgreSQL database shared by several
/// machines (<c>postgres://user:password@host:port/database</c> or an Npgsql connection string), chosen by
/// <see cref="Open"/> from the text the user gave. Every call that writes does so in one transaction, so a process
/// killed at any moment leaves the store consistent: each record is either fully there or not there at all. The
/// store has a schema version and refuses one written by a newer AlignLab. Every checkpoint is stored with its SHA-256
/// and checked when it is read; a run being trained is leased to one process (<see cref="ClaimRun"/>), so a second
/// process cannot train or resume it at the same time. One instance is one connection; use it from one thread at a time.
/// </summary>
public abstract class RunStore : IDisposable
{
    /// <summary>The store file used when the caller names none: <c>alignlab.db</c> in the working directory.</summary>
    public const string DefaultPath = "alignlab.db";

    /// <summary>The schema version this code writes (SQLite <c>user_version</c>; the <c>alignlab_meta</c> table in PostgreSQL).</summary>
    public const int SchemaVersion = 4;

    /// <summary>Checkpoints kept per run: older ones are deleted when a new one is saved.</summary>
    public const int CheckpointsKept = 3;

    /// <summary>Only this assembly's stores derive from the contract.</summary>
    private protected RunStore(string path) => Path = path;

    /// <summary>
    /// Where the store is: the SQLite file's full path, or <c>postgres://user@host:port/database</c> (never the password).
    /// </summary>
    public string Path { get; }

    /// <summary>The code version recorded in new runs: AlignLab's informational version (includes the git commit when the build had one).</summary>
    public static string CodeVersion { get; } =
        typeof(RunStore).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? typeof(RunStore).Assembly.GetName().Version?.ToString()
        ?? "unknown";

    /// <summary>The journal mode in effect: "wal" (SQLite in write-ahead-log mode; PostgreSQL always writes ahead).</summary>
    public abstract string JournalMode { get; }

    /// <summary>
    /// Opens the store <paramref name="location"/> names (default <see cref="DefaultPath"/>): a PostgreSQL database
    /// (<see cref="IsPostgres"/>) or an SQLite file, creating it if it does not exist or is empty, and bringing an
    /// older store's schema up to date.
    /// </summary>
    /// <exception cref="RunStoreException">
    /// Not an AlignLab store, corrupt, cannot be written, written by a newer AlignLab; for PostgreSQL also an unreachable
    /// server, a refused login or a malformed connection string.
    /// </exception>
    public static RunStore Open(string? location = null) =>
        IsPostgres(location) ? PostgresRunStore.Connect(location!, readOnly: false) : SqliteRunStore.OpenFile(location, readOnly: false);

    /// <summary>
    /// Opens the existing store <paramref name="location"/> names (default <see cref="DefaultPath"/>) for reading only:
    /// nothing is created, migrated or written, so a store in a read-only file or directory can be listed,
    /// shown and reported. A store of an older schema is read as it is. Every method that writes throws.
    /// </summary>
    /// <exception cref="RunStoreException">No store there, or not an AlignLab store, corrupt, written by a newer AlignLab, or unreachable.</exception>
    public static RunStore OpenReadOnly(string? location = null) =>
        IsPostgres(location) ? PostgresRunStore.Connect(location!, readOnly: true) : SqliteRunStore.OpenFile(location, readOnly: true);

    /// <summary>
    /// Whether <paramref name="location"/> names a PostgreSQL store: a <c>postgres://</c> or <c>postgresql://</c> URL,
    /// or an Npgsql connection string (<c>Host=...;Username=...</c>). Anything else is an SQLite file name.
    /// </summary>
    public static bool IsPostgres(string? location) => location is not null && PostgresLocation.IsPostgres(location);

    /// <summary>
    /// How a store location shows in output: a PostgreSQL location as <c>postgres://user@host:port/database</c> (never
    /// its password), a file as its full path.
    /// </summary>
    /// <exception cref="RunStoreException">A PostgreSQL location that cannot be read.</exception>
    public static string Describe(string location)
    {
        ArgumentNullException.ThrowIfNull(location);
        return PostgresLocation.IsPostgres(location) ? PostgresLocation.Display(PostgresLocation.Parse(location)) : System.IO.Path.GetFullPath(location);
    }

    /// <summary>Records a new run with status <see cref="RunStatus.Running"/> and returns its id.</summary>
    public abstract long CreateRun(RunConfig config);

    /// <summary>Sets a run's status; a finished or failed run is no longer leased (<see cref="ClaimRun"/>).</summary>
    public abstract void SetStatus(long runId, RunStatus status);

    /// <summary>
    /// Leases run <paramref name="runId"/> to this process, for training or resuming it; the lease ends when the run
    /// finishes or fails (<see cref="SetStatus"/>, <see cref="SetResult"/>), with <see cref="ReleaseRun"/>, or when
    /// this process ends: a lease whose process is no longer running (killed, even with SIGKILL) is taken over.
    /// </summary>
    /// <exception cref="RunStoreException">Another running process (or this one, for another recorder) holds the run: "run N is being trained or resumed by another process (pid P)".</exception>
    public abstract void ClaimRun(long runId);

    /// <summary>Ends this process's lease of run <paramref name="runId"/> (see <see cref="ClaimRun"/>); a lease held by another process is left alone.</summary>
    public abstract void ReleaseRun(long runId);

    /// <summary>
    /// Logs <paramref name="values"/> at <paramref name="step"/>, all in one transaction. A value
    /// already logged for the same (name, step) is replaced, so a resumed run may log its steps again.
    /// </summary>
    /// <exception cref="ArgumentException">A name not in <see cref="RunMetrics.Names"/>.</exception>
    public abstract void AppendMetrics(long runId, long step, IReadOnlyDictionary<string, double> values);

    /// <summary>Saves a checkpoint at <paramref name="step"/> (replacing one at the same step) and keeps only the newest <see cref="CheckpointsKept"/>.</summary>
    public abstract void SaveCheckpoint(long runId, long step, byte[] weights, byte[] rngState);

    /// <summary>
    /// Saves a checkpoint at <paramref name="step"/> from a stream (an agent's <c>SaveCheckpoint</c> output, read
    /// from its current position to its end), replacing one at the same step, and keeps only the newest
    /// <see cref="CheckpointsKept"/>; one transaction. The SHA-256 of the bytes is stored with them.
    /// </summary>
    public abstract void SaveCheckpoint(long runId, long step, Stream weights, byte[] rngState);

    /// <summary>
    /// The run's checkpoint with the highest step, as a stream of its bytes (positioned at the start) with its step,
    /// or null if it has none. The bytes are checked against the checksum stored with them.
    /// </summary>
    /// <exception cref="RunStoreException">No such run, or the checkpoint fails its checksum (the store is corrupt).</exception>
    public abstract (long Step, Stream Weights)? OpenLatestCheckpoint(long runId);

    /// <summary>The run's checkpoint with the highest step, or null if it has none; checked against its stored checksum.</summary>
    /// <exception cref="RunStoreException">No such run, or the checkpoint fails its checksum (the store is corrupt).</exception>
    public abstract Checkpoint? LatestCheckpoint(long runId);

    /// <summary>The step of the run's latest checkpoint, or null if it has none (its bytes are neither read nor checked).</summary>
    public abstract long? LatestCheckpointStep(long runId);

    /// <summary>Records evaluation episodes, all in one transaction (an episode with the same distribution, level and index is replaced).</summary>
    public abstract void AddEpisodes(long runId, IEnumerable<EpisodeRecord> episodes);

    /// <summary>The run's evaluation episodes, by distribution, level and index.</summary>
    public abstract IReadOnlyList<EpisodeRecord> Episodes(long runId);

    /// <summary>
    /// Stores the run's diagnosis/verdict (any JSON document) and sets its status (default
    /// <see cref="RunStatus.Finished"/>), in one transaction; a finished or failed run is no longer leased.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="json"/> is not valid JSON.</exception>
    public abstract void SetResult(long runId, string json, RunStatus status = RunStatus.Finished);

    /// <summary>
    /// Keeps an analysis of run <paramref name="runId"/> (what <c>probe</c>, <c>steer</c>, <c>audit</c>, <c>redteam</c>
    /// or <c>mesa</c> found about its trained policy) in one transaction, and returns its id. Analyses are never replaced:
    /// each call adds one, so a run may hold several of a kind (other layers, targets, distributions).
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="kind"/> is not one of <see cref="AnalysisKinds.Names"/>, or <paramref name="json"/> is not a JSON object.</exception>
    /// <exception cref="RunStoreException">No such run, or the store was opened read-only.</exception>
    public abstract long SaveAnalysis(long runId, string kind, string json);

    /// <summary>
    /// The analyses of run <paramref name="runId"/>, oldest first; only those of <paramref name="kind"/> when given. A
    /// store of an older schema opened read-only has none.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="kind"/> is given and not one of <see cref="AnalysisKinds.Names"/>.</exception>
    /// <exception cref="RunStoreException">No such run.</exception>
    public abstract IReadOnlyList<AnalysisRecord> Analyses(long runId, string? kind = null);

    /// <summary>Every run, oldest first.</summary>
    public abstract IReadOnlyList<RunInfo> ListRuns();

    /// <summary>The run with id <paramref name="runId"/>.</summary>
    /// <exception cref="RunStoreException">No such run.</exception>
    public abstract RunInfo GetRun(long runId);

    /// <summary>The run's metrics, ordered by name, then step.</summary>
    public abstract IReadOnlyList<MetricPoint> Metrics(long runId);

    /// <summary>
    /// "ok" for a sound store, otherwise the problems found: SQLite's <c>PRAGMA integrity_check</c>; for PostgreSQL,
    /// the SHA-256 of every checkpoint checked against its bytes.
    /// </summary>
    public abstract string IntegrityCheck();

    /// <summary>Writes the run's metrics as CSV, one row per step (<c>step</c>, then one column per metric name; empty where not logged), invariant culture.</summary>
    public void ExportMetricsCsv(long runId, TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        var points = Metrics(runId);
        var names = points.Select(p => p.Name).Distinct().Order(StringComparer.Ordinal).ToList();
        writer.WriteLine(string.Join(',', names.Prepend("step").Select(Csv)));
        foreach (var row in points.GroupBy(p => p.Step).OrderBy(g => g.Key))
        {
            var byName = row.ToDictionary(p => p.Name, p => p.Value, StringComparer.Ordinal);
            var cells = names.Select(n => byName.TryGetValue(n, out var v) ? v.ToString("R", CultureInfo.InvariantCulture) : string.Empty);
            writer.WriteLine(string.Join(',', cells.Prepend(row.Key.ToString(CultureInfo.InvariantCulture))));
        }
    }

    /// <summary>Closes the connection.</summary>
    public void Dispose()
    {
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Closes the store's connection.</summary>
    /// <param name="disposing">True when called from <see cref="Dispose()"/>.</param>
    protected abstract void Dispose(bool disposing);

    /// <summary>SHA-256 of a checkpoint: its weights, then its generator state.</summary>
    private protected static byte[] Checksum(byte[] weights, byte[] rng)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(weights);
        hash.AppendData(rng);
        return hash.GetHashAndReset();
    }

    /// <summary>Throws when a checkpoint's bytes do not match the checksum stored with them (none stored: nothing to check).</summary>
    private protected void Verify(long runId, long step, byte[] actual, byte[]? stored)
    {
        if (stored is not null && !CryptographicOperations.FixedTimeEquals(actual, stored))
        {
            throw new RunStoreException(string.Create(CultureInfo.InvariantCulture, $"{Path} is corrupt: run {runId}'s checkpoint at step {step} fails its checksum (SHA-256); restore the store from a backup, or start the run again."));
        }
    }

    /// <summary>The status as stored.</summary>
    private protected static string StatusName(RunStatus status) => status switch
    {
        RunStatus.Running => "running",
        RunStatus.Finished => "finished",
        RunStatus.Failed => "failed",
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, "unknown status"),
    };

    /// <summary>The status a stored name means (anything unknown reads as running).</summary>
    private protected static RunStatus ParseStatus(string name) => name switch
    {
        "finished" => RunStatus.Finished,
        "failed" => RunStatus.Failed,
        _ => RunStatus.Running,
    };

    /// <summary>Throws for a metric name not in <see cref="RunMetrics.Names"/>.</summary>
    private protected static void CheckMetricNames(IReadOnlyDictionary<string, double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        foreach (var name in values.Keys)
        {
            if (!RunMetrics.Names.Contains(name))
            {
                throw new ArgumentException($"unknown metric name '{name}'; known names: {string.Join(", ", RunMetrics.Names.Order(StringComparer.Ordinal))}.", nameof(values));
            }
        }
    }

    /// <summary>Throws when <paramref name="json"/> is not valid JSON.</summary>
    private protected static void CheckJson(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        try
        {
            using var _ = JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            throw new ArgumentException($"the result is not valid JSON: {e.Message}", nameof(json), e);
        }
    }

    /// <summary>Throws when <paramref name="kind"/> is unknown or <paramref name="json"/> is not a JSON object.</summary>
    private protected static void CheckAnalysis(string kind, string json)
    {
        AnalysisKinds.Check(kind, nameof(kind));
        ArgumentNullException.ThrowIfNull(json);
        try
        {
            using var document = JsonDocument.Parse(json);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new ArgumentException($"the {kind} analysis must be a JSON object, not a {document.RootElement.ValueKind.ToString().ToLowerInvariant()}.", nameof(json));
            }
        }
        catch (JsonException e)
        {
            throw new ArgumentException($"the {kind} analysis is not valid JSON: {e.Message}", nameof(json), e);
        }
    }

    private static string Csv(string text) =>
        text.AsSpan().IndexOfAny(",\"\n\r") >= 0 ? "\"" + text.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : text;
}
