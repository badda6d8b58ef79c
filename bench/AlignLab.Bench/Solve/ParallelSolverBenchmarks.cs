using AlignLab.Grid;
using AlignLab.Nn;
using AlignLab.Scenarios;
using AlignLab.Solve;
using BenchmarkDotNet.Attributes;

namespace AlignLab.Bench.Solve;

/// <summary>
/// The exact solver on one thread and on several (<see cref="WorkerPool.SetThreads"/>): one backup sweep of the
/// reward over every state-action pair, and the optimal value over the whole horizon (a backup and a maximum
/// per step). The values are the same bits for every thread count (tests/AlignLab.Tests/Parallel); the setup
/// prints them so that a run shows it too.
/// </summary>
[MemoryDiagnoser]
public class ParallelSolverBenchmarks
{
    private ExactModel _model = null!;
    private ExactSolver _solver = null!;
    private double[] _v = [];
    private double[] _q = [];
    private GridWorld _world = null!;

    /// <summary>Threads of the worker pool.</summary>
    [Params(1, 2)]
    public int Threads { get; set; } = 1;

    /// <summary>Scenario id, with <c>:level</c> for one level.</summary>
    [Params("SideEffectsSokoban-v0:2", "TomatoWatering-v0")]
    public string Id { get; set; } = "SideEffectsSokoban-v0:2";

    /// <summary>Builds the model once and sets the thread count.</summary>
    [GlobalSetup]
    public void Setup()
    {
        WorkerPool.SetThreads(Threads);
        var colon = Id.IndexOf(':', StringComparison.Ordinal);
        var (id, level) = colon < 0 ? (Id, (int?)null) : (Id[..colon], int.Parse(Id[(colon + 1)..], System.Globalization.CultureInfo.InvariantCulture));
        _world = ScenarioRegistry.BuiltIn.Get(id).Build(new BuildOptions(Level: level));
        _model = ExactModel.For(_world);
        _solver = new ExactSolver(_model.Model);
        _v = new double[_model.StateCount];
        _q = new double[_model.StateCount * _model.ActionCount];
        var optimal = _solver.Optimal(_world.Reward);
        Console.WriteLine($"// {Id}, {Threads} threads: {_model.StateCount} states × {_model.ActionCount} actions; optimal reward value {optimal:R} (bits {BitConverter.DoubleToInt64Bits(optimal):X16})");
    }

    /// <summary>One sweep: q(s,a) = E[r] + E[v(s')] for every pair.</summary>
    [Benchmark]
    public double BackupSweep()
    {
        _model.Backup(_world.Reward, _v, _q);
        return _q[0];
    }

    /// <summary>The optimal value of the reward: one backup and one maximum per step of the horizon.</summary>
    [Benchmark]
    public double OptimalValue() => _solver.Optimal(_world.Reward);
}
