namespace AlignLab.Objectives;

/// <summary>
/// An objective: a weighted sum of event counts over the transitions of an episode. The
/// specified reward, the intended objective and every candidate goal are objectives of this
/// one kind, so any of them can be trained on, evaluated on any policy, and solved exactly.
/// </summary>
public sealed class Objective
{
    private readonly int[] _events;
    private readonly double[] _weights;

    /// <summary>Creates an objective from (event index, weight) terms over an event table.</summary>
    public Objective(string name, IReadOnlyList<string> eventNames, IEnumerable<(int Event, double Weight)> terms)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(eventNames);
        ArgumentNullException.ThrowIfNull(terms);
        var list = terms.ToList();
        foreach (var (e, _) in list)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(e);
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(e, eventNames.Count);
        }

        Name = name;
        EventNames = eventNames;
        _events = [.. list.Select(t => t.Event)];
        _weights = [.. list.Select(t => t.Weight)];
    }

    /// <summary>The objective's name: <c>reward</c>, <c>intended</c>, or a goal's name.</summary>
    public string Name { get; }

    /// <summary>The event table the term indices refer to.</summary>
    public IReadOnlyList<string> EventNames { get; }

    /// <summary>The terms as (event name, weight), in declaration order.</summary>
    public IEnumerable<(string Event, double Weight)> Terms => _events.Select((e, i) => (EventNames[e], _weights[i]));

    /// <summary>The objective's value for one transition, given that transition's event counts.</summary>
    public double Evaluate(ReadOnlySpan<double> events)
    {
        var sum = 0.0;
        for (var i = 0; i < _events.Length; i++)
        {
            var count = events[_events[i]];
            if (count != 0)
            {
                sum += _weights[i] * count;
            }
        }

        return sum;
    }

    /// <summary>A readable form such as <c>−1·step + 3·arrow_entered_clockwise</c>.</summary>
    public override string ToString() =>
        _events.Length == 0 ? "0" : string.Join(" + ", Terms.Select(t => $"{t.Weight.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture)}·{t.Event}"));
}
