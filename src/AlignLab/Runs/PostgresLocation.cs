using System.Globalization;
using System.Text.RegularExpressions;
using Npgsql;

namespace AlignLab.Runs;

/// <summary>
/// Reads the text that names a PostgreSQL store or cluster: <c>postgres://user:password@host:port/database?key=value</c>
/// (also <c>postgresql://</c>; user, password and database percent-encoded) or an Npgsql connection string
/// (<c>Host=...;Username=...;Password=...;Database=...</c>), and shows it without its password.
/// </summary>
internal static partial class PostgresLocation
{
    /// <summary>Seconds to wait for a server before saying it cannot be reached (unless the text sets <c>Timeout</c>).</summary>
    public const int ConnectTimeoutSeconds = 15;

    /// <summary>Whether <paramref name="location"/> is a PostgreSQL URL or an Npgsql connection string.</summary>
    public static bool IsPostgres(string location) =>
        location.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase)
        || location.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase)
        || ConnectionStringHost().IsMatch(location);

    /// <summary>The Npgsql connection string for <paramref name="location"/>, with a short connect timeout unless it sets one.</summary>
    /// <exception cref="RunStoreException">A malformed URL or connection string, in one line that never shows the password.</exception>
    public static NpgsqlConnectionStringBuilder Parse(string location)
    {
        ArgumentNullException.ThrowIfNull(location);
        NpgsqlConnectionStringBuilder builder;
        try
        {
            builder = location.Contains("://", StringComparison.Ordinal) ? FromUrl(location) : new NpgsqlConnectionStringBuilder(location);
        }
        catch (Exception e) when (e is ArgumentException or FormatException or UriFormatException or KeyNotFoundException)
        {
            throw new RunStoreException($"'{Redact(location)}' is not a PostgreSQL location: write postgres://user:password@host:port/database or Host=...;Username=...;Password=...;Database=... ({e.Message.ReplaceLineEndings(" ")})", e);
        }

        if (string.IsNullOrEmpty(builder.Host))
        {
            throw new RunStoreException($"'{Redact(location)}' names no PostgreSQL host: write postgres://user:password@host:port/database.");
        }

        if (!location.Contains("timeout", StringComparison.OrdinalIgnoreCase))
        {
            builder.Timeout = ConnectTimeoutSeconds;
        }

        return builder;
    }

    /// <summary><c>postgres://user@host:port/database</c>: where the store is, without the password.</summary>
    public static string Display(NpgsqlConnectionStringBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var user = string.IsNullOrEmpty(builder.Username) ? string.Empty : Uri.EscapeDataString(builder.Username) + "@";
        return string.Create(CultureInfo.InvariantCulture, $"postgres://{user}{builder.Host}:{builder.Port}/{builder.Database ?? builder.Username}");
    }

    private static NpgsqlConnectionStringBuilder FromUrl(string location)
    {
        var uri = new Uri(location);
        if (uri.Scheme is not ("postgres" or "postgresql"))
        {
            throw new FormatException($"the scheme is '{uri.Scheme}', not postgres");
        }

        var builder = new NpgsqlConnectionStringBuilder { Host = uri.Host, Port = uri.IsDefaultPort || uri.Port < 0 ? 5432 : uri.Port };
        if (uri.UserInfo.Length > 0)
        {
            var colon = uri.UserInfo.IndexOf(':', StringComparison.Ordinal);
            builder.Username = Uri.UnescapeDataString(colon < 0 ? uri.UserInfo : uri.UserInfo[..colon]);
            if (colon >= 0)
            {
                builder.Password = Uri.UnescapeDataString(uri.UserInfo[(colon + 1)..]);
            }
        }

        var database = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/'));
        if (database.Length > 0)
        {
            builder.Database = database;
        }

        foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                throw new FormatException($"the query part '{pair}' is not key=value");
            }

            builder[Uri.UnescapeDataString(pair[..eq])] = Uri.UnescapeDataString(pair[(eq + 1)..]);
        }

        return builder;
    }

    /// <summary>The text with any password replaced by <c>***</c>.</summary>
    internal static string Redact(string location) =>
        UrlPassword().Replace(ConnectionStringPassword().Replace(location, "${key}=***"), "${user}:***@");

    [GeneratedRegex(@"(^|;)\s*(host|server)\s*=", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex ConnectionStringHost();

    [GeneratedRegex(@"(?<key>password|pwd)\s*=[^;]*", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex ConnectionStringPassword();

    [GeneratedRegex(@"(?<user>//[^:/@]*):[^@]*@", RegexOptions.CultureInvariant)]
    private static partial Regex UrlPassword();
}
