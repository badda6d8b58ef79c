using System.CommandLine;
using System.Globalization;
using System.Text.RegularExpressions;
using AlignLab.Scenarios;

namespace AlignLab.Cli.Commands;

/// <summary>
/// Turns the command-line parser's errors into the one line every other bad input gets: what was wrong, where,
/// with "did you mean" for unknown commands and options and plain words for the expected value (never a .NET
/// type name). The caller prints it and exits with <see cref="CliErrors.BadInput"/>, printing no help.
/// </summary>
internal static partial class ParseErrors
{
    /// <summary>The one-line message for a parse with errors.</summary>
    public static string Describe(ParseResult parse)
    {
        var command = parse.CommandResult.Command;
        var messages = parse.Errors.Select(e => e.Message).ToList();
        var unknown = messages.Select(m => Unrecognized().Match(m)).FirstOrDefault(m => m.Success);
        if (unknown is not null)
        {
            var token = unknown.Groups["token"].Value;
            var path = CommandPath(command);
            if (token.StartsWith('-'))
            {
                var names = command.Options.Where(o => !o.Hidden).SelectMany(o => o.Aliases.Prepend(o.Name)).Distinct().ToList();
                return $"unknown option '{token}' for '{path}'{Suggest.DidYouMean(token, names)}; see 'alignlab {(path == "alignlab" ? string.Empty : path + " ")}--help'.".Replace("alignlab alignlab", "alignlab", StringComparison.Ordinal);
            }

            if (command.Subcommands.Count > 0)
            {
                var names = command.Subcommands.Where(c => !c.Hidden).Select(c => c.Name).ToList();
                return $"unknown command '{token}'{Suggest.DidYouMean(token, names)}; commands: {string.Join(", ", names)}.";
            }

            return $"unexpected argument '{token}' for '{path}'; see 'alignlab {path} --help'.";
        }

        foreach (var message in messages)
        {
            var value = CannotParse().Match(message);
            if (value.Success)
            {
                return $"{value.Groups["kind"].Value} '{value.Groups["name"].Value}': '{value.Groups["value"].Value}' is not {Expected(value.Groups["type"].Value)}.";
            }
        }

        if (messages.Count > 0 && messages[0].StartsWith("Required command", StringComparison.Ordinal))
        {
            return $"'{CommandPath(command)}' needs a command: {string.Join(", ", command.Subcommands.Select(c => c.Name))}.";
        }

        return string.Join(" ", messages).Replace(Environment.NewLine, " ", StringComparison.Ordinal);
    }

    private static string CommandPath(Command command) => command is RootCommand ? "alignlab" : command.Name;

    private static string Expected(string type)
    {
        var inner = NullableOf().Match(type) is { Success: true } m ? m.Groups["inner"].Value : type;
        return inner switch
        {
            "System.UInt64" => string.Create(CultureInfo.InvariantCulture, $"a whole number from 0 to {ulong.MaxValue}"),
            "System.Int64" => string.Create(CultureInfo.InvariantCulture, $"a whole number from {long.MinValue} to {long.MaxValue}"),
            "System.Int32" => string.Create(CultureInfo.InvariantCulture, $"a whole number from {int.MinValue} to {int.MaxValue}"),
            "System.Double" => "a number",
            "System.Boolean" => "true or false",
            _ => "a valid value",
        };
    }

    [GeneratedRegex("^Unrecognized command or argument '(?<token>.*)'\\.$")]
    private static partial Regex Unrecognized();

    [GeneratedRegex("^Cannot parse argument '(?<value>.*)' for (?<kind>option|command|argument) '(?<name>.*)' as expected type '(?<type>.*)'\\.$")]
    private static partial Regex CannotParse();

    [GeneratedRegex("^System\\.Nullable`1\\[(?<inner>.*)\\]$")]
    private static partial Regex NullableOf();
}
