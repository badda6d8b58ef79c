using AlignLab.Nn;

namespace AlignLab.Solve;

/// <summary>
/// A reusable <see cref="IPieceWork"/> that runs a static function on operands the caller keeps on its stack
/// (or pinned) for the length of <see cref="WorkerPool.For"/>: handing work to the pool then allocates nothing.
/// Not thread-safe: one owner (a model, a solver, an agent) uses it for one call at a time.
/// </summary>
internal sealed unsafe class PieceBox : IPieceWork
{
    private delegate*<void*, int, void> _run;
    private void* _state;

    /// <summary>The function that runs a piece, and the operands it receives (valid until the call returns).</summary>
    public void Set(delegate*<void*, int, void> run, void* state)
    {
        _run = run;
        _state = state;
    }

    /// <inheritdoc/>
    public void Run(int piece) => _run(_state, piece);
}
