using System.Globalization;
using Npgsql;

namespace AlignLab.Cluster.Tests;

/// <summary>
/// The local PostgreSQL the tests run against (.ci/run installs and starts one): a role that may create databases,
/// from <c>ALIGNLAB_TEST_POSTGRES</c> (an Npgsql connection string) or the default below. Each test gets a database of
/// its own, dropped at the end; without a server every test here skips with the reason.
/// </summary>
public sealed class Postgres : IDisposable
{
    /// <summary>The role .ci/run creates.</summary>
    public const string DefaultAdmin = "Host=127.0.0.1;Port=5432;Username=alignlab;Password=alignlab;Database=postgres;Timeout=15";

    private static int _counter;
    private readonly List<string> _databases = [];

    public static string Admin => Environment.GetEnvironmentVariable("ALIGNLAB_TEST_POSTGRES") is { Length: > 0 } text ? text : DefaultAdmin;

    /// <summary>A new empty database, as an Npgsql connection string; skips the test when no server can be reached.</summary>
    public string CreateDatabase()
    {
        var name = string.Create(CultureInfo.InvariantCulture, $"alignlab_test_{Environment.ProcessId}_{Interlocked.Increment(ref _counter)}");
        try
        {
            using var connection = new NpgsqlConnection(Admin);
            connection.Open();
            using (var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {name} WITH (FORCE)", connection))
            {
                drop.ExecuteNonQuery();
            }

            using var create = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
            create.ExecuteNonQuery();
        }
        catch (NpgsqlException e)
        {
            Assert.Skip($"no PostgreSQL to test against at {new NpgsqlConnectionStringBuilder(Admin) { Password = null }}: {e.Message} (.ci/run installs and starts one; or set ALIGNLAB_TEST_POSTGRES)");
        }

        _databases.Add(name);
        return new NpgsqlConnectionStringBuilder(Admin) { Database = name }.ConnectionString;
    }

    /// <summary><paramref name="connection"/> as a <c>postgres://</c> URL.</summary>
    public static string Url(string connection, string? password = null)
    {
        var b = new NpgsqlConnectionStringBuilder(connection);
        return string.Create(CultureInfo.InvariantCulture, $"postgres://{Uri.EscapeDataString(b.Username!)}:{Uri.EscapeDataString(password ?? b.Password!)}@{b.Host}:{b.Port}/{b.Database}");
    }

    /// <summary>Runs <paramref name="sql"/> on <paramref name="connection"/> and returns its first value.</summary>
    public static object? Scalar(string connection, string sql)
    {
        using var c = new NpgsqlConnection(connection);
        c.Open();
        using var command = new NpgsqlCommand(sql, c);
        var value = command.ExecuteScalar();
        return value is DBNull ? null : value;
    }

    public void Dispose()
    {
        NpgsqlConnection.ClearAllPools();
        try
        {
            using var connection = new NpgsqlConnection(Admin);
            connection.Open();
            foreach (var name in _databases)
            {
                using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {name} WITH (FORCE)", connection);
                drop.ExecuteNonQuery();
            }
        }
        catch (NpgsqlException)
        {
            // The server went away: nothing to clean.
        }
    }
}
