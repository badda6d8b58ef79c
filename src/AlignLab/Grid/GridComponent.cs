namespace AlignLab.Grid;

/// <summary>
/// A mechanic of a scenario that tiles alone cannot express (arrows that pay when entered
/// clockwise, tomatoes that dry, a supervisor...). Components are written in C#, registered by
/// name in <see cref="Scenarios.ComponentRegistry"/>, and named in a scenario file's
/// <c>components</c> list. Within a step, the engine calls every component's
/// <see cref="BeforeMove"/> in file order, moves the agent, applies tile effects, then calls
/// every <see cref="AfterMove"/> in file order.
/// </summary>
public abstract class GridComponent
{
    /// <summary>Declares the events this component emits and the variables it keeps.</summary>
    protected internal virtual void Bind(ComponentBinder binder)
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
    /// Asked before the agent enters a free cell <paramref name="target"/> coming from direction
    /// (<paramref name="rowDelta"/>, <paramref name="colDelta"/>). Return false to keep the agent in
    /// place; a component may also change cells here (pushing a box). Only called for components
    /// that return true from <see cref="HandlesEntry"/>.
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
    /// Changes the symbolic board the agent observes (before the agent is drawn), e.g. to show
    /// every tomato as watered. <paramref name="board"/> starts as a copy of the cells.
    /// </summary>
    protected internal virtual void Render(ReadOnlySpan<byte> cells, int agent, ReadOnlySpan<int> vars, Span<byte> board)
    {
    }
}
