using System.Globalization;
using AlignLab.Errors;
using AlignLab.Runs;
using AlignLab.Scenarios;

namespace AlignLab.Cli.Commands;

/// <summary>
/// Turns failures into one line on stderr and an exit code. Bad user input (the known user-error
/// exceptions) gives <see cref="BadInput"/>; anything else is a bug in AlignLab: its full exception goes
/// to a log file and the line asks for a report naming that file (<see cref="InternalError"/>).
/// </summary>
internal static class CliErrors
{
    /// <summary>Exit code for bad input (unknown id, malformed file, bad value, missing file).</summary>
    public const int BadInput = 2;

    /// <summary>Exit code for an internal error, a bug in AlignLab (EX_SOFTWARE of sysexits.h).</summary>
    public const int InternalError = 70;

    /// <summary>
    /// The exception types that mean bad user input: <see cref="UserInputException"/> (with its subclasses
    /// such as <see cref="ScenarioException"/>) and <see cref="RunStoreException"/> (an unusable store). A missing file or
    /// directory is taken to be a path the user gave (AlignLab's own files are embedded); the sites that
    /// open user paths should still rethrow it as a <see cref="UserInputException"/> with a clearer message.
    /// </summary>
    private static readonly Type[] UserErrorTypes =
    [
        typeof(UserInputException), typeof(RunStoreException), typeof(FileNotFoundException), typeof(DirectoryNotFoundException),
    ];

    /// <summary>Runs a command's action: its exit code, or the exit code of the failure it threw after one line on stderr.</summary>
    public static int Run(Func<int> action) => Run(action, Console.Error, Path.GetTempPath());

    /// <summary>
    /// Runs <paramref name="action"/>; a user error becomes one <c>error: …</c> line on
    /// <paramref name="error"/> and <see cref="BadInput"/>; any other exception is written with its stack
    /// trace to a new log file in <paramref name="logDirectory"/>, one line on <paramref name="error"/>
    /// names that file and asks for a report, and the result is <see cref="InternalError"/>.
    /// </summary>
    internal static int Run(Func<int> action, TextWriter error, string logDirectory)
    {
        try
        {
            return action();
        }
        catch (Exception e) when (IsUserError(e))
        {
            error.WriteLine($"error: {AlignLab.Errors.UserInputException.Printable(OneLine(e.Message))}");
            return BadInput;
        }
        catch (Exception e)
        {
            error.WriteLine(ReportInternalError(e, logDirectory));
            return InternalError;
        }
    }

    /// <summary>Whether <paramref name="e"/> is one of the exceptions that mean bad user input.</summary>
    public static bool IsUserError(Exception e) => Array.Exists(UserErrorTypes, t => t.IsInstanceOfType(e));

    /// <summary>Parses <c>key=value</c> pairs given with <c>--set</c>.</summary>
    public static Dictionary<string, string> ParseSet(IEnumerable<string>? pairs)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in pairs ?? [])
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0 || eq == pair.Length - 1)
            {
                throw new UsageException($"--set '{pair}' must look like key=value.");
            }

            result[pair[..eq]] = pair[(eq + 1)..];
        }

        return result;
    }

    /// <summary>Writes the log of an internal error and returns the one line that asks for a report.</summary>
    private static string ReportInternalError(Exception e, string logDirectory)
    {
        var now = DateTime.UtcNow;
        var what = $"internal error ({e.GetType().Name}: {OneLine(e.Message)})";
        var log = Path.Combine(logDirectory, $"alignlab-error-{now.ToString("yyyyMMdd'T'HHmmss'.'fff'Z'", CultureInfo.InvariantCulture)}-{Environment.ProcessId}.log");
        try
        {
            File.WriteAllText(log, string.Join(
                '\n',
                $"AlignLab {RunStore.CodeVersion} internal error at {now.ToString("O", CultureInfo.InvariantCulture)}",
                $"command: {string.Join(' ', Environment.GetCommandLineArgs())}",
                $"runtime: {System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription} on {System.Runtime.InteropServices.RuntimeInformation.OSDescription}",
                string.Empty,
                e.ToString(),
                string.Empty));
        }
        catch (Exception logError) when (logError is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
        {
            return $"{what}. This is a bug in AlignLab; please report it with this line and the command you ran (the details could not be written to {log}: {OneLine(logError.Message)}).";
        }

        return $"{what}. This is a bug in AlignLab; please report it and attach {log}.";
    }

    private static string OneLine(string text) => text.ReplaceLineEndings(" ").Trim();
}

/// <summary>A command-line usage problem the parser cannot catch by itself: bad user input, exit code 2.</summary>
internal sealed class UsageException(string message) : UserInputException(message);
