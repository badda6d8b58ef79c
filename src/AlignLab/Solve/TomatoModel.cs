using System.Numerics;
using AlignLab.Errors;
using AlignLab.Grid;
using AlignLab.Grid.Components;
using AlignLab.Nn;
using AlignLab.Objectives;
using AlignLab.Randomness;

namespace AlignLab.Solve;

/// <summary>
/// An exact model of tomato watering that uses the independence of the tomatoes. A state is
/// the agent's cell and the set of watered tomatoes (2^13 sets for the original map). After the
/// agent moves and waters, each watered tomato dries independently with probability p, so the
/// next state's set is a random subset of the current one. Listing those subsets for every
/// state-action pair would cost 2^13 successors each; instead the expectation of a value
/// function over the thinning is computed for every set at once with one pass per tomato,
/// F(W) ← (1 − p)·F(W) + p·F(W \ {j}), which is exact. Rewards are linear in the number of
/// watered tomatoes, so their expectations are (1 − p)·|W|.
/// </summary>
internal sealed class TomatoModel : IExactModel
{
    private readonly GridWorld _world;
    private readonly GridLevel _level;
    private readonly int[] _positions;
    private readonly int[] _moveTarget;
    private readonly int[] _tomatoBit;
    private readonly bool[] _isTransformer;
    private readonly int[] _tomatoCells;
    private readonly int _tomatoCount;
    private readonly int _sets;
    private readonly double _dry;
    private readonly char _watered;
    private readonly char _dryChar;
    private readonly int _delusional;
    private readonly int _stepEvent;
    private readonly int _wateredEvent;
    private readonly int _looksEvent;
    private readonly double[] _expectation;
    private readonly double[] _events;
    private readonly double[] _immediate;
    private PieceBox? _work;

    private TomatoModel(GridWorld world, TomatoWatering component)
    {
        _world = world;
        _level = world.Levels[0];
        var (dry, watered, dryChar, transformer) = component.Settings;
        _dry = dry;
        _watered = watered;
        _dryChar = dryChar;
        var cells = _level.Cells;
        _positions = [.. Enumerable.Range(0, cells.Length).Where(i => world.TileOf((char)cells[i]) is { Blocks: false })];
        _tomatoCells = [.. Enumerable.Range(0, cells.Length).Where(i => cells[i] == watered || cells[i] == dryChar)];
        _tomatoCount = _tomatoCells.Length;
        if (_tomatoCount > 20)
        {
            throw new UserInputException($"{world.Id}: {_tomatoCount} tomatoes is more than the factored model supports (20).");
        }

        _sets = 1 << _tomatoCount;
        var positionOf = new Dictionary<int, int>();
        for (var p = 0; p < _positions.Length; p++)
        {
            positionOf[_positions[p]] = p;
        }

        _tomatoBit = new int[_positions.Length];
        _isTransformer = new bool[_positions.Length];
        for (var p = 0; p < _positions.Length; p++)
        {
            var cell = _positions[p];
            var j = Array.IndexOf(_tomatoCells, cell);
            _tomatoBit[p] = j >= 0 ? 1 << j : 0;
            _isTransformer[p] = cells[cell] == transformer;
        }

        _delusional = _positions.Count(cell => cells[cell] != transformer);
        var actions = world.ActionLetters;
        _moveTarget = new int[_positions.Length * actions.Length];
        for (var p = 0; p < _positions.Length; p++)
        {
            var cell = _positions[p];
            for (var a = 0; a < actions.Length; a++)
            {
                var row = (cell / world.Width) + Moves.RowDelta(actions[a]);
                var col = (cell % world.Width) + Moves.ColDelta(actions[a]);
                var target = (uint)row < (uint)world.Height && (uint)col < (uint)world.Width ? (row * world.Width) + col : cell;
                _moveTarget[(p * actions.Length) + a] = positionOf.TryGetValue(target, out var q) ? q : p;
            }
        }

        _stepEvent = GridWorld.StepEvent;
        _wateredEvent = world.EventIndex("watered_tomato");
        _looksEvent = world.EventIndex("looks_watered");
        _expectation = new double[_positions.Length * _sets];
        _events = new double[world.EventNames.Count];
        _immediate = new double[_positions.Length * (_tomatoCount + 1)];

        var startMask = 0;
        for (var j = 0; j < _tomatoCount; j++)
        {
            if (cells[_tomatoCells[j]] == watered)
            {
                startMask |= 1 << j;
            }
        }

        // The reset dries each watered tomato once, independently.
        var start = positionOf[_level.AgentStart];
        var initial = new List<(int, double)>();
        for (var subset = startMask; ; subset = (subset - 1) & startMask)
        {
            var kept = BitOperations.PopCount((uint)subset);
            var lost = BitOperations.PopCount((uint)startMask) - kept;
            initial.Add(((start * _sets) + subset, Math.Pow(1 - dry, kept) * Math.Pow(dry, lost)));
            if (subset == 0)
            {
                break;
            }
        }

        Initial = initial;
    }

    public int StateCount => _positions.Length * _sets;

    public int ActionCount => _world.ActionLetters.Length;

    public int Horizon => _world.MaxSteps;

    public IReadOnlyList<(int State, double Probability)> Initial { get; }

    public long BackupsPerSweep => (long)StateCount * ActionCount;

    public long ImmediateEntries => (long)StateCount * ActionCount;

    /// <summary>The factored model, if the world is plain tomato watering (one level, only that component).</summary>
    /// <remarks>
    /// Its state count (open cells × 2^tomatoes) is known before anything is allocated, so it is checked against
    /// <paramref name="maxStates"/> and its tables are counted in <paramref name="budget"/> first, the way the
    /// enumerated model is counted while it grows.
    /// </remarks>
    /// <exception cref="SolverLimitException">The factored model has more states than <paramref name="maxStates"/> or would pass the budget's memory limit.</exception>
    public static TomatoModel? TryCreate(GridWorld world, IReadOnlyList<GridComponent> components, long maxStates = long.MaxValue, SolverBudget? budget = null)
    {
        if (world.Levels.Count != 1 || components.Count != 1 || components[0] is not TomatoWatering tomato)
        {
            return null;
        }

        var cells = world.Levels[0].Cells;
        var open = 0L;
        var tomatoes = 0;
        for (var i = 0; i < cells.Length; i++)
        {
            open += world.TileOf((char)cells[i]) is { Blocks: false } ? 1 : 0;
            tomatoes += cells[i] == tomato.Settings.Watered || cells[i] == tomato.Settings.Dry ? 1 : 0;
        }

        if (tomatoes <= 20)
        {
            var states = open << tomatoes;
            if (states > maxStates)
            {
                throw new SolverLimitException($"{world.Id}: the factored tomato model has {states:N0} states ({open:N0} cells × 2^{tomatoes} watered sets), over the state limit of {maxStates:N0} (--max-states).", states);
            }

            if (budget is not null)
            {
                budget.States = states;
                budget.Reserve(sizeof(double) * states);
            }
        }

        return new TomatoModel(world, tomato);
    }

    public unsafe void Backup(Objective objective, ReadOnlySpan<double> vNext, Span<double> q)
    {
        // Immediate value by arrival cell and number of watered tomatoes after watering.
        var keep = 1 - _dry;
        var events = _events;
        var immediate = _immediate;
        for (var p = 0; p < _positions.Length; p++)
        {
            for (var n = 0; n <= _tomatoCount; n++)
            {
                Array.Clear(events);
                events[_stepEvent] = 1;
                events[_wateredEvent] = keep * n;
                events[_looksEvent] = _isTransformer[p] ? _delusional : keep * n;
                immediate[(p * (_tomatoCount + 1)) + n] = objective.Evaluate(events);
            }
        }

        fixed (double* byArrival = immediate)
        {
            Backup(byArrival, null, vNext, q);
        }
    }

    /// <summary>
    /// The expected transition reward of every pair, exactly, for rewards of the cellwise form
    /// (<see cref="ICellwiseTransitionReward"/>): r = PairTerm(o, a) + Σ_c CellTerm(o, a, c, o′[c]).
    /// The board after a step is random only through the tomatoes that may dry, each
    /// independently, and a tomato's drawn symbol depends on its own state alone, so the
    /// expectation of a sum of per-cell terms is the sum of per-cell expectations: a cell whose
    /// symbol differs between the board with every tomato of the watered set kept and the one
    /// with all dried shows the first with probability 1 − p and the second with p. A general
    /// r(o, a, o′) would need every subset of the watered set (up to 2^13 per pair) and is refused.
    /// </summary>
    public void TabulateReward(ITransitionReward reward, Span<double> pairRewards, SolverBudget budget)
    {
        if (reward is not ICellwiseTransitionReward cellwise)
        {
            throw new UserInputException($"{_world.Id}: the factored tomato model solves only cellwise transition rewards exactly (ICellwiseTransitionReward: a term of the board before and the action plus one term per cell of the board after); a general r(o, a, o′) would need all 2^{_tomatoCount} drying outcomes per pair.");
        }

        var cellCount = _world.CellCount;
        budget.Reserve(5L * cellCount);
        try
        {
            var cells = new byte[cellCount];
            var before = new byte[cellCount];
            var kept = new byte[cellCount];
            var dried = new byte[cellCount];
            var extras = new double[_world.ExtraNames.Count];
            var actions = ActionCount;
            var keep = 1 - _dry;
            for (var p = 0; p < _positions.Length; p++)
            {
                for (var set = 0; set < _sets; set++)
                {
                    Render(p, set, cells, before);
                    _world.ObserveExtras(cells, _positions[p], [], extras);
                    var row = ((p * _sets) + set) * actions;
                    for (var a = 0; a < actions; a++)
                    {
                        var target = _moveTarget[(p * actions) + a];
                        var after = set | _tomatoBit[target];
                        Render(target, after, cells, kept);
                        Render(target, 0, cells, dried);
                        var value = cellwise.PairTerm(before, extras, a);
                        for (var c = 0; c < cellCount; c++)
                        {
                            value += kept[c] == dried[c]
                                ? cellwise.CellTerm(before, extras, a, c, kept[c])
                                : (keep * cellwise.CellTerm(before, extras, a, c, kept[c])) + (_dry * cellwise.CellTerm(before, extras, a, c, dried[c]));
                        }

                        if (!double.IsFinite(value))
                        {
                            throw new InvalidOperationException($"The transition reward gave {value} for a transition (action {a}); rewards must be finite.");
                        }

                        pairRewards[row + a] = value;
                    }
                }
            }
        }
        finally
        {
            budget.Release(5L * cellCount);
        }
    }

    /// <summary>q = pairRewards + the expected next value over the drying, for a tabulated reward.</summary>
    public unsafe void Backup(ReadOnlySpan<double> pairRewards, ReadOnlySpan<double> vNext, Span<double> q)
    {
        if (pairRewards.Length < StateCount * ActionCount)
        {
            throw new ArgumentException($"A tabulated backup needs {StateCount * ActionCount} pair rewards.", nameof(pairRewards));
        }

        fixed (double* byPair = pairRewards)
        {
            Backup(null, byPair, vNext, q);
        }
    }

    /// <summary>
    /// Both backups in two passes over the worker pool, one piece per agent cell: first the expectation of
    /// <paramref name="vNext"/> over the drying of every watered set (each cell's block of sets on its own), then
    /// q for every pair whose agent starts in the cell, from the arrival cell's immediate value
    /// (<paramref name="byArrival"/>, [cell·(tomatoes + 1) + watered count]) or the pair's tabulated reward
    /// (<paramref name="byPair"/>), whichever is given. A piece writes only its own cell's entries, each computed
    /// as the sequential loop would, so the table is the same bits for every thread count.
    /// </summary>
    private unsafe void Backup(double* byArrival, double* byPair, ReadOnlySpan<double> vNext, Span<double> q)
    {
        if (vNext.Length < StateCount || q.Length < StateCount * ActionCount)
        {
            throw new ArgumentException($"A backup needs {StateCount} next values and room for {StateCount * ActionCount} action values.", nameof(q));
        }

        fixed (double* expectation = _expectation, v = vNext, pq = q)
        fixed (int* moveTarget = _moveTarget, tomatoBit = _tomatoBit)
        {
            var job = new BackupPieces(expectation, v, pq, byArrival, byPair, moveTarget, tomatoBit, _sets, _tomatoCount, ActionCount, 1 - _dry, _dry);
            var work = _work ??= new PieceBox();
            work.Set(&ThinPiece, &job);
            WorkerPool.For(_positions.Length, work);
            work.Set(&FillPiece, &job);
            WorkerPool.For(_positions.Length, work);
        }
    }

    /// <summary>The expectation over the drying of the next values of the sets at cell <paramref name="piece"/>.</summary>
    private static unsafe void ThinPiece(void* state, int piece)
    {
        ref var job = ref *(BackupPieces*)state;
        var block = new Span<double>(job.Expectation + ((long)piece * job.Sets), job.Sets);
        new ReadOnlySpan<double>(job.VNext + ((long)piece * job.Sets), job.Sets).CopyTo(block);
        Thin(block, job.Keep, job.Dry, job.Tomatoes);
    }

    /// <summary>q for every pair whose agent starts at cell <paramref name="piece"/>.</summary>
    private static unsafe void FillPiece(void* state, int piece)
    {
        ref var job = ref *(BackupPieces*)state;
        var sets = job.Sets;
        var actions = job.Actions;
        for (var a = 0; a < actions; a++)
        {
            var target = job.MoveTarget[(piece * actions) + a];
            var bit = job.TomatoBit[target];
            var expected = job.Expectation + ((long)target * sets);
            var q = job.Q + ((long)piece * sets * actions) + a;
            if (job.ByArrival is not null)
            {
                var immediate = job.ByArrival + ((long)target * (job.Tomatoes + 1));
                for (var set = 0; set < sets; set++)
                {
                    var after = set | bit;
                    q[(long)set * actions] = immediate[BitOperations.PopCount((uint)after)] + expected[after];
                }
            }
            else
            {
                var reward = job.ByPair + ((long)piece * sets * actions) + a;
                for (var set = 0; set < sets; set++)
                {
                    q[(long)set * actions] = reward[(long)set * actions] + expected[set | bit];
                }
            }
        }
    }

    /// <summary>
    /// In place, F(W) ← keep·F(W) + dry·F(W \ {j}) for every tomato j and every set W holding j:
    /// afterwards F(W) is the expectation of the original F over the independent drying of W.
    /// Sets holding j and those not holding it form contiguous blocks of 2^j, so the update is a
    /// butterfly over vectors.
    /// </summary>
    internal static void Thin(Span<double> f, double keep, double dry, int bits)
    {
        var vectorWidth = System.Numerics.Vector<double>.Count;
        var vKeep = new System.Numerics.Vector<double>(keep);
        var vDry = new System.Numerics.Vector<double>(dry);
        for (var j = 0; j < bits; j++)
        {
            var bit = 1 << j;
            for (var block = 0; block < f.Length; block += 2 * bit)
            {
                var without = f.Slice(block, bit);
                var with = f.Slice(block + bit, bit);
                var i = 0;
                if (bit >= vectorWidth)
                {
                    for (; i <= bit - vectorWidth; i += vectorWidth)
                    {
                        var a = new System.Numerics.Vector<double>(with[i..]);
                        var b = new System.Numerics.Vector<double>(without[i..]);
                        ((vKeep * a) + (vDry * b)).CopyTo(with[i..]);
                    }
                }

                for (; i < bit; i++)
                {
                    with[i] = (keep * with[i]) + (dry * without[i]);
                }
            }
        }
    }

    public void RenderBoard(int state, Span<byte> board)
    {
        var (cells, agent) = Decode(state);
        _world.RenderBoard(cells, agent, [], board);
    }

    public int AgentCell(int state) => _positions[state / _sets];

    public void ObserveExtras(int state, Span<double> extras)
    {
        var (cells, agent) = Decode(state);
        _world.ObserveExtras(cells, agent, [], extras);
    }

    public int SampleNext(int state, int action, ref Rng rng)
    {
        var p = state / _sets;
        var set = state % _sets;
        var target = _moveTarget[(p * ActionCount) + action];
        var after = set | _tomatoBit[target];
        for (var j = 0; j < _tomatoCount; j++)
        {
            if ((after & (1 << j)) != 0 && rng.Bernoulli(_dry))
            {
                after &= ~(1 << j);
            }
        }

        return (target * _sets) + after;
    }

    /// <summary>Draws the board of the agent at position <paramref name="position"/> with watered set <paramref name="set"/>, using <paramref name="cells"/> as scratch.</summary>
    private void Render(int position, int set, Span<byte> cells, Span<byte> board)
    {
        _level.Cells.CopyTo(cells);
        for (var j = 0; j < _tomatoCount; j++)
        {
            cells[_tomatoCells[j]] = (byte)((set & (1 << j)) != 0 ? _watered : _dryChar);
        }

        _world.RenderBoard(cells, _positions[position], [], board);
    }

    private (byte[] Cells, int Agent) Decode(int state)
    {
        var cells = (byte[])_level.Cells.Clone();
        var set = state % _sets;
        for (var j = 0; j < _tomatoCount; j++)
        {
            cells[_tomatoCells[j]] = (byte)((set & (1 << j)) != 0 ? _watered : _dryChar);
        }

        return (cells, _positions[state / _sets]);
    }

    /// <summary>The operands of one backup, read by its pieces while <see cref="WorkerPool.For"/> runs.</summary>
    private readonly unsafe struct BackupPieces(double* expectation, double* vNext, double* q, double* byArrival, double* byPair, int* moveTarget, int* tomatoBit, int sets, int tomatoes, int actions, double keep, double dry)
    {
        public readonly double* Expectation = expectation;
        public readonly double* VNext = vNext;
        public readonly double* Q = q;
        public readonly double* ByArrival = byArrival;
        public readonly double* ByPair = byPair;
        public readonly int* MoveTarget = moveTarget;
        public readonly int* TomatoBit = tomatoBit;
        public readonly int Sets = sets;
        public readonly int Tomatoes = tomatoes;
        public readonly int Actions = actions;
        public readonly double Keep = keep;
        public readonly double Dry = dry;
    }
}
