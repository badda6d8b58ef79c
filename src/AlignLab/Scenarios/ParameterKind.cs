namespace AlignLab.Scenarios;

/// <summary>
/// What values a scenario parameter takes, inferred from its default: <c>--set</c> values must be
/// of the same kind.
/// </summary>
internal enum ParameterKind
{
    /// <summary><c>true</c> or <c>false</c>.</summary>
    Bool,

    /// <summary>An integer.</summary>
    Int,

    /// <summary>A finite number.</summary>
    Number,

    /// <summary>Any text.</summary>
    Text,
}
