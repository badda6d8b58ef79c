using AlignLab.Agents;
using AlignLab.Envs;
using AlignLab.Grid;
using AlignLab.Scenarios;
using BenchmarkDotNet.Attributes;

namespace AlignLab.Bench.Agents;

/// <summary>
/// PPO end to end on one thread: each invocation is one full update (a rollout of 8 environments × 128 steps,
/// then 4 epochs × 4 minibatches of 256 on the clipped objective) with CleanRL's default network (separate
/// actor and critic MLPs, 64-64 tanh, on the flattened one-hot observation). The reported time is per
/// environment step (<see cref="StepsPerInvoke"/> steps per invocation); steps/s = 1 / that time.
/// </summary>
/// <remarks>
/// Network FLOPs per environment step (<see cref="PpoAgent.FlopsPerEnvStep"/>, counting only the work training
/// does): the rollout's forward pass of actor and critic, the critic on the observation after the rollout (once
/// per 128 steps), and per epoch (4) forward and backward = 3 forwards of both, less the input gradient of each
/// first layer (the observation's gradient is never computed); a Linear costs 2·in·out per sample.
/// DistributionalShift-v0 (5 channels × 7 × 9 = 315 inputs, 4 actions): forward 2·(315·64 + 64·64 + 64·4) +
/// 2·(315·64 + 64·64 + 64·1) = 97,664 FLOP; step = 97,664 + 48,640/128 + 4·(3·97,664 − 2·2·315·64) = 947,452
/// FLOP. CheeseInTheCorner-v0 (4 × 13 × 13 = 676 inputs): 1,779,557 FLOP. With <see cref="Network"/> = cnn the
/// count adds 2·O·C·9·H·W per 3×3 convolution; the shared torso runs once per rollout step and once per minibatch,
/// and its first convolution has no input gradient: 16,394,054 FLOP per env step on CheeseInTheCorner-v0 and
/// 6,280,050 on DistributionalShift-v0. <see cref="Setup"/> prints the count. Measured figures and their share of
/// the limit this count and the measured GEMM speed set are in bench/README.md.
/// </remarks>
[MemoryDiagnoser]
public class PpoBenchmarks
{
    public const int NumEnvs = 8;
    public const int NumSteps = 128;
    public const int StepsPerInvoke = NumEnvs * NumSteps;

    private PpoAgent _agent = null!;
    private VectorEnv _env = null!;

    [Params("DistributionalShift-v0", "CheeseInTheCorner-v0")]
    public string Id { get; set; } = "DistributionalShift-v0";

    /// <summary>
    /// mlp: CleanRL's classic-control networks. cnn: the network the 13×13 CheeseInTheCorner results use
    /// (docs/inner-alignment-results.md): 3×3 convolutions 16, 16 with ReLU, a 64-unit ReLU layer, shared by
    /// the actor and critic heads.
    /// </summary>
    [Params("mlp", "cnn")]
    public string Network { get; set; } = "mlp";

    [GlobalSetup]
    public void Setup()
    {
        GridWorld world = ScenarioRegistry.BuiltIn.Get(Id).Build();
        var options = new PpoOptions { NumEnvs = NumEnvs, NumSteps = NumSteps, TotalTimesteps = 1_000_000_000, Seed = 1 };
        if (Network == "cnn")
        {
            options = options with { Network = NetworkKind.Cnn, ConvChannels = [16, 16], Hidden = [64], Activation = AlignLab.Nn.Activation.Relu };
        }

        _agent = new PpoAgent(world, options);
        (_env, _) = EnvironmentFactory.MakeVector(world, NumEnvs, 1);
        _agent.Train(_env, maxUpdates: 2);
        Console.WriteLine($"// {Id} {Network}: {world.Channels}×{world.Height}×{world.Width} observation, {_agent.FlopsPerEnvStep():N0} network FLOP per env step");
    }

    /// <summary>One PPO update: rollout plus optimisation.</summary>
    [Benchmark(OperationsPerInvoke = StepsPerInvoke)]
    public long RolloutAndUpdate()
    {
        _agent.Train(_env, maxUpdates: 1);
        return _agent.GlobalStep;
    }
}

/// <summary>
/// The VIN row of <see cref="PpoBenchmarks"/>: the same update (8 environments × 128 steps, then 4 epochs × 4
/// minibatches of 256), timed and counted the same way, with the "vin" preset's network (f_R from 3×3 convolutions
/// 16, 16 with ReLU and a 1×1 convolution, K = 20 value-iteration steps, shared by actor and critic) on
/// CheeseInTheCorner-v0 at <see cref="Size"/> (7: the size of the VIN results in docs/mesa-optimisers.md; 13: the
/// size of PpoBenchmarks' CNN row), with the grid's moves or a learned transition kernel.
/// </summary>
/// <remarks>
/// <see cref="PpoAgent.FlopsPerEnvStep"/> counts the VIN by <see cref="AlignLab.Nn.ValueIterationNetwork.ForwardFlops"/>
/// (every 3×3 convolution of f_R and of the planner at 2·O·C·9·H·W, also where the moves kernel is mostly zeros).
/// Its backward pass is charged 2× its forward less f_R's first convolution's input gradient (the observation's,
/// never computed), as for every other network; <see cref="Setup"/> prints the count.
/// </remarks>
[MemoryDiagnoser]
public class PpoVinBenchmarks
{
    private readonly float[] _c = new float[256 * 256];
    private float[] _a = [];
    private float[] _b = [];
    private PpoAgent _agent = null!;
    private VectorEnv _env = null!;

    /// <summary>The side of the CheeseInTheCorner-v0 map.</summary>
    [Params(7, 13)]
    public int Size { get; set; } = 7;

    /// <summary>
    /// Environments stepped together, each for 1,024 / Envs steps (the same 1,024-step batch): 8 as in the other PPO
    /// rows, or 16 as in the vin preset, whose rollouts then fill all 16 lanes of the planner's blocks.
    /// </summary>
    [Params(8, 16)]
    public int Envs { get; set; } = PpoBenchmarks.NumEnvs;

    /// <summary>The VIN's transition kernel: fixed to the moves (the preset) or learned.</summary>
    [Params(VinTransitions.Moves, VinTransitions.Learned)]
    public VinTransitions Transitions { get; set; } = VinTransitions.Moves;

    [GlobalSetup]
    public void Setup()
    {
        var set = new Dictionary<string, string> { ["size"] = Size.ToString(System.Globalization.CultureInfo.InvariantCulture) };
        GridWorld world = ScenarioRegistry.BuiltIn.Get("CheeseInTheCorner-v0").Build(new BuildOptions(Set: set));
        var options = new PpoOptions
        {
            NumEnvs = Envs,
            NumSteps = PpoBenchmarks.StepsPerInvoke / Envs,
            TotalTimesteps = 1_000_000_000,
            Seed = 1,
            Network = NetworkKind.Vin,
            ConvChannels = [16, 16],
            Activation = AlignLab.Nn.Activation.Relu,
            VinTransitions = Transitions,
        };
        _agent = new PpoAgent(world, options);
        (_env, _) = EnvironmentFactory.MakeVector(world, Envs, 1);
        _agent.Train(_env, maxUpdates: 2);
        var rng = new Random(3);
        _a = [.. Enumerable.Range(0, 256 * 256).Select(_ => (float)((rng.NextDouble() * 2) - 1))];
        _b = [.. Enumerable.Range(0, 256 * 256).Select(_ => (float)((rng.NextDouble() * 2) - 1))];
        Console.WriteLine($"// CheeseInTheCorner-v0 {Size}×{Size} vin {Transitions}, {Envs} environments × {PpoBenchmarks.StepsPerInvoke / Envs} steps: {world.Channels}×{world.Height}×{world.Width} observation, {_agent.FlopsPerEnvStep():N0} network FLOP per env step (PpoAgent.FlopsPerEnvStep: the VIN's backward counted as 2× forward less f_R's first input gradient)");
    }

    /// <summary>One PPO update: rollout plus optimisation.</summary>
    [Benchmark(OperationsPerInvoke = PpoBenchmarks.StepsPerInvoke)]
    public long RolloutAndUpdate()
    {
        _agent.Train(_env, maxUpdates: 1);
        return _agent.GlobalStep;
    }

    /// <summary>
    /// The limit, measured in the same run beside each row (the machine is shared, so a limit from another run
    /// may see another load): the 256³ SGEMM of <c>GemmBenchmarks</c> through <see cref="AlignLab.Nn.MatrixProduct"/>.
    /// </summary>
    [Benchmark(Description = "SGEMM 256x256x256 (the limit)")]
    public float Sgemm()
    {
        AlignLab.Nn.MatrixProduct.Multiply(256, 256, 256, _a, false, _b, false, _c);
        return _c[0];
    }
}
