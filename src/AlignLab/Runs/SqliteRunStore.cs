using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;

namespace AlignLab.Runs;

/// <summary>
/// The embedded SQLite store of runs, metrics, evaluation episodes, checkpoints and results
/// (DESIGN.md, "Results and reports"). The file is in WAL mode and every call that writes does
/// so in one transaction, so a process killed at any moment leaves the store consistent: each
/// record is either fully there or not there at all. One instance is one connection; use it
/// from one thread at a time (several processes may share the file). Every checkpoint is stored with its
/// SHA-256 and checked when it is read; a run being trained is leased to its process (<see cref="ClaimRun"/>),
/// so a second process cannot train or resume it at the same time.
/// </summary>
/// <remarks>
/// <c>synchronous=NORMAL</c>: in WAL mode this never corrupts the database, and a committed
/// transaction survives the process being killed (it is in the WAL file, which SQLite replays
/// on the next open). Only an operating-system crash or power loss can lose the last few
/// commits, which costs at most a resume from an earlier checkpoint. FULL would add an fsync to
/// every metric batch for that case alone.
/// </remarks>
internal sealed class SqliteRunStore : RunStore
{
    /// <summary>SQLite <c>application_id</c> marking an AlignLab store ("ALAB").</summary>
    private const int ApplicationId = 0x414C4142;

    private const string Schema = """
        CREATE TABLE runs(
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            scenario TEXT NOT NULL,
            distribution TEXT NOT NULL,
            agent TEXT NOT NULL,
            parameters TEXT NOT NULL,
            hyperparameters TEXT NOT NULL,
            settings TEXT NOT NULL DEFAULT '{}',
            scenario_text TEXT,
            lease TEXT,
            seed TEXT NOT NULL,
            code_version TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('running', 'finished', 'failed')),
            result TEXT,
            created TEXT NOT NULL,
            updated TEXT NOT NULL);
        CREATE TABLE metrics(
            run INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            name TEXT NOT NULL,
            step INTEGER NOT NULL,
            value REAL,
            PRIMARY KEY (run, name, step)) WITHOUT ROWID;
        CREATE TABLE episodes(
            run INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            distribution TEXT NOT NULL,
            level INTEGER NOT NULL,
            episode INTEGER NOT NULL,
            reward REAL,
            intended REAL,
            goal_returns TEXT NOT NULL,
            achieved TEXT NOT NULL,
            actions TEXT NOT NULL,
            seed TEXT,
            PRIMARY KEY (run, distribution, level, episode));
        CREATE TABLE checkpoints(
            run INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            step INTEGER NOT NULL,
            weights BLOB NOT NULL,
            rng BLOB NOT NULL,
            created TEXT NOT NULL,
            sha256 BLOB,
            PRIMARY KEY (run, step));
        """ + AnalysesSchema;

    /// <summary>The analyses table (schema 4), created with a new store and by the migration from schema 3.</summary>
    private const string AnalysesSchema = """
        CREATE TABLE analyses(
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            run INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            kind TEXT NOT NULL,
            json TEXT NOT NULL,
            code_version TEXT NOT NULL,
            created TEXT NOT NULL);
        CREATE INDEX analyses_run_kind ON analyses(run, kind, id);
        """;

    /// <summary>The SQL that ends a run's lease when a status other than running is set (parameter <c>$st</c>).</summary>
    private const string ReleaseUnlessRunning = ", lease = CASE WHEN $st = 'running' THEN lease ELSE NULL END";

    private static readonly JsonSerializerOptions JsonOptions = new() { NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals };

    private readonly SqliteConnection _connection;
    private readonly bool _readOnly;

    /// <summary>The file's schema version (below <see cref="RunStore.SchemaVersion"/> only for a store opened read-only).</summary>
    private int _version = SchemaVersion;

    private SqliteRunStore(SqliteConnection connection, string path, bool readOnly)
        : base(path)
    {
        _connection = connection;
        _readOnly = readOnly;
    }

    /// <summary>Opens (read-only: nothing created, migrated or written) or opens and creates/migrates the store file at <paramref name="path"/>.</summary>
    internal static SqliteRunStore OpenFile(string? path, bool readOnly)
    {
        path = System.IO.Path.GetFullPath(string.IsNullOrEmpty(path) ? DefaultPath : path);
        CheckHeader(path);
        if (readOnly && (!File.Exists(path) || new FileInfo(path).Length == 0))
        {
            throw new RunStoreException($"there is no run store at {path} (no run has been recorded there).");
        }

        try
        {
            return Connect(path, readOnly, immutable: false);
        }
        catch (RunStoreException e) when (readOnly && e.InnerException is SqliteException { SqliteErrorCode: 8 or 14 } && !File.Exists(path + "-wal"))
        {
            // A WAL store closed cleanly (no -wal file left) in a directory this process cannot write: SQLite cannot
            // create the shared-memory file it reads through. No process can write the store without creating the
            // -wal file either, so it is read as an immutable file.
            return Connect(path, readOnly, immutable: true);
        }
    }

    private static SqliteRunStore Connect(string path, bool readOnly, bool immutable)
    {
        var builder = new SqliteConnectionStringBuilder
        {
            DataSource = immutable ? new Uri(path).AbsoluteUri + "?immutable=1" : path,
            Mode = readOnly ? SqliteOpenMode.ReadOnly : SqliteOpenMode.ReadWriteCreate,
            Pooling = false,
            DefaultTimeout = 30,
        };
        var connection = new SqliteConnection(builder.ToString());
        try
        {
            connection.Open();
            var store = new SqliteRunStore(connection, path, readOnly);
            if (readOnly)
            {
                store.CheckReadOnly();
            }
            else
            {
                store.Initialise();
            }

            return store;
        }
        catch (SqliteException e)
        {
            connection.Dispose();
            throw Translate(e, path);
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>Records a new run with status <see cref="RunStatus.Running"/> and returns its id.</summary>
    public override long CreateRun(RunConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentException.ThrowIfNullOrWhiteSpace(config.ScenarioId);
        ArgumentException.ThrowIfNullOrWhiteSpace(config.Agent);
        ArgumentException.ThrowIfNullOrWhiteSpace(config.Distribution);
        return Write(tx =>
        {
            var now = Now();
            return (long)Scalar(
                tx,
                "INSERT INTO runs(scenario, scenario_text, distribution, agent, parameters, hyperparameters, settings, seed, code_version, status, created, updated) VALUES ($s, $text, $d, $a, $p, $h, $settings, $seed, $v, 'running', $now, $now) RETURNING id",
                ("$s", config.ScenarioId),
                ("$text", (object?)config.ScenarioText ?? DBNull.Value),
                ("$d", config.Distribution),
                ("$a", config.Agent),
                ("$p", JsonSerializer.Serialize(new SortedDictionary<string, string>(config.Parameters?.ToDictionary() ?? [], StringComparer.Ordinal))),
                ("$h", (config.HyperParameters ?? []).ToJsonString()),
                ("$settings", (config.Settings ?? []).ToJsonString()),
                ("$seed", config.Seed.ToString(CultureInfo.InvariantCulture)),
                ("$v", CodeVersion),
                ("$now", now))!;
        });
    }

    /// <summary>Sets a run's status; a finished or failed run is no longer leased (<see cref="ClaimRun"/>).</summary>
    public override void SetStatus(long runId, RunStatus status) =>
        Write(tx => Execute(tx, $"UPDATE runs SET status = $st, updated = $now{ReleaseUnlessRunning} WHERE id = $r", ("$st", StatusName(status)), ("$now", Now()), ("$r", Require(tx, runId))));

    /// <summary>
    /// Leases run <paramref name="runId"/> to this process, for training or resuming it; the lease ends when the run
    /// finishes or fails (<see cref="SetStatus"/>, <see cref="SetResult"/>), with <see cref="ReleaseRun"/>, or when
    /// this process ends: a lease whose process is no longer running (killed, even with SIGKILL) is taken over.
    /// </summary>
    /// <exception cref="RunStoreException">Another running process (or this one, for another recorder) holds the run: "run N is being trained or resumed by another process (pid P)".</exception>
    public override void ClaimRun(long runId) => Write(tx =>
    {
        Require(tx, runId);
        if (Scalar(tx, "SELECT lease FROM runs WHERE id = $r", ("$r", runId)) is string text && RunLease.Parse(text) is { } holder && holder.IsAlive())
        {
            throw new RunStoreException(string.Create(CultureInfo.InvariantCulture, $"run {runId} is being trained or resumed by another process (pid {holder.Pid}, since {holder.Claimed:u}); wait for it to finish, or stop it and resume again."));
        }

        return Execute(tx, "UPDATE runs SET lease = $l WHERE id = $r", ("$l", RunLease.Current().ToJson()), ("$r", runId));
    });

    /// <summary>Ends this process's lease of run <paramref name="runId"/> (see <see cref="ClaimRun"/>); a lease held by another process is left alone.</summary>
    public override void ReleaseRun(long runId) => Write(tx =>
    {
        if (Scalar(tx, "SELECT lease FROM runs WHERE id = $r", ("$r", Require(tx, runId))) is string text && RunLease.Parse(text) is { } holder && holder.IsThisProcess())
        {
            Execute(tx, "UPDATE runs SET lease = NULL WHERE id = $r", ("$r", runId));
        }

        return 0;
    });

    /// <summary>
    /// Logs <paramref name="values"/> at <paramref name="step"/>, all in one transaction. A value
    /// already logged for the same (name, step) is replaced, so a resumed run may log its steps again.
    /// </summary>
    /// <exception cref="ArgumentException">A name not in <see cref="RunMetrics.Names"/>.</exception>
    public override void AppendMetrics(long runId, long step, IReadOnlyDictionary<string, double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        foreach (var name in values.Keys)
        {
            if (!RunMetrics.Names.Contains(name))
            {
                throw new ArgumentException($"unknown metric name '{name}'; known names: {string.Join(", ", RunMetrics.Names.Order(StringComparer.Ordinal))}.", nameof(values));
            }
        }

        Write(tx =>
        {
            Touch(tx, runId);
            using var command = Command(tx, "INSERT OR REPLACE INTO metrics(run, name, step, value) VALUES ($r, $n, $s, $v)");
            var n = command.Parameters.Add("$n", SqliteType.Text);
            var v = command.Parameters.Add("$v", SqliteType.Real);
            command.Parameters.AddWithValue("$r", runId);
            command.Parameters.AddWithValue("$s", step);
            foreach (var (name, value) in values)
            {
                n.Value = name;
                v.Value = double.IsNaN(value) ? DBNull.Value : value;
                command.ExecuteNonQuery();
            }

            return 0;
        });
    }

    /// <summary>Saves a checkpoint at <paramref name="step"/> (replacing one at the same step) and keeps only the newest <see cref="RunStore.CheckpointsKept"/>.</summary>
    public override void SaveCheckpoint(long runId, long step, byte[] weights, byte[] rngState)
    {
        ArgumentNullException.ThrowIfNull(weights);
        ArgumentNullException.ThrowIfNull(rngState);
        Write(tx =>
        {
            Touch(tx, runId);
            Execute(tx, "INSERT OR REPLACE INTO checkpoints(run, step, weights, rng, created, sha256) VALUES ($r, $s, $w, $g, $now, $h)", ("$r", runId), ("$s", step), ("$w", weights), ("$g", rngState), ("$now", Now()), ("$h", Checksum(weights, rngState)));
            Execute(tx, "DELETE FROM checkpoints WHERE run = $r AND step NOT IN (SELECT step FROM checkpoints WHERE run = $r ORDER BY step DESC LIMIT $k)", ("$r", runId), ("$k", CheckpointsKept));
            return 0;
        });
    }

    /// <summary>
    /// Saves a checkpoint at <paramref name="step"/> from a stream (an agent's <c>SaveCheckpoint</c> output, read
    /// from its current position to its end), replacing one at the same step, and keeps only the newest
    /// <see cref="RunStore.CheckpointsKept"/>; one transaction. The SHA-256 of the bytes is stored with them.
    /// </summary>
    public override void SaveCheckpoint(long runId, long step, Stream weights, byte[] rngState)
    {
        ArgumentNullException.ThrowIfNull(weights);
        ArgumentNullException.ThrowIfNull(rngState);
        Write(tx =>
        {
            Touch(tx, runId);
            var length = weights.Length - weights.Position;
            var rowid = (long)Scalar(tx, "INSERT OR REPLACE INTO checkpoints(run, step, weights, rng, created) VALUES ($r, $s, zeroblob($n), $g, $now) RETURNING rowid", ("$r", runId), ("$s", step), ("$n", length), ("$g", rngState), ("$now", Now()))!;
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            using (var blob = new SqliteBlob(_connection, "checkpoints", "weights", rowid))
            {
                var buffer = new byte[81920];
                int read;
                while ((read = weights.Read(buffer)) > 0)
                {
                    hash.AppendData(buffer, 0, read);
                    blob.Write(buffer, 0, read);
                }
            }

            hash.AppendData(rngState);
            Execute(tx, "UPDATE checkpoints SET sha256 = $h WHERE rowid = $id", ("$h", hash.GetHashAndReset()), ("$id", rowid));

            Execute(tx, "DELETE FROM checkpoints WHERE run = $r AND step NOT IN (SELECT step FROM checkpoints WHERE run = $r ORDER BY step DESC LIMIT $k)", ("$r", runId), ("$k", CheckpointsKept));
            return 0;
        });
    }

    /// <summary>
    /// The run's checkpoint with the highest step, as a stream of its bytes (positioned at the start) with its step,
    /// or null if it has none. The bytes are checked against the checksum stored with them.
    /// </summary>
    /// <exception cref="RunStoreException">No such run, or the checkpoint fails its checksum (the store is corrupt).</exception>
    public override (long Step, Stream Weights)? OpenLatestCheckpoint(long runId) => Read<(long, Stream)?>(() =>
    {
        Require(null, runId);
        using var command = Command(null, $"SELECT step, weights, rng, {ChecksumColumn} FROM checkpoints WHERE run = $r ORDER BY step DESC LIMIT 1", ("$r", runId));
        using var reader = command.ExecuteReader();
        if (!reader.Read())
        {
            return null;
        }

        var step = reader.GetInt64(0);
        var copy = new MemoryStream();
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using (var blob = reader.GetStream(1))
        {
            var buffer = new byte[81920];
            int read;
            while ((read = blob.Read(buffer)) > 0)
            {
                hash.AppendData(buffer, 0, read);
                copy.Write(buffer, 0, read);
            }
        }

        hash.AppendData((byte[])reader.GetValue(2));
        Verify(runId, step, hash.GetHashAndReset(), reader.IsDBNull(3) ? null : (byte[])reader.GetValue(3));
        copy.Position = 0;
        return (step, copy);
    });

    /// <summary>The run's checkpoint with the highest step, or null if it has none; checked against its stored checksum.</summary>
    /// <exception cref="RunStoreException">No such run, or the checkpoint fails its checksum (the store is corrupt).</exception>
    public override Checkpoint? LatestCheckpoint(long runId) => Read(() =>
    {
        Require(null, runId);
        using var command = Command(null, $"SELECT step, weights, rng, created, {ChecksumColumn} FROM checkpoints WHERE run = $r ORDER BY step DESC LIMIT 1", ("$r", runId));
        using var reader = command.ExecuteReader();
        if (!reader.Read())
        {
            return null;
        }

        var checkpoint = new Checkpoint(reader.GetInt64(0), (byte[])reader.GetValue(1), (byte[])reader.GetValue(2), Time(reader.GetString(3)));
        Verify(runId, checkpoint.Step, Checksum(checkpoint.Weights, checkpoint.RngState), reader.IsDBNull(4) ? null : (byte[])reader.GetValue(4));
        return checkpoint;
    });

    /// <summary>The step of the run's latest checkpoint, or null if it has none (its bytes are neither read nor checked).</summary>
    public override long? LatestCheckpointStep(long runId) => Read(() =>
    {
        Require(null, runId);
        return Scalar(null, "SELECT max(step) FROM checkpoints WHERE run = $r", ("$r", runId)) is long step ? step : (long?)null;
    });

    /// <summary>Records evaluation episodes, all in one transaction (an episode with the same distribution, level and index is replaced).</summary>
    public override void AddEpisodes(long runId, IEnumerable<EpisodeRecord> episodes)
    {
        ArgumentNullException.ThrowIfNull(episodes);
        var list = episodes.ToList();
        Write(tx =>
        {
            Touch(tx, runId);
            using var command = Command(tx, "INSERT OR REPLACE INTO episodes(run, distribution, level, episode, reward, intended, goal_returns, achieved, actions, seed) VALUES ($r, $d, $l, $e, $rw, $in, $g, $a, $x, $seed)");
            command.Parameters.AddWithValue("$r", runId);
            var distribution = command.Parameters.Add("$d", SqliteType.Text);
            var level = command.Parameters.Add("$l", SqliteType.Integer);
            var index = command.Parameters.Add("$e", SqliteType.Integer);
            var reward = command.Parameters.Add("$rw", SqliteType.Real);
            var intended = command.Parameters.Add("$in", SqliteType.Real);
            var goals = command.Parameters.Add("$g", SqliteType.Text);
            var achieved = command.Parameters.Add("$a", SqliteType.Text);
            var actions = command.Parameters.Add("$x", SqliteType.Text);
            var seed = command.Parameters.Add("$seed", SqliteType.Text);
            foreach (var e in list)
            {
                ArgumentNullException.ThrowIfNull(e);
                distribution.Value = e.Distribution;
                level.Value = e.Level;
                index.Value = e.Index;
                reward.Value = Db(e.Reward);
                intended.Value = Db(e.Intended);
                goals.Value = JsonSerializer.Serialize(new SortedDictionary<string, double>(e.GoalReturns.ToDictionary(), StringComparer.Ordinal), JsonOptions);
                achieved.Value = JsonSerializer.Serialize(e.AchievedGoals);
                actions.Value = e.Actions;
                seed.Value = e.Seed is { } s ? s.ToString(CultureInfo.InvariantCulture) : DBNull.Value;
                command.ExecuteNonQuery();
            }

            return 0;
        });
    }

    /// <summary>The run's evaluation episodes, by distribution, level and index.</summary>
    public override IReadOnlyList<EpisodeRecord> Episodes(long runId) => Read(() =>
    {
        Require(null, runId);
        using var command = Command(null, "SELECT distribution, level, episode, reward, intended, goal_returns, achieved, actions, seed FROM episodes WHERE run = $r ORDER BY distribution, level, episode", ("$r", runId));
        using var reader = command.ExecuteReader();
        var result = new List<EpisodeRecord>();
        while (reader.Read())
        {
            result.Add(new EpisodeRecord(
                reader.GetString(0),
                reader.GetInt32(1),
                reader.GetInt32(2),
                Real(reader, 3),
                Real(reader, 4),
                JsonSerializer.Deserialize<Dictionary<string, double>>(reader.GetString(5), JsonOptions) ?? [],
                JsonSerializer.Deserialize<List<string>>(reader.GetString(6)) ?? [],
                reader.GetString(7),
                reader.IsDBNull(8) ? null : ulong.Parse(reader.GetString(8), CultureInfo.InvariantCulture)));
        }

        return result;
    });

    /// <summary>
    /// Stores the run's diagnosis/verdict (any JSON document) and sets its status (default
    /// <see cref="RunStatus.Finished"/>), in one transaction; a finished or failed run is no longer leased.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="json"/> is not valid JSON.</exception>
    public override void SetResult(long runId, string json, RunStatus status = RunStatus.Finished)
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

        Write(tx => Execute(tx, $"UPDATE runs SET result = $j, status = $st, updated = $now{ReleaseUnlessRunning} WHERE id = $r", ("$j", json), ("$st", StatusName(status)), ("$now", Now()), ("$r", Require(tx, runId))));
    }

    /// <inheritdoc/>
    public override long SaveAnalysis(long runId, string kind, string json)
    {
        CheckAnalysis(kind, json);
        return Write(tx =>
        {
            var now = Now();
            Execute(tx, "UPDATE runs SET updated = $now WHERE id = $r", ("$now", now), ("$r", Require(tx, runId)));
            return (long)Scalar(tx, "INSERT INTO analyses(run, kind, json, code_version, created) VALUES ($r, $k, $j, $v, $now) RETURNING id", ("$r", runId), ("$k", kind), ("$j", json), ("$v", CodeVersion), ("$now", now))!;
        });
    }

    /// <inheritdoc/>
    public override IReadOnlyList<AnalysisRecord> Analyses(long runId, string? kind = null)
    {
        if (kind is not null)
        {
            AnalysisKinds.Check(kind, nameof(kind));
        }

        return Read(() =>
        {
            Require(null, runId);
            var result = new List<AnalysisRecord>();
            if (_version < 4)
            {
                return result;
            }

            using var command = Command(null, "SELECT id, kind, json, code_version, created FROM analyses WHERE run = $r AND ($k IS NULL OR kind = $k) ORDER BY id", ("$r", runId), ("$k", (object?)kind ?? DBNull.Value));
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                result.Add(new AnalysisRecord(reader.GetInt64(0), runId, reader.GetString(1), reader.GetString(2), reader.GetString(3), Time(reader.GetString(4))));
            }

            return result;
        });
    }

    /// <summary>Every run, oldest first.</summary>
    public override IReadOnlyList<RunInfo> ListRuns() => Read(() => Runs(null));

    /// <summary>The run with id <paramref name="runId"/>.</summary>
    /// <exception cref="RunStoreException">No such run.</exception>
    public override RunInfo GetRun(long runId) => Read(() => Runs(runId).SingleOrDefault() ?? throw NoRun(runId));

    /// <summary>The run's metrics, ordered by name, then step.</summary>
    public override IReadOnlyList<MetricPoint> Metrics(long runId) => Read(() =>
    {
        Require(null, runId);
        using var command = Command(null, "SELECT step, name, value FROM metrics WHERE run = $r ORDER BY name, step", ("$r", runId));
        using var reader = command.ExecuteReader();
        var result = new List<MetricPoint>();
        while (reader.Read())
        {
            result.Add(new MetricPoint(reader.GetInt64(0), reader.GetString(1), Real(reader, 2)));
        }

        return result;
    });

    /// <summary>SQLite's <c>PRAGMA integrity_check</c>: "ok" for a sound file, otherwise the problems found.</summary>
    public override string IntegrityCheck() => Read(() =>
    {
        using var command = Command(null, "PRAGMA integrity_check");
        using var reader = command.ExecuteReader();
        var lines = new List<string>();
        while (reader.Read())
        {
            lines.Add(reader.GetString(0));
        }

        return string.Join('\n', lines);
    });

    /// <summary>The journal mode in effect ("wal").</summary>
    public override string JournalMode => Read(() => (string)Scalar(null, "PRAGMA journal_mode")!);

    /// <summary>Closes the connection.</summary>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _connection.Dispose();
        }
    }

    private static void CheckHeader(string path)
    {
        if (Directory.Exists(path))
        {
            throw new RunStoreException($"{path} is a directory, not an AlignLab run store.");
        }

        if (!File.Exists(path) || new FileInfo(path).Length == 0)
        {
            return;
        }

        var header = new byte[16];
        int read;
        try
        {
            using var stream = File.OpenRead(path);
            read = stream.ReadAtLeast(header, header.Length, throwOnEndOfStream: false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new RunStoreException($"{path} cannot be read: {e.Message}", e);
        }

        if (read < header.Length || !header.AsSpan().SequenceEqual("SQLite format 3\0"u8))
        {
            throw new RunStoreException($"{path} is not an AlignLab run store (it is not an SQLite database).");
        }
    }

    /// <summary>
    /// Checks that the file is an AlignLab store this code reads, creates the schema in a new file and migrates an
    /// older one. Several processes may open a new file at once: what the file holds is read in one statement (one
    /// snapshot), and the schema is created or migrated under the write lock (BEGIN IMMEDIATE), reading it again there.
    /// </summary>
    private void Initialise()
    {
        Execute(null, "PRAGMA foreign_keys = ON");
        var (application, version, tables) = ReadHeader(null);
        Check(application, version, tables);
        var mode = (string)Scalar(null, "PRAGMA journal_mode = WAL")!;
        if (!string.Equals(mode, "wal", StringComparison.OrdinalIgnoreCase))
        {
            throw new RunStoreException($"{Path}: could not switch the store to WAL mode (the file system gave '{mode}').");
        }

        Execute(null, "PRAGMA synchronous = NORMAL");
        if (version == SchemaVersion)
        {
            return;
        }

        Write(tx =>
        {
            // Another process may have created or migrated the schema since the first read.
            var (a, v, t) = ReadHeader(tx);
            Check(a, v, t);
            if (v == 0)
            {
                Execute(tx, Schema);
                Execute(tx, $"PRAGMA application_id = {ApplicationId}");
                Execute(tx, $"PRAGMA user_version = {SchemaVersion}");
                return 0;
            }

            if (v == 1)
            {
                // Schema 2 stores the run's own settings (curve points, evaluation sizes, stop score) beside the agent's options.
                Execute(tx, "ALTER TABLE runs ADD COLUMN settings TEXT NOT NULL DEFAULT '{}'");
            }

            if (v <= 2)
            {
                // Schema 3 stores a scenario file's text with its run, a lease on a run being trained, and each checkpoint's SHA-256.
                Execute(tx, "ALTER TABLE runs ADD COLUMN scenario_text TEXT");
                Execute(tx, "ALTER TABLE runs ADD COLUMN lease TEXT");
                Execute(tx, "ALTER TABLE checkpoints ADD COLUMN sha256 BLOB");
                var rows = new List<(long RowId, byte[] Hash)>();
                using (var command = Command(tx, "SELECT rowid, weights, rng FROM checkpoints"))
                using (var reader = command.ExecuteReader())
                {
                    while (reader.Read())
                    {
                        rows.Add((reader.GetInt64(0), Checksum((byte[])reader.GetValue(1), (byte[])reader.GetValue(2))));
                    }
                }

                foreach (var (rowId, hash) in rows)
                {
                    Execute(tx, "UPDATE checkpoints SET sha256 = $h WHERE rowid = $id", ("$h", hash), ("$id", rowId));
                }
            }

            if (v <= 3)
            {
                // Schema 4 keeps the analyses of a run (probe, steer, audit, redteam, mesa) for the report.
                Execute(tx, AnalysesSchema);
            }

            Execute(tx, $"PRAGMA user_version = {SchemaVersion}");
            return 0;
        });
    }

    /// <summary>The checks of <see cref="Initialise"/> for a store opened read-only: nothing is created or migrated.</summary>
    private void CheckReadOnly()
    {
        var (application, version, tables) = ReadHeader(null);
        Check(application, version, tables);
        if (version == 0)
        {
            throw new RunStoreException($"there is no run store at {Path} (the file is an empty SQLite database).");
        }

        _version = version;
    }

    /// <summary>The file's application id, schema version and number of schema objects, read in one statement (one consistent snapshot).</summary>
    private (int Application, int Version, long Tables) ReadHeader(SqliteTransaction? tx)
    {
        using var command = Command(tx, "SELECT (SELECT application_id FROM pragma_application_id), (SELECT user_version FROM pragma_user_version), (SELECT count(*) FROM sqlite_schema)");
        using var reader = command.ExecuteReader();
        reader.Read();
        return (reader.GetInt32(0), reader.GetInt32(1), reader.GetInt64(2));
    }

    private void Check(int application, int version, long tables)
    {
        if (application != ApplicationId && (application != 0 || version != 0 || tables != 0))
        {
            throw new RunStoreException($"{Path} is an SQLite database but not an AlignLab run store.");
        }

        if (version > SchemaVersion)
        {
            throw new RunStoreException($"{Path} was written by a newer AlignLab (store schema {version}; this version reads up to {SchemaVersion}).");
        }
    }

    private List<RunInfo> Runs(long? id)
    {
        var settings = _version >= 2 ? "settings" : "'{}'";
        var text = _version >= 3 ? "scenario_text" : "NULL";
        using var command = Command(null, $"SELECT id, scenario, distribution, agent, parameters, hyperparameters, seed, code_version, status, result, created, updated, {settings}, {text} FROM runs" + (id is null ? " ORDER BY id" : " WHERE id = $r"));
        if (id is { } r)
        {
            command.Parameters.AddWithValue("$r", r);
        }

        using var reader = command.ExecuteReader();
        var result = new List<RunInfo>();
        while (reader.Read())
        {
            var config = new RunConfig(
                reader.GetString(1),
                reader.GetString(3),
                ulong.Parse(reader.GetString(6), CultureInfo.InvariantCulture),
                reader.GetString(2),
                JsonSerializer.Deserialize<Dictionary<string, string>>(reader.GetString(4)) ?? [],
                JsonNode.Parse(reader.GetString(5)) as JsonObject ?? [],
                JsonNode.Parse(reader.GetString(12)) as JsonObject ?? [],
                reader.IsDBNull(13) ? null : reader.GetString(13));
            var status = reader.GetString(8) switch
            {
                "finished" => RunStatus.Finished,
                "failed" => RunStatus.Failed,
                _ => RunStatus.Running,
            };
            result.Add(new RunInfo(reader.GetInt64(0), config, reader.GetString(7), status, Time(reader.GetString(10)), Time(reader.GetString(11)), reader.IsDBNull(9) ? null : reader.GetString(9)));
        }

        return result;
    }

    private T Write<T>(Func<SqliteTransaction, T> work)
    {
        if (_readOnly)
        {
            throw new RunStoreException($"{Path} was opened read-only; it cannot be written.");
        }

        try
        {
            using var tx = _connection.BeginTransaction(deferred: false);
            var result = work(tx);
            tx.Commit();
            return result;
        }
        catch (SqliteException e)
        {
            throw Translate(e, Path);
        }
    }

    private T Read<T>(Func<T> work)
    {
        try
        {
            return work();
        }
        catch (SqliteException e)
        {
            throw Translate(e, Path);
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidCastException)
        {
            throw new RunStoreException($"{Path} is corrupt: a record could not be read ({e.Message}).", e);
        }
    }

    private long Require(SqliteTransaction? tx, long runId) =>
        Scalar(tx, "SELECT 1 FROM runs WHERE id = $r", ("$r", runId)) is null ? throw NoRun(runId) : runId;

    private void Touch(SqliteTransaction tx, long runId) =>
        Execute(tx, "UPDATE runs SET updated = $now WHERE id = $r", ("$now", Now()), ("$r", Require(tx, runId)));

    private RunStoreException NoRun(long runId) => new($"{Path} has no run {runId}.");

    private SqliteCommand Command(SqliteTransaction? tx, string sql, params (string Name, object Value)[] parameters)
    {
        var command = _connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = tx;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        return command;
    }

    private int Execute(SqliteTransaction? tx, string sql, params (string Name, object Value)[] parameters)
    {
        using var command = Command(tx, sql, parameters);
        return command.ExecuteNonQuery();
    }

    private object? Scalar(SqliteTransaction? tx, string sql, params (string Name, object Value)[] parameters)
    {
        using var command = Command(tx, sql, parameters);
        return command.ExecuteScalar();
    }

    private static RunStoreException Translate(SqliteException e, string path) => e.SqliteErrorCode switch
    {
        11 => new RunStoreException($"{path} is corrupt (SQLite: {e.Message.Replace('\n', ' ')}); restore it from a backup or start a new store.", e),
        26 => new RunStoreException($"{path} is not an AlignLab run store (SQLite: file is not a database).", e),
        5 or 6 => new RunStoreException($"{path} is locked by another process; try again when it is done.", e),
        8 or 14 or 23 => new RunStoreException($"{path} cannot be opened for writing (SQLite: {e.Message.Replace('\n', ' ')}).", e),
        _ => new RunStoreException($"{path}: {e.Message.Replace('\n', ' ')}", e),
    };

    /// <summary>The checkpoints' checksum column (NULL for a store of an older schema opened read-only).</summary>
    private string ChecksumColumn => _version >= 3 ? "sha256" : "NULL";

    private static object Db(double value) => double.IsNaN(value) ? DBNull.Value : value;

    private static double Real(SqliteDataReader reader, int column) => reader.IsDBNull(column) ? double.NaN : reader.GetDouble(column);

    private static string Now() => DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture);

    private static DateTimeOffset Time(string text) => DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);
}
