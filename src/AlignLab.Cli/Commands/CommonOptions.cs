using System.CommandLine;
using AlignLab.Runs;

namespace AlignLab.Cli.Commands;

/// <summary>Options several commands share, with their validation, so each says the same thing.</summary>
internal static class CommonOptions
{
    /// <summary>
    /// <c>--store FILE|postgres://...</c>: the run store (default <see cref="RunStore.DefaultPath"/>), an SQLite file or a
    /// PostgreSQL database (<see cref="RunStore.IsPostgres"/>: a <c>postgres://</c> URL or an Npgsql connection string), as
    /// <see cref="RunStore.Open"/> reads it; an empty name is refused rather than replaced by the default.
    /// </summary>
    public static Option<string> Store(string description = "The run store file (SQLite).")
    {
        var store = new Option<string>("--store") { Description = $"{description} Or a PostgreSQL database shared by several machines: postgres://user:password@host:port/database. Default: {RunStore.DefaultPath} in the working directory.", DefaultValueFactory = _ => RunStore.DefaultPath };
        store.Validators.Add(result =>
        {
            if (string.IsNullOrWhiteSpace(result.GetValueOrDefault<string>()))
            {
                result.AddError("--store needs a file name or a postgres:// location.");
            }
        });
        return store;
    }

    /// <summary>
    /// <c>--no-store</c>: print the result only. Without it, a command that analyses a stored run (probe, steer, audit,
    /// redteam, mesa) keeps its result in the same store as an analysis of that run, for <c>alignlab report</c>.
    /// </summary>
    public static Option<bool> NoStore() =>
        new("--no-store") { Description = "Print the result only; by default it is also kept in the store (--store) as an analysis of the run, which alignlab report draws." };

    /// <summary>
    /// Opens the store named by <paramref name="store"/> for writing an analysis of run <paramref name="runId"/>, before
    /// the analysis starts (so a store that cannot be written fails at once); null with <c>--no-store</c>. Call it after the run was
    /// read from the store, which therefore exists: nothing is created, an older schema is brought up to date.
    /// </summary>
    /// <exception cref="RunStoreException">The store cannot be written, or has no such run.</exception>
    public static RunStore? AnalysisStore(ParseResult parse, Option<string> store, Option<bool> noStore, long runId)
    {
        ArgumentNullException.ThrowIfNull(parse);
        if (parse.GetValue(noStore))
        {
            return null;
        }

        var opened = RunStore.Open(parse.GetValue(store));
        try
        {
            opened.GetRun(runId);
            return opened;
        }
        catch
        {
            opened.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The command line as given (<c>alignlab steer 3 --levels 100 ...</c>), for the analyses to name the command that
    /// produced them; a PostgreSQL <c>--store</c> is shown without its password.
    /// </summary>
    public static string CommandLine(ParseResult parse)
    {
        ArgumentNullException.ThrowIfNull(parse);
        var words = new List<string> { "alignlab" };
        var afterStore = false;
        foreach (var token in parse.Tokens.Select(t => t.Value))
        {
            var word = token;
            if (afterStore && RunStore.IsPostgres(token))
            {
                word = Describe(token);
            }
            else if (token.StartsWith("--store=", StringComparison.Ordinal) && RunStore.IsPostgres(token["--store=".Length..]))
            {
                word = "--store=" + Describe(token["--store=".Length..]);
            }

            afterStore = token == "--store";
            words.Add(word.Length > 0 && !word.Any(c => char.IsWhiteSpace(c) || c is '"' or '\'' or '\\' or '$' or '`') ? word : "'" + word.Replace("'", "'\\''", StringComparison.Ordinal) + "'");
        }

        return string.Join(' ', words);

        static string Describe(string location)
        {
            try
            {
                return RunStore.Describe(location);
            }
            catch (RunStoreException)
            {
                return "postgres://…";
            }
        }
    }

    /// <summary>
    /// Checks, before any work starts, that an output file can be written: not a directory, its folder exists,
    /// and it can be opened for writing (a file that did not exist is removed again).
    /// </summary>
    /// <exception cref="UsageException">The path cannot be written, with the reason.</exception>
    public static string CheckWritable(string path, string option)
    {
        if (string.IsNullOrWhiteSpace(path))
        {
            throw new UsageException($"{option} needs a file name.");
        }

        var full = Path.GetFullPath(path);
        if (Directory.Exists(full))
        {
            throw new UsageException($"{option} {path}: is a directory; give a file name.");
        }

        var existed = File.Exists(full);
        try
        {
            using (new FileStream(full, FileMode.OpenOrCreate, FileAccess.Write, FileShare.ReadWrite))
            {
            }

            if (!existed)
            {
                File.Delete(full);
            }
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            throw new UsageException($"{option} {path}: cannot be written ({e.Message}).");
        }

        return full;
    }
}
