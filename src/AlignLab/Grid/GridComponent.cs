namespace AlignLab.Grid;

/// <summary>
/// A mechanic of a scenario that tiles alone cannot express (arrows that pay when entered
/// clockwise, tomatoes that dry, a supervisor...). Components are written in C#, marked with
/// <see cref="ComponentAttribute"/> and given a constructor taking
/// <see cref="Scenarios.ComponentArgs"/>, and named in a scenario file's <c>components</c> list.
/// Within a step, the engine calls every component's <see cref="BeforeMove"/> in file order,
/// moves the agent (asking <see cref="AllowEntry"/>), applies tile effects, then calls every
/// <see cref="AfterMove"/> in file order. Components keep their episode state in the cells or in
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

    /// <summary>
    /// Asked before the agent enters a cell <paramref name="target"/> whose tile does not block,
    /// coming from direction (<paramref name="rowDelta"/>, <paramref name="colDelta"/>). Return
    /// false to keep the agent in place; a component may also change state here (pushing a box).
    /// Only called for components that return true from <see cref="HandlesEntry"/>.
    /// </summary>
    protected internal virtual bool AllowEntry(ref StepContext context, int target, int rowDelta, int colDelta) => true;

    /// <summary>Whether <see cref="AllowEntry"/> must be consulted on moves.</summary>
    protected internal virtual bool HandlesEntry => false;

    /// <summary>Runs after the agent moved and tile effects were applied.</summary>
    protected internal virtual void AfterMove(ref StepContext context)
    {
    }

    /// <summary>Whether <see cref="Render"/> changes what the board shows.</summary>
    protected internal virtual bool Renders => false;

    /// <summary>
    /// Changes the symbolic board the agent observes. <paramref name="board"/> holds the cells
    /// with the agent already drawn at <paramref name="agent"/>; a component whose objects are
    /// drawn in front of the agent may overwrite that cell, otherwise it must leave it alone.
    /// Renderers run in file order.
    /// </summary>
    protected internal virtual void Render(ReadOnlySpan<byte> cells, int agent, ReadOnlySpan<int> vars, Span<byte> board)
    {
    }

    /// <summary>
    /// Writes this component's extra observations (declared with
    /// <see cref="ComponentBinder.Extra"/>), computed from the state; NaN means "none".
    /// </summary>
    protected internal virtual void Observe(ReadOnlySpan<byte> cells, int agent, ReadOnlySpan<int> vars, Span<double> extras)
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
