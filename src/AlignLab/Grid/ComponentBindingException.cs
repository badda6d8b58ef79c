namespace AlignLab.Grid;

/// <summary>
/// A component could not be bound into a world (a state variable declared twice, too many events,
/// a symbol the legend lacks...). It names the component by its position in the components list,
/// so that <see cref="Scenarios.ScenarioDefinition"/> can report it at that entry in the file.
/// </summary>
internal sealed class ComponentBindingException : Exception
{
    /// <summary>Creates the exception for the component at <paramref name="componentIndex"/> (file order).</summary>
    public ComponentBindingException(int componentIndex, string problem, Exception? inner = null)
        : base(problem, inner)
    {
        ComponentIndex = componentIndex;
        Problem = problem;
    }

    /// <summary>The failing component's position in the components list.</summary>
    public int ComponentIndex { get; }

    /// <summary>What is wrong, one line, without a location.</summary>
    public string Problem { get; }
}
