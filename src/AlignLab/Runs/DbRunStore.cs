using System.Data;
using System.Data.Common;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace AlignLab.Runs;

/// <summary>
/// The record logic both stores share, over ADO.NET (<see cref="DbConnection"/>): how runs, metrics, checkpoints,
/// episodes, results and analyses are written and read, in the SQL the two databases read alike (parameters as
/// <c>@name</c>, <c>RETURNING id</c>). Each store keeps only what really differs: how it connects and checks or
/// migrates its schema, how a run is leased, how a write transaction opens, how a failure reads, and the small dialect
/// hooks below (upsert syntax, times, ordinal text order, columns an older schema lacks).
/// </summary>
internal abstract class DbRunStore : RunStore
{
    /// <summary>The SQL that ends a run's lease when a status other than running is set (parameter <c>@st</c>).</summary>
    private const string ReleaseUnlessRunning = ", lease = CASE WHEN @st = 'running' THEN lease ELSE NULL END";

    /// <summary>How goal returns are written and read: NaN and infinities as their names.</summary>
    private static readonly JsonSerializerOptions JsonOptions = new() { NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals };

    private readonly DbConnection _connection;

    /// <summary>The upserts, built once from <see cref="Upsert"/> when first used.</summary>
    private string? _metricUpsert;
    private string? _checkpointUpsert;
    private string? _episodeUpsert;

    /// <summary>A store over the open <paramref name="connection"/>, shown as <paramref name="path"/>; the store disposes the connection.</summary>
    private protected DbRunStore(DbConnection connection, string path, bool readOnly)
        : base(path)
    {
        _connection = connection;
        IsReadOnly = readOnly;
    }

    /// <summary>Whether the store was opened read-only: every write throws, and nothing is created or migrated.</summary>
    private protected bool IsReadOnly { get; }

    /// <summary>The store's schema version (below <see cref="RunStore.SchemaVersion"/> only for a store opened read-only).</summary>
    private protected int Version { get; set; } = SchemaVersion;

    /// <summary>
    /// What follows a text column in <c>ORDER BY</c> so that it sorts by code point, as <see cref="StringComparer.Ordinal"/>
    /// does: nothing in SQLite (its BINARY collation), <c>COLLATE "C"</c> in PostgreSQL (whose default follows the locale).
    /// </summary>
    private protected abstract string OrdinalCollation { get; }

    /// <summary>The checkpoints' checksum column (added in schema 3).</summary>
    private protected string ChecksumColumn => AddedColumn("sha256", 3, "NULL");

    /// <inheritdoc/>
    public override long CreateRun(RunConfig config)
    {
        CheckConfig(config);
        return Write(tx => InsertRun(tx, config));
    }

    /// <inheritdoc/>
    public override void SetStatus(long runId, RunStatus status)
    {
        Write(tx => Execute(tx, $"UPDATE runs SET status = @st, updated = @now{ReleaseUnlessRunning} WHERE id = @r", ("@st", StatusName(status)), ("@now", Now()), ("@r", Require(tx, runId))));
        if (status != RunStatus.Running)
        {
            LeaseEnded(runId);
        }
    }

    /// <inheritdoc/>
    public override void AppendMetrics(long runId, long step, IReadOnlyDictionary<string, double> values)
    {
        CheckMetricNames(values);
        Write(tx =>
        {
            Touch(tx, runId);
            using var command = Command(tx, _metricUpsert ??= Upsert("metrics", "run, name, step, value", "@r, @n, @s, @v", "run, name, step"));
            Parameter(command, "@r", DbType.Int64).Value = runId;
            Parameter(command, "@s", DbType.Int64).Value = step;
            var n = Parameter(command, "@n", DbType.String);
            var v = Parameter(command, "@v", DbType.Double);
            foreach (var (name, value) in values)
            {
                n.Value = name;
                v.Value = Db(value);
                command.ExecuteNonQuery();
            }

            return 0;
        });
    }

    /// <inheritdoc/>
    public override void SaveCheckpoint(long runId, long step, byte[] weights, byte[] rngState)
    {
        ArgumentNullException.ThrowIfNull(weights);
        ArgumentNullException.ThrowIfNull(rngState);
        Write(tx =>
        {
            Touch(tx, runId);
            Execute(
                tx,
                _checkpointUpsert ??= Upsert("checkpoints", "run, step, weights, rng, created, sha256", "@r, @s, @w, @g, @now, @h", "run, step"),
                ("@r", runId),
                ("@s", step),
                ("@w", weights),
                ("@g", rngState),
                ("@now", Now()),
                ("@h", Checksum(weights, rngState)));
            PruneCheckpoints(tx, runId);
            return 0;
        });
    }

    /// <inheritdoc/>
    public override Checkpoint? LatestCheckpoint(long runId) => Read(() =>
    {
        Require(null, runId);
        using var command = Command(null, $"SELECT step, weights, rng, created, {ChecksumColumn} FROM checkpoints WHERE run = @r ORDER BY step DESC LIMIT 1", ("@r", runId));
        using var reader = command.ExecuteReader();
        if (!reader.Read())
        {
            return null;
        }

        var checkpoint = new Checkpoint(reader.GetInt64(0), (byte[])reader.GetValue(1), (byte[])reader.GetValue(2), ReadTime(reader, 3));
        Verify(runId, checkpoint.Step, Checksum(checkpoint.Weights, checkpoint.RngState), reader.IsDBNull(4) ? null : (byte[])reader.GetValue(4));
        return checkpoint;
    });

    /// <inheritdoc/>
    public override long? LatestCheckpointStep(long runId) => Read(() =>
    {
        Require(null, runId);
        return Scalar(null, "SELECT max(step) FROM checkpoints WHERE run = @r", ("@r", runId)) is long step ? step : (long?)null;
    });

    /// <inheritdoc/>
    public override void AddEpisodes(long runId, IEnumerable<EpisodeRecord> episodes)
    {
        ArgumentNullException.ThrowIfNull(episodes);
        var list = episodes.ToList();
        Write(tx =>
        {
            Touch(tx, runId);
            using var command = Command(
                tx,
                _episodeUpsert ??= Upsert("episodes", "run, distribution, level, episode, reward, intended, goal_returns, achieved, actions, seed", "@r, @d, @l, @e, @rw, @in, @g, @a, @x, @seed", "run, distribution, level, episode"),
                ("@r", runId));
            var distribution = Parameter(command, "@d", DbType.String);
            var level = Parameter(command, "@l", DbType.Int32);
            var index = Parameter(command, "@e", DbType.Int32);
            var reward = Parameter(command, "@rw", DbType.Double);
            var intended = Parameter(command, "@in", DbType.Double);
            var goals = Parameter(command, "@g", DbType.String);
            var achieved = Parameter(command, "@a", DbType.String);
            var actions = Parameter(command, "@x", DbType.String);
            var seed = Parameter(command, "@seed", DbType.String);
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

    /// <inheritdoc/>
    public override IReadOnlyList<EpisodeRecord> Episodes(long runId) => Read(() =>
    {
        Require(null, runId);
        using var command = Command(null, $"SELECT distribution, level, episode, reward, intended, goal_returns, achieved, actions, seed FROM episodes WHERE run = @r ORDER BY distribution{OrdinalCollation}, level, episode", ("@r", runId));
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

    /// <inheritdoc/>
    public override void SetResult(long runId, string json, RunStatus status = RunStatus.Finished)
    {
        CheckJson(json);
        Write(tx => Execute(tx, $"UPDATE runs SET result = @j, status = @st, updated = @now{ReleaseUnlessRunning} WHERE id = @r", ("@j", json), ("@st", StatusName(status)), ("@now", Now()), ("@r", Require(tx, runId))));
        if (status != RunStatus.Running)
        {
            LeaseEnded(runId);
        }
    }

    /// <inheritdoc/>
    public override long SaveAnalysis(long runId, string kind, string json)
    {
        CheckAnalysis(kind, json);
        return Write(tx =>
        {
            var now = Now();
            Execute(tx, "UPDATE runs SET updated = @now WHERE id = @r", ("@now", now), ("@r", Require(tx, runId)));
            return (long)Scalar(tx, "INSERT INTO analyses(run, kind, json, code_version, created) VALUES (@r, @k, @j, @v, @now) RETURNING id", ("@r", runId), ("@k", kind), ("@j", json), ("@v", CodeVersion), ("@now", now))!;
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
            if (Version < 4)
            {
                return result;
            }

            // CAST gives the parameter a type where it is NULL (PostgreSQL cannot infer one); in SQLite it is the value itself.
            using var command = Command(null, "SELECT id, kind, json, code_version, created FROM analyses WHERE run = @r AND (CAST(@k AS TEXT) IS NULL OR kind = CAST(@k AS TEXT)) ORDER BY id", ("@r", runId), ("@k", (object?)kind ?? DBNull.Value));
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                result.Add(new AnalysisRecord(reader.GetInt64(0), runId, reader.GetString(1), reader.GetString(2), reader.GetString(3), ReadTime(reader, 4)));
            }

            return result;
        });
    }

    /// <inheritdoc/>
    public override IReadOnlyList<RunInfo> ListRuns() => Read(() => Runs(null));

    /// <inheritdoc/>
    public override RunInfo GetRun(long runId) => Read(() => Runs(runId).SingleOrDefault() ?? throw NoRun(runId));

    /// <inheritdoc/>
    public override IReadOnlyList<MetricPoint> Metrics(long runId) => Read(() =>
    {
        Require(null, runId);
        using var command = Command(null, $"SELECT step, name, value FROM metrics WHERE run = @r ORDER BY name{OrdinalCollation}, step", ("@r", runId));
        using var reader = command.ExecuteReader();
        var result = new List<MetricPoint>();
        while (reader.Read())
        {
            result.Add(new MetricPoint(reader.GetInt64(0), reader.GetString(1), Real(reader, 2)));
        }

        return result;
    });

    /// <summary>Closes the connection.</summary>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _connection.Dispose();
        }
    }

    /// <summary>
    /// An insert that replaces the row with the same <paramref name="key"/> (a list of the key's columns): SQLite's
    /// <c>INSERT OR REPLACE</c>, PostgreSQL's <c>ON CONFLICT (key) DO UPDATE</c> of every other column.
    /// </summary>
    private protected abstract string Upsert(string table, string columns, string values, string key);

    /// <summary>Opens the transaction of one write, taking the store's write lock at once where the database has one.</summary>
    private protected abstract DbTransaction BeginWrite();

    /// <summary>The current time as the store keeps it (<c>created</c>, <c>updated</c> columns).</summary>
    private protected abstract object Now();

    /// <summary>A time column as the store keeps it (see <see cref="Now"/>), in UTC.</summary>
    private protected abstract DateTimeOffset ReadTime(DbDataReader reader, int column);

    /// <summary>One line for a failure of the database: what it means for the store at <see cref="RunStore.Path"/>.</summary>
    private protected abstract RunStoreException Translate(DbException e);

    /// <summary>
    /// What reads a column that schema <paramref name="since"/> added: the column itself, or (where a store of an older
    /// schema may be read as it is) <paramref name="absent"/> when <see cref="Version"/> is older.
    /// </summary>
    private protected virtual string AddedColumn(string column, int since, string absent) => column;

    /// <summary>
    /// Called once a status other than running has been written (the SQL has already cleared the <c>lease</c> column):
    /// ends whatever more of the lease the store holds.
    /// </summary>
    private protected virtual void LeaseEnded(long runId)
    {
    }

    /// <summary>Throws for a configuration a run cannot be created with.</summary>
    private protected static void CheckConfig(RunConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentException.ThrowIfNullOrWhiteSpace(config.ScenarioId);
        ArgumentException.ThrowIfNullOrWhiteSpace(config.Agent);
        ArgumentException.ThrowIfNullOrWhiteSpace(config.Distribution);
    }

    /// <summary>Inserts a new run with status running, in <paramref name="tx"/>, and returns its id.</summary>
    private protected long InsertRun(DbTransaction tx, RunConfig config)
    {
        var now = Now();
        return (long)Scalar(
            tx,
            "INSERT INTO runs(scenario, scenario_text, distribution, agent, parameters, hyperparameters, settings, seed, code_version, status, created, updated) VALUES (@s, @text, @d, @a, @p, @h, @settings, @seed, @v, 'running', @now, @now) RETURNING id",
            ("@s", config.ScenarioId),
            ("@text", (object?)config.ScenarioText ?? DBNull.Value),
            ("@d", config.Distribution),
            ("@a", config.Agent),
            ("@p", JsonSerializer.Serialize(new SortedDictionary<string, string>(config.Parameters?.ToDictionary() ?? [], StringComparer.Ordinal))),
            ("@h", (config.HyperParameters ?? []).ToJsonString()),
            ("@settings", (config.Settings ?? []).ToJsonString()),
            ("@seed", config.Seed.ToString(CultureInfo.InvariantCulture)),
            ("@v", CodeVersion),
            ("@now", now))!;
    }

    /// <summary>Who holds run <paramref name="runId"/>'s lease, as the <c>lease</c> column says, or null.</summary>
    private protected RunLease? LeaseHolder(DbTransaction tx, long runId) =>
        Scalar(tx, "SELECT lease FROM runs WHERE id = @r", ("@r", runId)) is string text ? RunLease.Parse(text) : null;

    /// <summary>Sets run <paramref name="runId"/>'s <c>lease</c> column (null: not leased); returns the rows changed.</summary>
    private protected int SetLease(DbTransaction tx, long runId, string? lease) =>
        Execute(tx, "UPDATE runs SET lease = @l WHERE id = @r", ("@l", (object?)lease ?? DBNull.Value), ("@r", runId));

    /// <summary>Deletes all but the newest <see cref="RunStore.CheckpointsKept"/> checkpoints of the run.</summary>
    private protected void PruneCheckpoints(DbTransaction tx, long runId) =>
        Execute(tx, "DELETE FROM checkpoints WHERE run = @r AND step NOT IN (SELECT step FROM checkpoints WHERE run = @r ORDER BY step DESC LIMIT @k)", ("@r", runId), ("@k", CheckpointsKept));

    /// <summary>Runs <paramref name="work"/> in one write transaction and commits it; a store opened read-only throws.</summary>
    private protected T Write<T>(Func<DbTransaction, T> work)
    {
        if (IsReadOnly)
        {
            throw new RunStoreException($"{Path} was opened read-only; it cannot be written.");
        }

        try
        {
            using var tx = BeginWrite();
            var result = work(tx);
            tx.Commit();
            return result;
        }
        catch (DbException e)
        {
            throw Translate(e);
        }
    }

    /// <summary>Runs <paramref name="work"/>, which reads; a record that cannot be read means a corrupt store.</summary>
    private protected T Read<T>(Func<T> work)
    {
        try
        {
            return work();
        }
        catch (DbException e)
        {
            throw Translate(e);
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidCastException)
        {
            throw new RunStoreException($"{Path} is corrupt: a record could not be read ({e.Message}).", e);
        }
    }

    /// <summary>Returns <paramref name="runId"/>, or throws when the store has no such run.</summary>
    private protected long Require(DbTransaction? tx, long runId) =>
        Scalar(tx, "SELECT 1 FROM runs WHERE id = @r", ("@r", runId)) is null ? throw NoRun(runId) : runId;

    /// <summary>Marks the run as written now (its <c>updated</c> column); throws when there is no such run.</summary>
    private protected void Touch(DbTransaction tx, long runId) =>
        Execute(tx, "UPDATE runs SET updated = @now WHERE id = @r", ("@now", Now()), ("@r", Require(tx, runId)));

    /// <summary>The error for a run the store does not have.</summary>
    private protected RunStoreException NoRun(long runId) => new($"{Path} has no run {runId}.");

    /// <summary>A command of <paramref name="sql"/> in <paramref name="tx"/> (null: none), with its parameters, each named as in the SQL (<c>@name</c>).</summary>
    private protected DbCommand Command(DbTransaction? tx, string sql, params (string Name, object Value)[] parameters)
    {
        var command = _connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = tx;
        foreach (var (name, value) in parameters)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = name;
            parameter.Value = value;
            command.Parameters.Add(parameter);
        }

        return command;
    }

    /// <summary>Runs a statement; returns the rows changed.</summary>
    private protected int Execute(DbTransaction? tx, string sql, params (string Name, object Value)[] parameters)
    {
        using var command = Command(tx, sql, parameters);
        return command.ExecuteNonQuery();
    }

    /// <summary>The first column of the first row, or null for no row or SQL NULL.</summary>
    private protected object? Scalar(DbTransaction? tx, string sql, params (string Name, object Value)[] parameters)
    {
        using var command = Command(tx, sql, parameters);
        var value = command.ExecuteScalar();
        return value is DBNull ? null : value;
    }

    /// <summary>Throws when <paramref name="version"/> is newer than this code reads.</summary>
    private protected void CheckNotNewer(int version)
    {
        if (version > SchemaVersion)
        {
            throw new RunStoreException($"{Path} was written by a newer AlignLab (store schema {version}; this version reads up to {SchemaVersion}).");
        }
    }

    private List<RunInfo> Runs(long? id)
    {
        var settings = AddedColumn("settings", 2, "'{}'");
        var text = AddedColumn("scenario_text", 3, "NULL");
        var sql = $"SELECT id, scenario, distribution, agent, parameters, hyperparameters, seed, code_version, status, result, created, updated, {settings}, {text} FROM runs";
        using var command = id is { } r ? Command(null, sql + " WHERE id = @r", ("@r", r)) : Command(null, sql + " ORDER BY id");

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
            result.Add(new RunInfo(reader.GetInt64(0), config, reader.GetString(7), ParseStatus(reader.GetString(8)), ReadTime(reader, 10), ReadTime(reader, 11), reader.IsDBNull(9) ? null : reader.GetString(9)));
        }

        return result;
    }

    /// <summary>A parameter of <paramref name="command"/> whose value a loop sets row by row.</summary>
    private static DbParameter Parameter(DbCommand command, string name, DbType type)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.DbType = type;
        command.Parameters.Add(parameter);
        return parameter;
    }

    private static object Db(double value) => double.IsNaN(value) ? DBNull.Value : value;

    private static double Real(DbDataReader reader, int column) => reader.IsDBNull(column) ? double.NaN : reader.GetDouble(column);
}
