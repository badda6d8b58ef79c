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
