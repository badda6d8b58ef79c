namespace AlignLab.Scenarios;

/// <summary>
/// Where something was written in a scenario file: the file (or resource) name and the 1-based
/// line and column. Errors found at any stage are reported at the location of what caused them.
/// </summary>
/// <param name="File">The file or resource the scenario was read from.</param>
/// <param name="Line">1-based line, or 0 when unknown.</param>
/// <param name="Column">1-based column, or 0 when unknown.</param>
internal readonly record struct SourceLocation(string File, int Line, int Column)
{
    /// <summary>A problem at this location: <c>file:line:column: problem</c>.</summary>
    public ScenarioException Error(string problem) => new(File, Line, Column, problem);
}
