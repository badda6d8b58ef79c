using AlignLab.Grid;
using AlignLab.Overoptimisation;
using AlignLab.Scenarios;
using AlignLab.Solve;
using BenchmarkDotNet.Attributes;

namespace AlignLab.Bench.Overoptimisation;

/// <summary>
/// Soft value iteration: one soft sweep (the proxy backup of every state-action pair, then per
/// state the stable log-sum-exp and π_β's row), and one whole β point (the horizon's sweeps with
/// the exact evaluation of proxy, gold and KL: four backups per pair and step). Backups per
/// second = states × actions / mean time for a sweep; the setup prints the sizes. π_ref is
/// uniform, as in the overoptimisation analysis; the sweep is also measured with a π_ref that
/// differs from state to state (a table read per block of four states, not one block for all).
/// </summary>
[MemoryDiagnoser]
public class SoftValueBenchmarks
{
    private SoftValueIteration _soft = null!;
    private SoftValueIteration _softNonUniform = null!;
    private double[] _vNext = [];
    private double[] _v = [];
    private double[] _policy = [];

    [Params("ConveyorBelt-v0", "SideEffectsSokoban-v0:2")]
    public string Id { get; set; } = "ConveyorBelt-v0";

    [GlobalSetup]
    public void Setup()
    {
        var colon = Id.IndexOf(':', StringComparison.Ordinal);
        var (id, level) = colon < 0 ? (Id, (int?)null) : (Id[..colon], int.Parse(Id[(colon + 1)..], System.Globalization.CultureInfo.InvariantCulture));
        GridWorld world = ScenarioRegistry.BuiltIn.Get(id).Build(new BuildOptions(Level: level));
        var model = ExactSolution.Create(world).Model;
        _soft = new SoftValueIteration(model, (v, q) => model.Backup(world.Reward, v, q), world.Intended, ReferencePolicy.Uniform(model.StateCount, model.ActionCount));
        var probabilities = new double[model.StateCount * model.ActionCount];
        for (var state = 0; state < model.StateCount; state++)
        {
            var row = probabilities.AsSpan(state * model.ActionCount, model.ActionCount);
            for (var action = 0; action < row.Length; action++)
            {
                row[action] = 1 + ((state + action) % 5);
            }

            var total = 0.0;
            foreach (var p in row)
            {
                total += p;
            }

            for (var action = 0; action < row.Length; action++)
            {
                row[action] /= total;
            }
        }

        _softNonUniform = new SoftValueIteration(model, (v, q) => model.Backup(world.Reward, v, q), world.Intended, new ReferencePolicy(model.StateCount, model.ActionCount, probabilities));
        _vNext = new double[model.StateCount];
        _v = new double[model.StateCount];
        _policy = new double[model.StateCount * model.ActionCount];

        // A realistic next-step value: the soft value after a few sweeps.
        for (var i = 0; i < 10; i++)
        {
            _soft.SoftSweep(1.0, _vNext, _v, _policy);
            (_vNext, _v) = (_v, _vNext);
        }

        Console.WriteLine($"// {Id}: {model.StateCount} states × {model.ActionCount} actions = {model.StateCount * (long)model.ActionCount} backups per soft sweep; horizon {model.Horizon}");
    }

    /// <summary>One soft sweep at β = 1: proxy backup, log-sum-exp and policy for every state.</summary>
    [Benchmark]
    public double SoftValueSweep()
    {
        _soft.SoftSweep(1.0, _vNext, _v, _policy);
        return _v[0];
    }

    /// <summary>One soft sweep at β = 1 with a π_ref that differs from state to state.</summary>
    [Benchmark]
    public double SoftValueSweepNonUniformReference()
    {
        _softNonUniform.SoftSweep(1.0, _vNext, _v, _policy);
        return _v[0];
    }

    /// <summary>One whole β point: soft value iteration over the horizon with exact proxy, gold and KL.</summary>
    [Benchmark]
    public double SoftValuePoint() => _soft.Solve(1.0).Gold;
}
