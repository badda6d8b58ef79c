namespace AlignLab.Scenarios;

/// <summary>
/// One <c>with:</c> argument of a component or generator entry as written. It stays text until the
/// component reads it with a type (<see cref="ComponentArgs"/>), since only the component knows it.
/// </summary>
/// <param name="Name">The argument's name.</param>
/// <param name="Text">The value as written (possibly a <c>$parameter</c> reference), or null when it is a list or mapping rather than one value, which is an error once read.</param>
/// <param name="At">Where the value was written.</param>
internal sealed record ComponentArgument(string Name, string? Text, SourceLocation At);
