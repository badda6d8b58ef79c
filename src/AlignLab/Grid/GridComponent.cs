namespace AlignLab.Grid;

/// <summary>
/// A mechanic of a scenario that tiles alone cannot express (arrows that pay when entered
/// clockwise, tomatoes that dry, a supervisor...). Components are written in C#, marked with
/// <see cref="ComponentAttribute"/> and given a constructor taking
/// <see cref="Scenarios.ComponentArgs"/>, and named in a scenario file's <c>components</c> list.
/// Within a step, the engine calls every component's <see cref="BeforeMove"/> in file order,
/// moves the agent, applies tile effects, then calls every <see cref="AfterMove"/> in file order.
/// The three optional hooks are declared by implementing their interfaces, and the engine calls
/// only the components that do: <see cref="IEntryHandler"/> (may the agent enter a cell?),
/// <see cref="IBoardRenderer"/> (what the board shows) and <see cref="IExtrasObserver"/> (extra
/// observations beside the board). Components keep their episode state in the cells or in
/// declared variables, never in fields: one component instance serves every environment of a
/// batch and the exact solver, which treats (cells, agent, variables) as the whole state.
/// </summary>
public abstract class GridComponent
{
    /// <summary>Declares the events this component emits, its variables and its extra observations.</summary>
    protected internal virtual void Bind(ComponentBinder binder)
    {
    }

    /// <summary>
    /// Called once when an environment is created, before its first reset, to set persistent
    /// variables (state kept across episodes, such as FriendFoe's bandit estimates).
    /// </summary>
    protected internal virtual void OnCreate(Span<int> vars)
    {
    }

    /// <summary>Sets up the component's part of a fresh episode (variables, initial random draws).</summary>
    protected internal virtual void OnReset(ref StepContext context)
    {
    }

    /// <summary>Runs before the agent moves; may change <see cref="StepContext.Move"/>.</summary>
    protected internal virtual void BeforeMove(ref StepContext context)
    {
    }

    /// <summary>Runs after the agent moved and tile effects were applied.</summary>
    protected internal virtual void AfterMove(ref StepContext context)
    {
    }
}

/// <summary>Marks a <see cref="GridComponent"/> as available to scenario files under a name.</summary>
/// <param name="name">The name used in a scenario file's <c>components</c> list.</param>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class ComponentAttribute(string name) : Attribute
{
    /// <summary>The name used in scenario files.</summary>
    public string Name { get; } = name;
}
