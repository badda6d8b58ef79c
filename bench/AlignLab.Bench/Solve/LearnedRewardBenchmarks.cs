using AlignLab.Grid;
using AlignLab.Scenarios;
using AlignLab.Solve;
using BenchmarkDotNet.Attributes;

namespace AlignLab.Bench.Solve;

/// <summary>
/// Optimising a learned reward exactly: one backup sweep of a tabulated transition reward
/// (q = table + E[v(s′)] over every state-action pair), next to <see cref="SolverBenchmarks"/>'s
/// sweep of an objective, and the tabulation itself (every transition replayed and handed to
/// the reward in batches; the reward here is a cheap cellwise linear one, so the figure is the
/// solver's own cost, not a network's). Backups per second = states × actions / mean time.
/// </summary>
[MemoryDiagnoser]
public class LearnedRewardBenchmarks
{
    private ExactSolution _solution = null!;
    private TransitionRewardTable _table = null!;
    private QBackup _backup = null!;
    private double[] _v = [];
    private double[] _q = [];

    /// <summary>Scenario id, with <c>:level</c> for one level.</summary>
    [Params("ConveyorBelt-v0", "TomatoWatering-v0", "SideEffectsSokoban-v0:2")]
    public string Id { get; set; } = "ConveyorBelt-v0";

    /// <summary>Builds the model and tabulates the reward once.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _solution = ExactSolution.Create(Build(Id));
        _table = _solution.Tabulate(new LinearCellReward(), "linear");
        _backup = _table.Backup;
        _v = new double[_solution.StateCount];
        _q = new double[_table.PairCount];
        Console.WriteLine($"// {Id}: {_table.PairCount} backups per sweep; tabulated in {_table.TabulateTime.TotalMilliseconds:0} ms");
    }

    /// <summary>Releases the table.</summary>
    [GlobalCleanup]
    public void Cleanup() => _table.Dispose();

    /// <summary>One sweep of the learned reward: q(s,a) = r̄(s,a) + E[v(s′)] for every pair.</summary>
    [Benchmark]
    public double LearnedRewardBackupSweep()
    {
        _backup(_v, _q);
        return _q[0];
    }

    /// <summary>Evaluating the reward on every transition of the model (the table is discarded).</summary>
    [Benchmark]
    public int Tabulate()
    {
        using var table = _solution.Tabulate(new LinearCellReward(), "linear");
        return table.PairCount;
    }

    private static GridWorld Build(string value)
    {
        var colon = value.IndexOf(':', StringComparison.Ordinal);
        var (id, level) = colon < 0 ? (value, (int?)null) : (value[..colon], int.Parse(value[(colon + 1)..], System.Globalization.CultureInfo.InvariantCulture));
        return ScenarioRegistry.BuiltIn.Get(id).Build(new BuildOptions(Level: level));
    }

    /// <summary>A linear reward over the symbols after the step and the cells that changed: the shape of a readable learned reward.</summary>
    private sealed class LinearCellReward : ICellwiseTransitionReward
    {
        public double PairTerm(ReadOnlySpan<byte> before, ReadOnlySpan<double> extrasBefore, int action) => -0.01;

        public double CellTerm(ReadOnlySpan<byte> before, ReadOnlySpan<double> extrasBefore, int action, int cell, byte after) => (after == (byte)'T' ? 0.02 : 0) + (after != before[cell] ? 0.001 : 0);

        public void Evaluate(TransitionBatch batch, Span<double> rewards)
        {
            var n = batch.CellCount;
            var before = batch.BoardsBefore;
            var after = batch.BoardsAfter;
            for (var i = 0; i < batch.Count; i++)
            {
                var board = before.Slice(i * n, n);
                var extras = batch.ExtrasBeforeOf(i);
                var value = PairTerm(board, extras, batch.Actions[i]);
                for (var c = 0; c < n; c++)
                {
                    value += CellTerm(board, extras, batch.Actions[i], c, after[(i * n) + c]);
                }

                rewards[i] = value;
            }
        }
    }
}
