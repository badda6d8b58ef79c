namespace AlignLab.Scenarios;

/// <summary>A value as written in a scenario file, with where it was written.</summary>
/// <param name="Value">The value.</param>
/// <param name="At">Where it was written.</param>
internal readonly record struct Located<T>(T Value, SourceLocation At);
