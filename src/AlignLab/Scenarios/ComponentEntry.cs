namespace AlignLab.Scenarios;

/// <summary>
/// A component entry (<c>type: name, with: {...}</c>) or a distribution's generator, as written and as
/// compiled: its arguments are typed only when the component reads them (<see cref="ComponentArgs"/>).
/// </summary>
/// <param name="Type">The registered name.</param>
/// <param name="At">The entry's mapping.</param>
/// <param name="Arguments">The <c>with:</c> arguments, in file order.</param>
internal sealed record ComponentEntry(string Type, SourceLocation At, IReadOnlyList<ComponentArgument> Arguments);
