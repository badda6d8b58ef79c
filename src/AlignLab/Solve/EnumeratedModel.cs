using AlignLab.Errors;
using AlignLab.Grid;
using AlignLab.Nn;
using AlignLab.Objectives;
using AlignLab.Randomness;

namespace AlignLab.Solve;

/// <summary>
/// The generic exact model: every reachable state of a world is enumerated (breadth first, with
/// hashing) and every stochastic step is expanded into its branches with their exact
/// probabilities, by replaying the step under a <see cref="ChanceScript"/>. Transitions are
/// stored in flat arrays (CSR), so a backup is a tight loop.
/// </summary>
internal sealed class EnumeratedModel : IExactModel
{
    private readonly GridWorld _world;
    private readonly StateCodec _codec;
    private readonly StateArena _states;
    private readonly int[] _pairStart;
    private readonly int[] _next;
    private readonly int[] _probabilityIndex;
    private readonly double[] _probabilities;
    private readonly int[] _pairEvents;
    private readonly EventVectors _eventVectors;
    private readonly Dictionary<Objective, double[]> _immediateCache = new(ReferenceEqualityComparer.Instance);

    private EnumeratedModel(GridWorld world, StateCodec codec, StateArena states, List<(int, double)> initial, int[] pairStart, int[] next, int[] probabilityIndex, double[] probabilities, int[] pairEvents, EventVectors eventVectors)
    {
        _world = world;
        _codec = codec;
        _states = states;
        Initial = initial;
        _pairStart = pairStart;
        _next = next;
        _probabilityIndex = probabilityIndex;
        _probabilities = probabilities;
        _pairEvents = pairEvents;
        _eventVectors = eventVectors;
    }

    /// <summary>State-action pairs per piece of a parallel backup (a fixed size, so pieces never depend on the thread count).</summary>
    internal const int PairsPerPiece = 8192;

    private PieceBox? _backupWork;

    public int StateCount => _states.Count;

    public int ActionCount => _world.ActionLetters.Length;

    public int Horizon => _world.MaxSteps;

    public IReadOnlyList<(int State, double Probability)> Initial { get; }

    public long BackupsPerSweep => (long)StateCount * ActionCount;

    public long ImmediateEntries => _eventVectors.Count;

    /// <summary>Enumerates the reachable states of <paramref name="world"/> within <paramref name="limits"/> (<see cref="SolverLimits.Default"/> when null).</summary>
    public static EnumeratedModel Build(GridWorld world, SolverLimits? limits = null)
    {
        limits ??= SolverLimits.Default;
        return Build(world, limits.MaxStates, new SolverBudget(world.Id, limits));
    }

    /// <summary>
    /// Enumerates the reachable states of <paramref name="world"/> (over every level in its pool),
    /// counting every allocation against <paramref name="budget"/>.
    /// </summary>
    /// <exception cref="SolverLimitException">More than <paramref name="maxStates"/> states, a map over <see cref="SolverLimits.MaxCells"/> cells, or the budget's memory limit passed.</exception>
    /// <exception cref="UserInputException">More than 255 events: the scenario is too large for the exact solver.</exception>
    public static EnumeratedModel Build(GridWorld world, int maxStates, SolverBudget budget)
    {
        if (world.Generator is not null)
        {
            throw new InvalidOperationException($"{world.Id}: levels are generated per episode; solve sampled levels (ScenarioDefinition.BuildForLevel) one at a time.");
        }

        if (world.CellCount > SolverLimits.MaxCells)
        {
            throw new SolverLimitException($"{world.Id}: the exact solver takes maps of at most {SolverLimits.MaxCells:N0} cells, not {world.Height}×{world.Width} = {world.CellCount:N0}.", 0);
        }

        var codec = new StateCodec(world);
        var states = new StateArena(codec.RecordBytes, budget);
        var record = new byte[codec.RecordBytes];
        var cells = new byte[world.CellCount];
        var vars = new int[world.VarCount];
        var events = new double[world.EventNames.Count];
        var rng = new Rng(0);
        var chance = new ChanceScript();
        var agent = 0;

        int Intern()
        {
            codec.Pack(cells, agent, vars, record);
            var id = states.Intern(record, out var added);
            if (added)
            {
                budget.States = states.Count;
                if (states.Count > maxStates)
                {
                    throw new SolverLimitException($"{world.Id}: the exact solver stopped at {states.Count:N0} states, over the state limit of {maxStates:N0} (--max-states).", states.Count);
                }
            }

            return id;
        }

        // Initial distribution: every branch of the reset (level draw, reset-time chance events).
        world.CreateState(vars);
        var initialProbability = new Dictionary<int, double>();
        chance.Clear();
        do
        {
            chance.Rewind();
            world.ResetState(cells, ref agent, vars, events, ref rng, chance);
            var id = Intern();
            initialProbability[id] = initialProbability.GetValueOrDefault(id) + chance.Probability;
        }
        while (chance.Advance());

        var actionCount = world.ActionLetters.Length;
        var eventCount = events.Length;
        if (eventCount > byte.MaxValue)
        {
            throw new UserInputException($"{world.Id}: more than {byte.MaxValue} events; the exact solver supports at most {byte.MaxValue}.");
        }

        // Transitions in CSR form: per pair, its outcomes' targets and probabilities (as indices
        // into a table of the distinct probability values), and the id of its expected event
        // vector (the distinct vectors are interned: most pairs of a model share a few).
        var pairStart = new GrowableArray<int>(1 << 10, budget);
        pairStart.Add(0);
        var next = new GrowableArray<int>(1 << 10, budget);
        var probabilityIndex = new GrowableArray<int>(1 << 10, budget);
        var pairEvents = new GrowableArray<int>(1 << 10, budget);
        var probabilities = new ValueInterner(budget);
        var eventVectors = new EventVectors(budget);
        var outcome = new Dictionary<int, double>();
        var pairEventValues = new double[eventCount];
        for (var s = 0; s < states.Count; s++)
        {
            if ((s & 63) == 0 && s > 0)
            {
                // Every state found will be expanded: project the bytes of the finished model from
                // the transitions stored per expanded state so far, so that a model far over the
                // memory limit stops early rather than after filling it.
                var transitionBytes = (next.Count * 8L) + ((pairStart.Count + pairEvents.Count) * 4L);
                var perState = (transitionBytes / s) + codec.RecordBytes + 12;
                var immediateEntries = (long)Math.Ceiling((double)eventVectors.Count * states.Count / s);
                budget.CheckProjection((states.Count * perState) + eventVectors.Bytes + SolverBudget.ValueTableBytes(states.Count, actionCount, world.MaxSteps, world.Goals.Count, immediateEntries));
            }

            for (var a = 0; a < actionCount; a++)
            {
                outcome.Clear();
                Array.Clear(pairEventValues);
                chance.Clear();
                do
                {
                    chance.Rewind();
                    codec.Unpack(states[s], cells, ref agent, vars);
                    var terminated = world.StepState(cells, ref agent, vars, a, events, ref rng, chance);
                    var p = chance.Probability;
                    for (var e = 0; e < eventCount; e++)
                    {
                        pairEventValues[e] += p * events[e];
                    }

                    var target = terminated ? -1 : Intern();
                    outcome[target] = outcome.GetValueOrDefault(target) + p;
                }
                while (chance.Advance());

                foreach (var (target, p) in outcome.OrderBy(o => o.Key))
                {
                    next.Add(target);
                    probabilityIndex.Add(probabilities.Intern(p));
                }

                pairStart.Add(next.Count);
                pairEvents.Add(eventVectors.Intern(pairEventValues));
            }
        }

        return new EnumeratedModel(world, codec, states, [.. initialProbability.Select(kv => (kv.Key, kv.Value))], pairStart.ToTrimmedArray(), next.ToTrimmedArray(), probabilityIndex.ToTrimmedArray(), probabilities.ToArray(), pairEvents.ToTrimmedArray(), eventVectors);
    }

    public unsafe void Backup(Objective objective, ReadOnlySpan<double> vNext, Span<double> q)
    {
        fixed (double* values = Immediate(objective))
        fixed (int* pairEvents = _pairEvents)
        {
            Backup(new ByEventVector(values, pairEvents), vNext, q);
        }
    }

    /// <summary>
    /// Writes the expected reward of every state-action pair, Σ_b p_b·r(o, a, o′_b) over the
    /// step's chance branches b (terminal ones included), by replaying each step under the
    /// chance script, as <see cref="Build(GridWorld, int, SolverBudget)"/> did: no successor is stored, terminal or not. The
    /// transitions go to <paramref name="reward"/> in batches (counted in
    /// <paramref name="budget"/> while they live), state by state, action by action, branch by
    /// branch, and the branches of a pair are summed in that order.
    /// </summary>
    public void TabulateReward(ITransitionReward reward, Span<double> pairRewards, SolverBudget budget)
    {
        var world = _world;
        var cellCount = world.CellCount;
        var extraCount = world.ExtraNames.Count;
        var eventCount = world.EventNames.Count;

        // About 4 MB of transitions per batch, between 16 and 4,096 of them (no more than the model has pairs).
        var perTransition = (2L * cellCount) + (16L * extraCount) + (8L * eventCount) + 5;
        var capacity = (int)Math.Min(Math.Clamp((4L << 20) / perTransition, 16, 4096), Math.Max(16L, (long)StateCount * ActionCount));
        var batch = new TransitionBatch(capacity, cellCount, extraCount, eventCount);
        var probabilityOf = new double[capacity];
        var pairOf = new int[capacity];
        var rewards = new double[capacity];
        var scratchBytes = batch.Bytes + (20L * capacity);
        budget.Reserve(scratchBytes);
        try
        {
            var cells = new byte[cellCount];
            var vars = new int[world.VarCount];
            var start = new byte[cellCount];
            var startVars = new int[world.VarCount];
            var board = new byte[cellCount];
            var extras = new double[extraCount];
            var rng = new Rng(0);
            var chance = new ChanceScript();
            var agent = 0;
            pairRewards[..(StateCount * ActionCount)].Clear();
            for (var s = 0; s < StateCount; s++)
            {
                var startAgent = 0;
                _codec.Unpack(_states[s], start, ref startAgent, startVars);
                world.RenderBoard(start, startAgent, startVars, board);
                world.ObserveExtras(start, startAgent, startVars, extras);
                for (var a = 0; a < ActionCount; a++)
                {
                    chance.Clear();
                    do
                    {
                        chance.Rewind();
                        start.CopyTo(cells);
                        startVars.CopyTo(vars);
                        agent = startAgent;
                        var terminated = world.StepState(cells, ref agent, vars, a, batch.NextEvents, ref rng, chance);
                        board.CopyTo(batch.NextBefore);
                        extras.CopyTo(batch.NextExtrasBefore);
                        world.RenderBoard(cells, agent, vars, batch.NextAfter);
                        world.ObserveExtras(cells, agent, vars, batch.NextExtrasAfter);
                        probabilityOf[batch.Count] = chance.Probability;
                        pairOf[batch.Count] = (s * ActionCount) + a;
                        batch.Commit(a, terminated);
                        if (batch.Count == capacity)
                        {
                            Flush(reward, batch, rewards, probabilityOf, pairOf, pairRewards);
                        }
                    }
                    while (chance.Advance());
                }
            }

            Flush(reward, batch, rewards, probabilityOf, pairOf, pairRewards);
        }
        finally
        {
            budget.Release(scratchBytes);
        }
    }

    /// <summary>Evaluates a batch and adds each transition's probability-weighted reward to its pair.</summary>
    internal static void Flush(ITransitionReward reward, TransitionBatch batch, double[] rewards, double[] probabilityOf, int[] pairOf, Span<double> pairRewards)
    {
        if (batch.Count == 0)
        {
            return;
        }

        var span = rewards.AsSpan(0, batch.Count);
        span.Fill(double.NaN);
        reward.Evaluate(batch, span);
        for (var i = 0; i < span.Length; i++)
        {
            var r = span[i];
            if (!double.IsFinite(r))
            {
                throw new InvalidOperationException($"The transition reward gave {r} for a transition (action {batch.Actions[i]}{(batch.Terminal[i] ? ", terminal" : string.Empty)}); rewards must be finite.");
            }

            pairRewards[pairOf[i]] += probabilityOf[i] * r;
        }

        batch.Count = 0;
    }

    /// <summary>q[s·A + a] = pairRewards[s·A + a] + E[vNext(s′)], the backup of a tabulated reward.</summary>
    public unsafe void Backup(ReadOnlySpan<double> pairRewards, ReadOnlySpan<double> vNext, Span<double> q)
    {
        fixed (double* values = pairRewards)
        {
            Backup(new ByPair(values), vNext, q);
        }
    }

    /// <summary>
    /// q[s·A + a] = immediate(pair) + Σ_o p_o·vNext(s′_o) for every pair, in blocks of <see cref="PairsPerPiece"/>
    /// pairs on the <see cref="WorkerPool"/>. Each pair's value is computed alone, in the same order on any
    /// thread, so the table is the same bits for every thread count.
    /// </summary>
    private unsafe void Backup<TImmediate>(TImmediate immediate, ReadOnlySpan<double> vNext, Span<double> q)
        where TImmediate : unmanaged, IImmediateValues
    {
        var pairs = StateCount * ActionCount;
        if (vNext.Length < StateCount || q.Length < pairs)
        {
            throw new ArgumentException($"A backup needs {StateCount} next values and room for {pairs} action values.", nameof(q));
        }

        fixed (int* start = _pairStart, next = _next, probabilityIndex = _probabilityIndex)
        fixed (double* probabilities = _probabilities, v = vNext, pq = q)
        {
            var job = new BackupPieces<TImmediate>(immediate, start, next, probabilityIndex, probabilities, _probabilities.Length == 1, v, pq, pairs);
            var work = _backupWork ??= new PieceBox();
            work.Set(&RunBackupPiece<TImmediate>, &job);
            WorkerPool.For((pairs + PairsPerPiece - 1) / PairsPerPiece, work);
        }
    }

    private static unsafe void RunBackupPiece<TImmediate>(void* state, int piece)
        where TImmediate : unmanaged, IImmediateValues
    {
        ref var job = ref *(BackupPieces<TImmediate>*)state;
        var from = piece * PairsPerPiece;
        var to = Math.Min(job.Pairs, from + PairsPerPiece);
        var start = job.Start;
        var next = job.Next;
        var vNext = job.VNext;
        var q = job.Q;
        if (job.Deterministic)
        {
            // One distinct probability (a deterministic world: every outcome has probability 1).
            var p = job.Probabilities[0];
            for (var pair = from; pair < to; pair++)
            {
                var value = job.Immediate.At(pair);
                for (var o = start[pair]; o < start[pair + 1]; o++)
                {
                    var target = next[o];
                    if (target >= 0)
                    {
                        value += p * vNext[target];
                    }
                }

                q[pair] = value;
            }

            return;
        }

        var probabilityIndex = job.ProbabilityIndex;
        var probabilities = job.Probabilities;
        for (var pair = from; pair < to; pair++)
        {
            var value = job.Immediate.At(pair);
            for (var o = start[pair]; o < start[pair + 1]; o++)
            {
                var target = next[o];
                if (target >= 0)
                {
                    value += probabilities[probabilityIndex[o]] * vNext[target];
                }
            }

            q[pair] = value;
        }
    }

    public void RenderBoard(int state, Span<byte> board)
    {
        var (cells, agent, vars) = Decode(state);
        _world.RenderBoard(cells, agent, vars, board);
    }

    public int AgentCell(int state) => _codec.Agent(_states[state]);

    public void ObserveExtras(int state, Span<double> extras)
    {
        var (cells, agent, vars) = Decode(state);
        _world.ObserveExtras(cells, agent, vars, extras);
    }

    public int SampleNext(int state, int action, ref Rng rng)
    {
        var pair = (state * ActionCount) + action;
        var u = rng.NextDouble();
        var last = _pairStart[pair + 1] - 1;
        for (var o = _pairStart[pair]; o < last; o++)
        {
            u -= _probabilities[_probabilityIndex[o]];
            if (u < 0)
            {
                return _next[o];
            }
        }

        return _next[last];
    }

    private (byte[] Cells, int Agent, int[] Vars) Decode(int state)
    {
        var cells = new byte[_world.CellCount];
        var vars = new int[_world.VarCount];
        var agent = 0;
        _codec.Unpack(_states[state], cells, ref agent, vars);
        return (cells, agent, vars);
    }

    /// <summary>The immediate value of a state-action pair, for the backup loop.</summary>
    private interface IImmediateValues
    {
        double At(int pair);
    }

    /// <summary>An objective's value of each interned event vector, looked up through the pair's vector id (pinned by the caller).</summary>
    private readonly unsafe struct ByEventVector(double* values, int* pairEvents) : IImmediateValues
    {
        public double At(int pair) => values[pairEvents[pair]];
    }

    /// <summary>A value per pair (a tabulated transition reward, pinned by the caller).</summary>
    private readonly unsafe struct ByPair(double* values) : IImmediateValues
    {
        public double At(int pair) => values[pair];
    }

    /// <summary>One backup's operands, pinned for the length of the call, read by every piece.</summary>
    private readonly unsafe struct BackupPieces<TImmediate>(TImmediate immediate, int* start, int* next, int* probabilityIndex, double* probabilities, bool deterministic, double* vNext, double* q, int pairs)
        where TImmediate : unmanaged, IImmediateValues
    {
        public readonly TImmediate Immediate = immediate;
        public readonly int* Start = start;
        public readonly int* Next = next;
        public readonly int* ProbabilityIndex = probabilityIndex;
        public readonly double* Probabilities = probabilities;
        public readonly bool Deterministic = deterministic;
        public readonly double* VNext = vNext;
        public readonly double* Q = q;
        public readonly int Pairs = pairs;
    }

    private double[] Immediate(Objective objective)
    {
        if (!_immediateCache.TryGetValue(objective, out var values))
        {
            values = _eventVectors.Evaluate(objective, _world.EventNames.Count);
            _immediateCache[objective] = values;
        }

        return values;
    }
}

/// <summary>
/// The distinct expected event vectors of a model's state-action pairs, interned: each is stored
/// once (sparse, as event indices and values) and pairs refer to it by id, so the immediate value
/// of an objective is computed once per vector. Equal means equal bit for bit.
/// </summary>
internal sealed class EventVectors
{
    private readonly SolverBudget _budget;
    private readonly Dictionary<int, int> _ids;
    private GrowableArray<int> _start;
    private GrowableArray<byte> _index;
    private GrowableArray<double> _value;

    public EventVectors(SolverBudget budget)
    {
        _budget = budget;
        _start = new GrowableArray<int>(64, budget);
        _start.Add(0);
        _index = new GrowableArray<byte>(64, budget);
        _value = new GrowableArray<double>(64, budget);
        _ids = new Dictionary<int, int>(new VectorComparer(this));
    }

    /// <summary>Number of distinct vectors.</summary>
    public int Count => _start.Count - 1;

    /// <summary>Bytes the vectors and their lookup take (counted in the budget as they grow).</summary>
    public long Bytes => (_start.Count * 4L) + (_index.Count * 9L) + (Count * 16L);

    /// <summary>The id of the vector <paramref name="values"/> (dense, one entry per event), adding it if new.</summary>
    public int Intern(ReadOnlySpan<double> values)
    {
        // Append the candidate as the next vector, look it up, and drop it again if it is known.
        var candidate = Count;
        var indexCount = _index.Count;
        for (var e = 0; e < values.Length; e++)
        {
            if (values[e] != 0)
            {
                _index.Add((byte)e);
                _value.Add(values[e]);
            }
        }

        _start.Add(_index.Count);
        if (_ids.TryGetValue(candidate, out var id))
        {
            _start.RemoveLast();
            _index.Truncate(indexCount);
            _value.Truncate(indexCount);
            return id;
        }

        if ((_ids.Count & 1023) == 0)
        {
            // The dictionary's own entries: about 16 bytes each, counted in blocks of 1,024.
            _budget.Reserve(1024 * 16);
        }

        _ids.Add(candidate, candidate);
        return candidate;
    }

    /// <summary>The objective's value of every vector, by id.</summary>
    public double[] Evaluate(Objective objective, int eventCount)
    {
        var values = new double[Count];
        var events = new double[eventCount];
        var start = _start.AsSpan();
        var index = _index.AsSpan();
        var value = _value.AsSpan();
        for (var v = 0; v < values.Length; v++)
        {
            Array.Clear(events);
            for (var k = start[v]; k < start[v + 1]; k++)
            {
                events[index[k]] = value[k];
            }

            values[v] = objective.Evaluate(events);
        }

        return values;
    }

    private int Hash(int id)
    {
        var hash = default(HashCode);
        var start = _start.AsSpan();
        var index = _index.AsSpan();
        var value = _value.AsSpan();
        for (var k = start[id]; k < start[id + 1]; k++)
        {
            hash.Add(index[k]);
            hash.Add(BitConverter.DoubleToInt64Bits(value[k]));
        }

        return hash.ToHashCode();
    }

    private bool Same(int a, int b)
    {
        var start = _start.AsSpan();
        var length = start[a + 1] - start[a];
        if (length != start[b + 1] - start[b])
        {
            return false;
        }

        var index = _index.AsSpan();
        var value = _value.AsSpan();
        for (var k = 0; k < length; k++)
        {
            if (index[start[a] + k] != index[start[b] + k] || BitConverter.DoubleToInt64Bits(value[start[a] + k]) != BitConverter.DoubleToInt64Bits(value[start[b] + k]))
            {
                return false;
            }
        }

        return true;
    }

    private sealed class VectorComparer(EventVectors vectors) : IEqualityComparer<int>
    {
        public bool Equals(int x, int y) => vectors.Same(x, y);

        public int GetHashCode(int obj) => vectors.Hash(obj);
    }
}

/// <summary>Interns the distinct values of a model's transition probabilities (few in practice), bit for bit.</summary>
internal sealed class ValueInterner(SolverBudget budget)
{
    private readonly Dictionary<long, int> _ids = [];
    private readonly List<double> _values = [];

    /// <summary>The index of <paramref name="value"/> in the table, adding it if new.</summary>
    public int Intern(double value)
    {
        var bits = BitConverter.DoubleToInt64Bits(value);
        if (!_ids.TryGetValue(bits, out var id))
        {
            if ((_values.Count & 1023) == 0)
            {
                budget.Reserve(1024 * 32);
            }

            id = _values.Count;
            _values.Add(value);
            _ids.Add(bits, id);
        }

        return id;
    }

    /// <summary>The distinct values, by index.</summary>
    public double[] ToArray() => [.. _values];
}

/// <summary>
/// Packs a state (cells, agent, variables) into a compact fixed-size record: each cell as its
/// index among the legend's characters (4 bits when the legend has at most 16, else 8), then the
/// agent's cell and the variables as 32-bit integers.
/// </summary>
internal sealed class StateCodec
{
    private readonly byte[] _codeOf = new byte[256];
    private readonly byte[] _symbolOf;
    private readonly int _cellCount;
    private readonly bool _nibbles;
    private readonly int _cellBytes;
    private readonly string _id;

    public StateCodec(GridWorld world)
    {
        _id = world.Id;
        var symbols = world.Legend.Keys.Order().ToList();
        _symbolOf = [.. symbols.Select(c => (byte)c)];
        Array.Fill(_codeOf, byte.MaxValue);
        for (var i = 0; i < symbols.Count; i++)
        {
            _codeOf[symbols[i]] = (byte)i;
        }

        _cellCount = world.CellCount;
        _nibbles = symbols.Count <= 16;
        _cellBytes = _nibbles ? (_cellCount + 1) / 2 : _cellCount;
        RecordBytes = _cellBytes + 4 + (4 * world.VarCount);
    }

    public int RecordBytes { get; }

    public void Pack(ReadOnlySpan<byte> cells, int agent, ReadOnlySpan<int> vars, Span<byte> record)
    {
        record.Clear();
        for (var i = 0; i < cells.Length; i++)
        {
            var code = _codeOf[cells[i]];
            if (code == byte.MaxValue)
            {
                throw new InvalidOperationException($"{_id}: a component wrote '{(char)cells[i]}', which is not in the legend.");
            }

            if (_nibbles)
            {
                record[i >> 1] |= (byte)(code << ((i & 1) * 4));
            }
            else
            {
                record[i] = code;
            }
        }

        BitConverter.TryWriteBytes(record.Slice(_cellBytes, 4), agent);
        for (var v = 0; v < vars.Length; v++)
        {
            BitConverter.TryWriteBytes(record.Slice(_cellBytes + 4 + (4 * v), 4), vars[v]);
        }
    }

    public void Unpack(ReadOnlySpan<byte> record, Span<byte> cells, ref int agent, Span<int> vars)
    {
        for (var i = 0; i < _cellCount; i++)
        {
            var code = _nibbles ? (record[i >> 1] >> ((i & 1) * 4)) & 0xF : record[i];
            cells[i] = _symbolOf[code];
        }

        agent = Agent(record);
        for (var v = 0; v < vars.Length; v++)
        {
            vars[v] = BitConverter.ToInt32(record.Slice(_cellBytes + 4 + (4 * v), 4));
        }
    }

    public int Agent(ReadOnlySpan<byte> record) => BitConverter.ToInt32(record.Slice(_cellBytes, 4));
}
