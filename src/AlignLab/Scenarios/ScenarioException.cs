using AlignLab.Errors;

namespace AlignLab.Scenarios;

/// <summary>
/// A problem with a scenario file or with the options used to build a scenario, located as
/// precisely as possible. Its message is one line meant for the user: <c>file:line:col: what</c>.
/// It is bad user input, so the command line reports it with exit code 2.
/// </summary>
public sealed class ScenarioException : UserInputException
{
    /// <summary>Creates an error at a location; <paramref name="line"/> and <paramref name="column"/> are 1-based, 0 when unknown.</summary>
    public ScenarioException(string source, int line, int column, string problem)
        : base(Format(source, line, column, problem))
    {
        Source = source;
        Line = line;
        Column = column;
        Problem = Printable(problem);
    }

    /// <summary>Creates an error with no location.</summary>
    public ScenarioException(string problem)
        : this(string.Empty, 0, 0, problem)
    {
    }

    /// <summary>Creates an error with no location (serialisation-style constructor kept for the analyzers).</summary>
    public ScenarioException()
        : this("invalid scenario")
    {
    }

    /// <summary>Creates an error wrapping another (kept for the analyzers).</summary>
    public ScenarioException(string problem, Exception inner)
        : base(problem, inner)
    {
        Source = string.Empty;
        Problem = Printable(problem);
    }

    /// <summary>The file (or id, or option) the problem is in.</summary>
    public new string Source { get; }

    /// <summary>1-based line, or 0.</summary>
    public int Line { get; }

    /// <summary>1-based column, or 0.</summary>
    public int Column { get; }

    /// <summary>The problem alone, without location.</summary>
    public string Problem { get; }

    private static string Format(string source, int line, int column, string problem) =>
        source.Length == 0 ? problem
        : line > 0 ? $"{source}:{line}:{column}: {problem}"
        : $"{source}: {problem}";
}
