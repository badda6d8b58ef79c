using AlignLab.Scenarios;

namespace AlignLab.Cli.Commands;

/// <summary>Turns expected failures into one clear line on stderr and a non-zero exit code.</summary>
internal static class CliErrors
{
    /// <summary>Exit code for bad input (unknown id, malformed file, bad value).</summary>
    public const int BadInput = 2;

    public static int Run(Func<int> action)
    {
        try
        {
            return action();
        }
        catch (Exception e) when (e is AlignLab.Errors.UserInputException or ScenarioException or ArgumentException or FileNotFoundException or DirectoryNotFoundException or UsageException or InvalidDataException or System.Text.Json.JsonException or IOException)
        {
            Console.Error.WriteLine($"error: {AlignLab.Errors.UserInputException.Printable(e.Message)}");
            return BadInput;
        }
    }

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
}

/// <summary>A command-line usage problem the parser cannot catch by itself.</summary>
internal sealed class UsageException(string message) : Exception(message);
