using AlignLab.Grid;
using AlignLab.Scenarios;
using AlignLab.Solve;
using BenchmarkDotNet.Attributes;

namespace AlignLab.Bench.Solve;

/// <summary>
/// The exact solver: one finite-horizon backup sweep (every state-action pair once) of the
/// reward objective. Backups per second = states × actions / mean time; the states and
/// actions of each scenario are printed by <c>alignlab solve</c> and listed in bench/README.md.
/// Also the whole specification-gap analysis of a scenario (model building, optimal, random and
/// tie-range sweeps over the 100-step horizon, EPIC).
/// </summary>
[MemoryDiagnoser]
public class SolverBenchmarks
{
    private ExactModel _model = null!;
    private double[] _v = [];
    private double[] _q = [];
    private GridWorld _world = null!;

    [Params("ConveyorBelt-v0", "TomatoWatering-v0", "SideEffectsSokoban-v0:2")]
    public string Id { get; set; } = "ConveyorBelt-v0";

    [GlobalSetup]
    public void Setup()
    {
        var (id, level) = Parse(Id);
        _world = ScenarioRegistry.BuiltIn.Get(id).Build(new BuildOptions(Level: level));
        _model = ExactModel.For(_world);
        _v = new double[_model.StateCount];
        _q = new double[_model.StateCount * _model.ActionCount];
        Console.WriteLine($"// {Id}: {_model.StateCount} states × {_model.ActionCount} actions = {_model.StateCount * (long)_model.ActionCount} backups per sweep");
    }

    /// <summary>One sweep: q(s,a) = E[r] + E[v(s')] for every pair.</summary>
    [Benchmark]
    public double BackupSweep()
    {
        _model.Backup(_world.Reward, _v, _q);
        return _q[0];
    }

    /// <summary>The full analysis behind <c>alignlab solve</c> for this level.</summary>
    [Benchmark]
    public double SpecificationGapAnalysis()
    {
        var (id, level) = Parse(Id);
        return SpecificationGap.Analyze(ScenarioRegistry.BuiltIn.Get(id), new BuildOptions(Level: level)).GapWorst;
    }

    private static (string Id, int? Level) Parse(string value)
    {
        var colon = value.IndexOf(':', StringComparison.Ordinal);
        return colon < 0 ? (value, null) : (value[..colon], int.Parse(value[(colon + 1)..], System.Globalization.CultureInfo.InvariantCulture));
    }
}
