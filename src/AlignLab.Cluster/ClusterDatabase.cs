using System.Reflection;
using AlignLab.Runs;
using Npgsql;

namespace AlignLab.Cluster;

/// <summary>
/// The PostgreSQL database a cluster lives in: Orleans membership (which workers are alive, ADO.NET clustering) and
/// the AlignLab run store, side by side. <see cref="Ensure"/> makes both ready, idempotently.
/// </summary>
public static class ClusterDatabase
{
    /// <summary>The ADO.NET invariant name Orleans loads the Npgsql provider by.</summary>
    public const string Invariant = "Npgsql";

    /// <summary>The Orleans cluster and service id every AlignLab worker and submitter uses.</summary>
    public const string ClusterId = "alignlab";

    /// <summary>Key of the transaction lock that serialises applying the membership script (the two-int key space).</summary>
    private const int LockClass = 0x414C4142;

    /// <summary>
    /// Checks that <paramref name="location"/> (a <c>postgres://</c> URL or an Npgsql connection string) is reachable
    /// and an AlignLab store this version reads (creating the store's schema if the database has none), then creates
    /// the Orleans membership tables and queries if missing. Returns the Npgsql connection string for Orleans.
    /// </summary>
    /// <exception cref="RunStoreException">Not PostgreSQL, unreachable, login refused, or a store of a newer schema: one line, nothing changed.</exception>
    public static string Ensure(string location)
    {
        ArgumentNullException.ThrowIfNull(location);
        if (!RunStore.IsPostgres(location))
        {
            throw new RunStoreException($"--cluster '{location}' is not a PostgreSQL database: write postgres://user:password@host:port/database.");
        }

        // The store's own checks first: they give the one-line errors (unreachable, wrong password, newer schema) before anything is written.
        using (RunStore.Open(location))
        {
        }

        var builder = PostgresLocation.Parse(location);
        try
        {
            using var connection = new NpgsqlConnection(builder.ConnectionString);
            connection.Open();
            using var tx = connection.BeginTransaction();
            using (var lockCommand = new NpgsqlCommand("SELECT pg_advisory_xact_lock(@c, 1)", connection, tx))
            {
                lockCommand.Parameters.AddWithValue("c", LockClass);
                lockCommand.ExecuteNonQuery();
            }

            using (var command = new NpgsqlCommand(MembershipScript(), connection, tx))
            {
                command.ExecuteNonQuery();
            }

            tx.Commit();
        }
        catch (NpgsqlException e)
        {
            throw new RunStoreException($"{PostgresLocation.Display(builder)}: the cluster's membership tables could not be created ({e.Message.ReplaceLineEndings(" ")}).", e);
        }

        return builder.ConnectionString;
    }

    /// <summary>
    /// Workers of the cluster that look alive in the membership table: active, with a gateway, and a heartbeat
    /// (<c>IAmAliveTime</c>) within <paramref name="within"/>.
    /// </summary>
    internal static long LiveWorkers(string connection, TimeSpan within)
    {
        using var c = new NpgsqlConnection(connection);
        c.Open();
        using var command = new NpgsqlCommand("SELECT count(*) FROM OrleansMembershipTable WHERE DeploymentId = @d AND Status = 3 AND ProxyPort > 0 AND IAmAliveTime > now() - @w", c);
        command.Parameters.AddWithValue("d", ClusterId);
        command.Parameters.AddWithValue("w", within);
        return (long)command.ExecuteScalar()!;
    }

    /// <summary>The membership script embedded in this assembly (Sql/membership.sql).</summary>
    internal static string MembershipScript()
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("sql/membership.sql")
            ?? throw new InvalidOperationException("the membership script is not embedded in AlignLab.Cluster");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
