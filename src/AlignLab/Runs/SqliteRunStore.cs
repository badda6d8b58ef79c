using System.Data.Common;
using System.Globalization;
using System.Security.Cryptography;
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
internal sealed class SqliteRunStore : DbRunStore
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

    private readonly SqliteConnection _connection;

    private SqliteRunStore(SqliteConnection connection, string path, bool readOnly)
        : base(connection, path, readOnly) => _connection = connection;

    /// <summary>The journal mode in effect ("wal").</summary>
    public override string JournalMode => Read(() => (string)Scalar(null, "PRAGMA journal_mode")!);

    /// <inheritdoc/>
    private protected override string OrdinalCollation => string.Empty;

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

    /// <summary>
    /// Leases run <paramref name="runId"/> to this process, for training or resuming it; the lease ends when the run
    /// finishes or fails (<see cref="DbRunStore.SetStatus"/>, <see cref="DbRunStore.SetResult"/>), with <see cref="ReleaseRun"/>, or when
    /// this process ends: a lease whose process is no longer running (killed, even with SIGKILL) is taken over.
    /// </summary>
    /// <exception cref="RunStoreException">Another running process (or this one, for another recorder) holds the run: "run N is being trained or resumed by another process (pid P)".</exception>
    public override void ClaimRun(long runId) => Write(tx =>
    {
        Require(tx, runId);
        if (LeaseHolder(tx, runId) is { } holder && holder.IsAlive())
        {
            throw new RunStoreException(string.Create(CultureInfo.InvariantCulture, $"run {runId} is being trained or resumed by another process (pid {holder.Pid}, since {holder.Claimed:u}); wait for it to finish, or stop it and resume again."));
        }

        return SetLease(tx, runId, RunLease.Current().ToJson());
    });

    /// <summary>Ends this process's lease of run <paramref name="runId"/> (see <see cref="ClaimRun"/>); a lease held by another process is left alone.</summary>
    public override void ReleaseRun(long runId) => Write(tx =>
    {
        if (LeaseHolder(tx, Require(tx, runId)) is { } holder && holder.IsThisProcess())
        {
            SetLease(tx, runId, null);
        }

        return 0;
    });

    /// <summary>
    /// Saves a checkpoint at <paramref name="step"/> from a stream (an agent's <c>SaveCheckpoint</c> output, read
    /// from its current position to its end), replacing one at the same step, and keeps only the newest
    /// <see cref="RunStore.CheckpointsKept"/>; one transaction. The SHA-256 of the bytes is stored with them.
    /// The bytes go straight into the row's blob (<see cref="SqliteBlob"/>), never whole in memory.
    /// </summary>
    public override void SaveCheckpoint(long runId, long step, Stream weights, byte[] rngState)
    {
        ArgumentNullException.ThrowIfNull(weights);
        ArgumentNullException.ThrowIfNull(rngState);
        Write(tx =>
        {
            Touch(tx, runId);
            var length = weights.Length - weights.Position;
            var rowid = (long)Scalar(tx, "INSERT OR REPLACE INTO checkpoints(run, step, weights, rng, created) VALUES (@r, @s, zeroblob(@n), @g, @now) RETURNING rowid", ("@r", runId), ("@s", step), ("@n", length), ("@g", rngState), ("@now", Now()))!;
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
            SetChecksum(tx, rowid, hash.GetHashAndReset());
            PruneCheckpoints(tx, runId);
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
        using var command = Command(null, $"SELECT step, weights, rng, {ChecksumColumn} FROM checkpoints WHERE run = @r ORDER BY step DESC LIMIT 1", ("@r", runId));
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

    /// <summary><c>INSERT OR REPLACE</c>: the row with the same key is deleted, then the new one inserted.</summary>
    private protected override string Upsert(string table, string columns, string values, string key) =>
        $"INSERT OR REPLACE INTO {table}({columns}) VALUES ({values})";

    /// <summary><c>BEGIN IMMEDIATE</c>: the write lock is taken at once (waiting up to the busy timeout), so two writers never deadlock upgrading a read.</summary>
    private protected override DbTransaction BeginWrite() => _connection.BeginTransaction(deferred: false);

    /// <summary>Round-trip ("O") text, UTC.</summary>
    private protected override object Now() => DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture);

    /// <inheritdoc/>
    private protected override DateTimeOffset ReadTime(DbDataReader reader, int column) =>
        DateTimeOffset.Parse(reader.GetString(column), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);

    /// <inheritdoc/>
    private protected override RunStoreException Translate(DbException e) => Translate(e, Path);

    /// <summary>A column added after schema 1 reads as its default in a store of an older schema opened read-only.</summary>
    private protected override string AddedColumn(string column, int since, string absent) => Version >= since ? column : absent;

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
                    SetChecksum(tx, rowId, hash);
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

        Version = version;
    }

    /// <summary>The file's application id, schema version and number of schema objects, read in one statement (one consistent snapshot).</summary>
    private (int Application, int Version, long Tables) ReadHeader(DbTransaction? tx)
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

        CheckNotNewer(version);
    }

    /// <summary>Sets the SHA-256 of the checkpoint in row <paramref name="rowId"/>.</summary>
    private void SetChecksum(DbTransaction tx, long rowId, byte[] hash) =>
        Execute(tx, "UPDATE checkpoints SET sha256 = @h WHERE rowid = @id", ("@h", hash), ("@id", rowId));

    private static RunStoreException Translate(DbException e, string path) => (e as SqliteException)?.SqliteErrorCode switch
    {
        11 => new RunStoreException($"{path} is corrupt (SQLite: {e.Message.Replace('\n', ' ')}); restore it from a backup or start a new store.", e),
        26 => new RunStoreException($"{path} is not an AlignLab run store (SQLite: file is not a database).", e),
        5 or 6 => new RunStoreException($"{path} is locked by another process; try again when it is done.", e),
        8 or 14 or 23 => new RunStoreException($"{path} cannot be opened for writing (SQLite: {e.Message.Replace('\n', ' ')}).", e),
        _ => new RunStoreException($"{path}: {e.Message.Replace('\n', ' ')}", e),
    };
}
