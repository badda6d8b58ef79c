namespace AlignLab.Grid;

/// <summary>
/// A component that decides whether the agent may enter a cell. The engine asks every component
/// of a world that implements this interface, in file order, before each move into a cell whose
/// tile does not block; the first that refuses keeps the agent in place.
/// </summary>
public interface IEntryHandler
{
    /// <summary>
    /// Asked before the agent enters the cell <paramref name="target"/>, coming from direction
    /// (<paramref name="rowDelta"/>, <paramref name="colDelta"/>). Return false to keep the agent
    /// in place; a component may also change state here (pushing a box).
    /// </summary>
    bool AllowEntry(ref StepContext context, int target, int rowDelta, int colDelta);
}

/// <summary>
/// A component that changes what the board shows the agent (objects kept in variables, a
/// delusion). The engine calls every component of a world that implements this interface, in
/// file order, after drawing the cells and the agent.
/// </summary>
public interface IBoardRenderer
{
    /// <summary>
    /// Changes the symbolic board the agent observes. <paramref name="board"/> holds the cells
    /// with the agent already drawn at <paramref name="agent"/>; a component whose objects are
    /// drawn in front of the agent may overwrite that cell, otherwise it must leave it alone.
    /// </summary>
    void Render(ReadOnlySpan<byte> cells, int agent, ReadOnlySpan<int> vars, Span<byte> board);
}

/// <summary>
/// A component that gives the agent extra observations beside the board (declared with
/// <see cref="ComponentBinder.Extra"/>). The engine calls every component of a world that
/// implements this interface, in file order, after filling the extras with NaN.
/// </summary>
public interface IExtrasObserver
{
    /// <summary>Writes this component's extra observations, computed from the state; NaN means "none".</summary>
    void Observe(ReadOnlySpan<byte> cells, int agent, ReadOnlySpan<int> vars, Span<double> extras);
}
