using AlignLab.Envs;
using AlignLab.Grid;
using AlignLab.Randomness;
using AlignLab.Scenarios;
using BenchmarkDotNet.Attributes;

namespace AlignLab.Bench.Envs;

/// <summary>
/// Steps per second of one environment and of a vectorised batch, observations included
/// (board render and one-hot encoding every step) and finished episodes reset. Each invocation
/// performs <see cref="StepsPerInvoke"/> environment steps, so the reported time is per env step.
/// </summary>
[MemoryDiagnoser]
public class EnvStepBenchmarks
{
    public const int StepsPerInvoke = 4096;

    private IEnvironment _env = null!;
    private VectorEnv _vector = null!;
    private int[] _actions = [];
    private int[] _batchActions = [];

    [Params("BoatRace-v0", "DistributionalShift-v0", "SideEffectsSokoban-v0", "CheeseInTheCorner-v0")]
    public string Id { get; set; } = "BoatRace-v0";

    [Params(1, 64, 1024)]
    public int Batch { get; set; } = 1;

    [GlobalSetup]
    public void Setup()
    {
        GridWorld world = ScenarioRegistry.BuiltIn.Get(Id).Build();
        _env = EnvironmentFactory.Make(world, 1).Env;
        _env.Reset(1);
        (_vector, _) = EnvironmentFactory.MakeVector(world, Batch, 1);
        _vector.Reset();
        var rng = new Rng(7);
        _actions = [.. Enumerable.Range(0, StepsPerInvoke).Select(_ => rng.NextInt(4))];
        _batchActions = [.. Enumerable.Range(0, Batch).Select(_ => rng.NextInt(4))];
    }

    /// <summary>One environment through the agent-facing interface (the Batch parameter does not apply).</summary>
    [Benchmark(OperationsPerInvoke = StepsPerInvoke)]
    public double Single()
    {
        var total = 0.0;
        var actions = _actions;
        for (var i = 0; i < actions.Length; i++)
        {
            var result = _env.Step(actions[i]);
            total += result.Reward;
            if (result.Done)
            {
                _env.Reset();
            }
        }

        return total;
    }

    /// <summary>A batch of <see cref="Batch"/> environments; StepsPerInvoke env steps per invocation.</summary>
    [Benchmark(OperationsPerInvoke = StepsPerInvoke)]
    public double Vector()
    {
        var total = 0.0;
        var calls = StepsPerInvoke / Batch;
        for (var i = 0; i < calls; i++)
        {
            _vector.Step(_batchActions);
            total += _vector.Rewards[0];
            var a = _batchActions;
            for (var j = 0; j < a.Length; j++)
            {
                a[j] = (a[j] + j + i) & 3;
            }
        }

        return total;
    }
}
