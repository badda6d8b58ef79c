using AlignLab.Errors;
using AlignLab.Grid;
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
    private readonly double[] _probability;
    private readonly int[] _eventStart;
    private readonly byte[] _eventIndex;
    private readonly double[] _eventValue;
    private readonly Dictionary<Objective, double[]> _immediateCache = new(ReferenceEqualityComparer.Instance);

    private EnumeratedModel(GridWorld world, StateCodec codec, StateArena states, List<(int, double)> initial, int[] pairStart, int[] next, double[] probability, int[] eventStart, byte[] eventIndex, double[] eventValue)
    {
        _world = world;
        _codec = codec;
        _states = states;
        Initial = initial;
        _pairStart = pairStart;
        _next = next;
        _probability = probability;
        _eventStart = eventStart;
        _eventIndex = eventIndex;
        _eventValue = eventValue;
    }

    public int StateCount => _states.Count;

    public int ActionCount => _world.ActionLetters.Length;

    public int Horizon => _world.MaxSteps;

    public IReadOnlyList<(int State, double Probability)> Initial { get; }

    public long BackupsPerSweep => (long)StateCount * ActionCount;

    /// <summary>Enumerates the reachable states of <paramref name="world"/> (over every level in its pool).</summary>
    /// <exception cref="UserInputException">More than <paramref name="maxStates"/> states, or more than 255 events: the scenario (or its parameters) is too large for the exact solver.</exception>
    public static EnumeratedModel Build(GridWorld world, int maxStates = 40_000_000)
    {
        if (world.Generator is not null)
        {
            throw new InvalidOperationException($"{world.Id}: levels are generated per episode; solve sampled levels (ScenarioDefinition.BuildForLevel) one at a time.");
        }

        var codec = new StateCodec(world);
        var states = new StateArena(codec.RecordBytes);
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
            if (added && states.Count > maxStates)
            {
                throw new UserInputException($"{world.Id}: more than {maxStates:N0} reachable states; the exact solver stops here (try a smaller level or smaller parameters).");
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
        var pairStart = new GrowableArray<int>(1 << 16);
        pairStart.Add(0);
        var eventStart = new GrowableArray<int>(1 << 16);
        eventStart.Add(0);
        var next = new GrowableArray<int>(1 << 16);
        var probability = new GrowableArray<double>(1 << 16);
        var eventIndex = new GrowableArray<byte>(1 << 16);
        var eventValue = new GrowableArray<double>(1 << 16);
        var outcome = new Dictionary<int, double>();
        var pairEvents = new double[eventCount];
        if (eventCount > byte.MaxValue)
        {
            throw new UserInputException($"{world.Id}: more than {byte.MaxValue} events; the exact solver supports at most {byte.MaxValue}.");
        }

        for (var s = 0; s < states.Count; s++)
        {
            for (var a = 0; a < actionCount; a++)
            {
                outcome.Clear();
                Array.Clear(pairEvents);
                chance.Clear();
                do
                {
                    chance.Rewind();
                    codec.Unpack(states[s], cells, ref agent, vars);
                    var terminated = world.StepState(cells, ref agent, vars, a, events, ref rng, chance);
                    var p = chance.Probability;
                    for (var e = 0; e < eventCount; e++)
                    {
                        pairEvents[e] += p * events[e];
                    }

                    var target = terminated ? -1 : Intern();
                    outcome[target] = outcome.GetValueOrDefault(target) + p;
                }
                while (chance.Advance());

                foreach (var (target, p) in outcome.OrderBy(o => o.Key))
                {
                    next.Add(target);
                    probability.Add(p);
                }

                pairStart.Add(next.Count);
                for (var e = 0; e < eventCount; e++)
                {
                    if (pairEvents[e] != 0)
                    {
                        eventIndex.Add((byte)e);
                        eventValue.Add(pairEvents[e]);
                    }
                }

                eventStart.Add(eventIndex.Count);
            }
        }

        return new EnumeratedModel(world, codec, states, [.. initialProbability.Select(kv => (kv.Key, kv.Value))], pairStart.ToTrimmedArray(), next.ToTrimmedArray(), probability.ToTrimmedArray(), eventStart.ToTrimmedArray(), eventIndex.ToTrimmedArray(), eventValue.ToTrimmedArray());
    }

    public void Backup(Objective objective, ReadOnlySpan<double> vNext, Span<double> q)
    {
        var immediate = Immediate(objective);
        var pairs = StateCount * ActionCount;
        var start = _pairStart;
        var next = _next;
        var probability = _probability;
        for (var pair = 0; pair < pairs; pair++)
        {
            var value = immediate[pair];
            for (var o = start[pair]; o < start[pair + 1]; o++)
            {
                var target = next[o];
                if (target >= 0)
                {
                    value += probability[o] * vNext[target];
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
            u -= _probability[o];
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

    private double[] Immediate(Objective objective)
    {
        if (_immediateCache.TryGetValue(objective, out var cached))
        {
            return cached;
        }

        var pairs = StateCount * ActionCount;
        var values = new double[pairs];
        var events = new double[_world.EventNames.Count];
        for (var pair = 0; pair < pairs; pair++)
        {
            Array.Clear(events);
            for (var k = _eventStart[pair]; k < _eventStart[pair + 1]; k++)
            {
                events[_eventIndex[k]] = _eventValue[k];
            }

            values[pair] = objective.Evaluate(events);
        }

        _immediateCache[objective] = values;
        return values;
    }
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
