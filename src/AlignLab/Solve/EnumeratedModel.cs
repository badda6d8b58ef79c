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
    private readonly List<byte[]> _states = [];
    private readonly int[] _pairStart;
    private readonly int[] _next;
    private readonly double[] _probability;
    private readonly double[] _expectedEvents;
    private readonly int _eventCount;
    private readonly Dictionary<Objective, double[]> _immediateCache = new(ReferenceEqualityComparer.Instance);

    private EnumeratedModel(GridWorld world, List<byte[]> states, List<(int, double)> initial, int[] pairStart, int[] next, double[] probability, double[] expectedEvents)
    {
        _world = world;
        _states = states;
        Initial = initial;
        _pairStart = pairStart;
        _next = next;
        _probability = probability;
        _expectedEvents = expectedEvents;
        _eventCount = world.EventNames.Count;
    }

    public int StateCount => _states.Count;

    public int ActionCount => _world.ActionLetters.Length;

    public int Horizon => _world.MaxSteps;

    public IReadOnlyList<(int State, double Probability)> Initial { get; }

    public long BackupsPerSweep => (long)StateCount * ActionCount;

    /// <summary>Number of stored (state, action, outcome) transitions.</summary>
    public int TransitionCount => _next.Length;

    /// <summary>Enumerates the reachable states of <paramref name="world"/> (over every level in its pool).</summary>
    /// <exception cref="InvalidOperationException">More than <paramref name="maxStates"/> states.</exception>
    public static EnumeratedModel Build(GridWorld world, int maxStates = 4_000_000)
    {
        if (world.Generator is not null)
        {
            throw new InvalidOperationException($"{world.Id}: levels are generated per episode; solve sampled levels (ScenarioDefinition.BuildForLevel) one at a time.");
        }

        var cellCount = world.CellCount;
        var varCount = world.VarCount;
        var stateBytes = cellCount + 4 + (4 * varCount);
        var index = new Dictionary<byte[], int>(ByteArrayComparer.Instance);
        var states = new List<byte[]>();
        var cells = new byte[cellCount];
        var vars = new int[varCount];
        var events = new double[world.EventNames.Count];
        var rng = new Rng(0);
        var chance = new ChanceScript();
        var agent = 0;

        int Intern(byte[] key)
        {
            if (index.TryGetValue(key, out var id))
            {
                return id;
            }

            if (states.Count >= maxStates)
            {
                throw new InvalidOperationException($"{world.Id}: more than {maxStates:N0} reachable states; the exact solver stops here.");
            }

            id = states.Count;
            index.Add(key, id);
            states.Add(key);
            return id;
        }

        // Initial distribution: every branch of the reset (level draw, reset-time chance events).
        var initialProbability = new Dictionary<int, double>();
        world.CreateState(vars);
        chance.Clear();
        do
        {
            chance.Rewind();
            world.ResetState(cells, ref agent, vars, events, ref rng, chance);
            var id = Intern(Pack(cells, agent, vars, stateBytes));
            initialProbability[id] = initialProbability.GetValueOrDefault(id) + chance.Probability;
        }
        while (chance.Advance());

        var actionCount = world.ActionLetters.Length;
        var eventCount = world.EventNames.Count;
        var pairStart = new List<int> { 0 };
        var next = new List<int>();
        var probability = new List<double>();
        var expected = new List<double>();
        var outcome = new Dictionary<int, double>();
        var pairEvents = new double[eventCount];
        for (var s = 0; s < states.Count; s++)
        {
            var source = states[s];
            for (var a = 0; a < actionCount; a++)
            {
                outcome.Clear();
                Array.Clear(pairEvents);
                chance.Clear();
                do
                {
                    chance.Rewind();
                    Unpack(source, cells, ref agent, vars);
                    var terminated = world.StepState(cells, ref agent, vars, a, events, ref rng, chance);
                    var p = chance.Probability;
                    for (var e = 0; e < eventCount; e++)
                    {
                        pairEvents[e] += p * events[e];
                    }

                    var target = terminated ? -1 : Intern(Pack(cells, agent, vars, stateBytes));
                    outcome[target] = outcome.GetValueOrDefault(target) + p;
                }
                while (chance.Advance());

                foreach (var (target, p) in outcome.OrderBy(o => o.Key))
                {
                    next.Add(target);
                    probability.Add(p);
                }

                pairStart.Add(next.Count);
                expected.AddRange(pairEvents);
            }
        }

        return new EnumeratedModel(world, states, [.. initialProbability.Select(kv => (kv.Key, kv.Value))], [.. pairStart], [.. next], [.. probability], [.. expected]);
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
        var cells = new byte[_world.CellCount];
        var vars = new int[_world.VarCount];
        var agent = 0;
        Unpack(_states[state], cells, ref agent, vars);
        _world.RenderBoard(cells, agent, vars, board);
    }

    public int AgentCell(int state) => BitConverter.ToInt32(_states[state], _world.CellCount);

    public void ObserveExtras(int state, Span<double> extras)
    {
        var cells = new byte[_world.CellCount];
        var vars = new int[_world.VarCount];
        var agent = 0;
        Unpack(_states[state], cells, ref agent, vars);
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

    private double[] Immediate(Objective objective)
    {
        if (_immediateCache.TryGetValue(objective, out var cached))
        {
            return cached;
        }

        var pairs = StateCount * ActionCount;
        var values = new double[pairs];
        for (var pair = 0; pair < pairs; pair++)
        {
            values[pair] = objective.Evaluate(_expectedEvents.AsSpan(pair * _eventCount, _eventCount));
        }

        _immediateCache[objective] = values;
        return values;
    }

    private static byte[] Pack(ReadOnlySpan<byte> cells, int agent, ReadOnlySpan<int> vars, int size)
    {
        var key = new byte[size];
        cells.CopyTo(key);
        BitConverter.TryWriteBytes(key.AsSpan(cells.Length, 4), agent);
        for (var v = 0; v < vars.Length; v++)
        {
            BitConverter.TryWriteBytes(key.AsSpan(cells.Length + 4 + (4 * v), 4), vars[v]);
        }

        return key;
    }

    private static void Unpack(byte[] key, Span<byte> cells, ref int agent, Span<int> vars)
    {
        key.AsSpan(0, cells.Length).CopyTo(cells);
        agent = BitConverter.ToInt32(key, cells.Length);
        for (var v = 0; v < vars.Length; v++)
        {
            vars[v] = BitConverter.ToInt32(key, cells.Length + 4 + (4 * v));
        }
    }

    private sealed class ByteArrayComparer : IEqualityComparer<byte[]>
    {
        public static readonly ByteArrayComparer Instance = new();

        public bool Equals(byte[]? x, byte[]? y) => x.AsSpan().SequenceEqual(y);

        public int GetHashCode(byte[] obj)
        {
            var hash = default(HashCode);
            hash.AddBytes(obj);
            return hash.ToHashCode();
        }
    }
}
