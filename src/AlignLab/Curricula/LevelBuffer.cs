using AlignLab.Grid;
using AlignLab.Randomness;

namespace AlignLab.Curricula;

/// <summary>
/// The level buffer of PLR⊥ (Jiang et al. 2021) as jaxgmg keeps it: a fixed number of slots, each a level with its
/// latest score, the replay count at its last visit, and (for MaxMC) the best return ever reached there. Replay
/// samples slots from P = (1 − ρ)·P_S + ρ·P_C, where P_S ∝ (1/rank)^(1/β) ranks the scores (rank 1 the highest; equal
/// scores are ranked by slot, lower first) and P_C ∝ c − C_i is staleness, c the replays so far and C_i the replay
/// count when slot i was last visited (uniform while every slot is equally fresh). New levels challenge the slots
/// with the lowest replay probability: of those slots and the challengers, the highest-scored keep or take them.
/// </summary>
public sealed class LevelBuffer
{
    private readonly Slot[] _slots;
    private readonly double _temperature;
    private readonly double _staleness;
    private readonly int[] _order;
    private readonly double[] _probabilities;

    /// <summary>A buffer filled with <paramref name="levels"/>, each with score <paramref name="initialScore"/> and last visit 0 (jaxgmg starts its buffer so).</summary>
    /// <param name="levels">The initial levels, one per slot.</param>
    /// <param name="temperature">β of rank prioritisation; positive.</param>
    /// <param name="stalenessCoefficient">ρ, in [0, 1].</param>
    /// <param name="initialScore">The score of the initial levels.</param>
    public LevelBuffer(IReadOnlyList<GridLevel> levels, double temperature, double stalenessCoefficient, double initialScore = 0)
    {
        ArgumentNullException.ThrowIfNull(levels);
        ArgumentOutOfRangeException.ThrowIfZero(levels.Count);
        if (!(temperature is > 0 and < double.PositiveInfinity) || !(stalenessCoefficient is >= 0 and <= 1))
        {
            throw new ArgumentException("The temperature must be positive and finite and the staleness coefficient in [0, 1].");
        }

        _slots = [.. levels.Select(l => new Slot(l) { Score = initialScore })];
        _temperature = temperature;
        _staleness = stalenessCoefficient;
        _order = new int[_slots.Length];
        _probabilities = new double[_slots.Length];
    }

    /// <summary>Number of slots.</summary>
    public int Count => _slots.Length;

    /// <summary>Replay cycles so far (c, the clock of staleness).</summary>
    public int Replays { get; private set; }

    /// <summary>The level in slot <paramref name="slot"/>.</summary>
    public GridLevel Level(int slot) => _slots[slot].Level;

    /// <summary>The latest score of slot <paramref name="slot"/>.</summary>
    public double Score(int slot) => _slots[slot].Score;

    /// <summary>The replay count at slot <paramref name="slot"/>'s last visit.</summary>
    public int LastVisit(int slot) => _slots[slot].LastVisit;

    /// <summary>Whether slot <paramref name="slot"/> holds a level that was scored (not one of the initial levels).</summary>
    public bool Scored(int slot) => _slots[slot].Scored;

    /// <summary>The best discounted return ever seen on slot <paramref name="slot"/>'s level (MaxMC's R_max).</summary>
    internal double MaxReturn(int slot) => _slots[slot].MaxReturn;

    /// <summary>Cached exact solution data of a slot's level (its solved model and optimal reward), or null.</summary>
    internal object? Cache(int slot) => _slots[slot].Cache;

    /// <summary>The replay probability of every slot now, P = (1 − ρ)·P_S + ρ·P_C.</summary>
    public IReadOnlyList<double> Probabilities()
    {
        Compute();
        return [.. _probabilities];
    }

    /// <summary>Draws <paramref name="count"/> distinct slots, one after another, each from the replay probabilities of the slots not yet drawn.</summary>
    public int[] SampleReplay(int count, ref Rng rng)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, Count);
        Compute();
        var weights = (double[])_probabilities.Clone();
        var taken = new bool[Count];
        var picked = new int[count];
        for (var k = 0; k < count; k++)
        {
            double total = 0;
            for (var i = 0; i < weights.Length; i++)
            {
                total += taken[i] ? 0 : weights[i];
            }

            var slot = -1;
            var u = rng.NextDouble() * total;
            double cumulative = 0;
            for (var i = 0; i < weights.Length && total > 0; i++)
            {
                if (!taken[i] && weights[i] > 0)
                {
                    cumulative += weights[i];
                    slot = i;
                    if (u < cumulative)
                    {
                        break;
                    }
                }
            }

            // Only zero-weight slots remain: the first not yet drawn.
            slot = slot >= 0 ? slot : Array.IndexOf(taken, false);
            picked[k] = slot;
            taken[slot] = true;
        }

        return picked;
    }

    /// <summary>Records a replay cycle: each slot's new score (and best return), visited now; the replay clock advances by one.</summary>
    public void UpdateReplayed(IReadOnlyList<int> slots, IReadOnlyList<double> scores, IReadOnlyList<double>? maxReturns = null)
    {
        ArgumentNullException.ThrowIfNull(slots);
        ArgumentNullException.ThrowIfNull(scores);
        for (var k = 0; k < slots.Count; k++)
        {
            var slot = _slots[slots[k]];
            slot.Score = scores[k];
            slot.LastVisit = Replays + 1;
            slot.Scored = true;
            if (maxReturns is not null)
            {
                slot.MaxReturn = Math.Max(slot.MaxReturn, maxReturns[k]);
            }
        }

        Replays++;
    }

    /// <summary>
    /// Offers new levels with their scores: the <c>levels.Count</c> slots of lowest replay probability and the challengers
    /// compete, and the highest scores (a slot's level first on equal scores) fill those slots. Returns how many challengers entered.
    /// </summary>
    public int Challenge(IReadOnlyList<GridLevel> levels, IReadOnlyList<double> scores, IReadOnlyList<double>? maxReturns = null, IReadOnlyList<object?>? caches = null)
    {
        ArgumentNullException.ThrowIfNull(levels);
        ArgumentNullException.ThrowIfNull(scores);
        var n = Math.Min(levels.Count, Count);
        Compute();

        // The n slots of lowest probability (lower slot first on ties).
        var worst = Enumerable.Range(0, Count).OrderBy(i => _probabilities[i]).ThenBy(i => i).Take(n).ToArray();
        var candidates = worst.Select(i => _slots[i]).Concat(levels.Take(n).Select((l, k) => new Slot(l)
        {
            Score = scores[k],
            LastVisit = Replays,
            Scored = true,
            MaxReturn = maxReturns?[k] ?? double.NegativeInfinity,
            Cache = caches?[k],
        })).ToArray();
        var best = Enumerable.Range(0, candidates.Length).OrderByDescending(c => candidates[c].Score).ThenBy(c => c).Take(n).ToArray();
        var entered = best.Count(c => c >= n);
        for (var k = 0; k < n; k++)
        {
            _slots[worst[k]] = candidates[best[k]];
        }

        return entered;
    }

    /// <summary>Sets a slot's score, as if it had been scored (for tests of the probabilities).</summary>
    internal void SetScore(int slot, double score)
    {
        _slots[slot].Score = score;
        _slots[slot].Scored = true;
    }

    /// <summary>Stores a slot's cached solution data (see <see cref="Cache"/>).</summary>
    internal void SetCache(int slot, object? cache) => _slots[slot].Cache = cache;

    private void Compute()
    {
        var n = _slots.Length;
        for (var i = 0; i < n; i++)
        {
            _order[i] = i;
        }

        // Rank by score, highest first; Array.Sort is unstable, so the slot index breaks ties explicitly.
        Array.Sort(_order, (a, b) => _slots[b].Score.CompareTo(_slots[a].Score) is var c && c != 0 ? c : a.CompareTo(b));
        double rankTotal = 0;
        for (var r = 0; r < n; r++)
        {
            var h = Math.Pow(1.0 / (r + 1), 1.0 / _temperature);
            _probabilities[_order[r]] = h;
            rankTotal += h;
        }

        double staleTotal = 0;
        for (var i = 0; i < n; i++)
        {
            staleTotal += Replays - _slots[i].LastVisit;
        }

        for (var i = 0; i < n; i++)
        {
            var stale = staleTotal > 0 ? (Replays - _slots[i].LastVisit) / staleTotal : 1.0 / n;
            _probabilities[i] = ((1 - _staleness) * _probabilities[i] / rankTotal) + (_staleness * stale);
        }
    }

    private sealed class Slot(GridLevel level)
    {
        public GridLevel Level { get; } = level;

        public double Score { get; set; }

        public int LastVisit { get; set; }

        public bool Scored { get; set; }

        public double MaxReturn { get; set; } = double.NegativeInfinity;

        public object? Cache { get; set; }
    }
}
