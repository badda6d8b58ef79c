namespace AlignLab.Scenarios;

/// <summary>One <c>event: weight</c> line of an objective.</summary>
/// <param name="Event">The event's name, located at its key.</param>
/// <param name="Weight">The weight as written: a number or a <c>$parameter</c> reference, resolved when built.</param>
internal sealed record ObjectiveTerm(Located<string> Event, Located<string> Weight);
