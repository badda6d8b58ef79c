using AlignLab.Agents;
using AlignLab.Envs;
using AlignLab.Nn;
using AlignLab.Scenarios;
using AlignLab.Solve;

namespace AlignLab.Tests.Parallel;

/// <summary>
/// The tests that set the process's worker-pool thread count run alone, so that a comparison of one thread
/// with several really runs on one thread and then on several.
/// </summary>
[CollectionDefinition(nameof(WorkerPoolAlone), DisableParallelization = true)]
public sealed class WorkerPoolAlone;

/// <summary>Every core: the worker pool, and the same bits from the solver, PPO and DQN on one thread and on several.</summary>
[Collection(nameof(WorkerPoolAlone))]
public sealed class ParallelTests : IDisposable
{
    private readonly int _threads = WorkerPool.Threads;

    public void Dispose() => WorkerPool.SetThreads(_threads);

    [Fact]
    public void EveryPieceRunsOnceAndAPiecesErrorReachesTheCaller()
    {
        WorkerPool.SetThreads(3);
        var counts = new int[1000];
        var before = WorkerPool.Dispatches;
        WorkerPool.For(counts.Length, new Count(counts));
        Assert.All(counts, c => Assert.Equal(1, c));
        Assert.True(WorkerPool.Dispatches > before);

        var error = Assert.Throws<InvalidOperationException>(() => WorkerPool.For(100, new Fail(37)));
        Assert.Equal("piece 37", error.Message);

        // The pool still works after a failure, and a nested call runs on its own thread.
        Array.Clear(counts);
        WorkerPool.For(10, new Nested(counts));
        Assert.All(counts.AsSpan(0, 100).ToArray(), c => Assert.Equal(1, c));
        Assert.Throws<ArgumentOutOfRangeException>(() => WorkerPool.SetThreads(0));
    }

    [Fact]
    public void SolverValuesAreTheSameBitsOnOneThreadAndOnSeveral()
    {
        // Every level of every built-in scenario with fixed levels, up to 30,000 states (the larger pushing levels
        // take seconds to enumerate), but the factored tomato model (237,568 states, its own test below); the sweeps of SideEffectsSokoban level 2 (29,104 states) run in many pieces.
        var limits = new SolverLimits(MaxStates: 30_000);
        var solved = 0;
        var largest = 0;
        foreach (var id in ScenarioRegistry.BuiltIn.Ids.Where(id => id != "TomatoWatering-v0"))
        {
            var scenario = ScenarioRegistry.BuiltIn.Get(id);
            for (var level = 0; level < scenario.LevelCount; level++)
            {
                ExactSolution solution;
                try
                {
                    solution = ExactSolution.Create(scenario.Build(new BuildOptions(Level: level)), limits);
                }
                catch (SolverLimitException)
                {
                    continue;
                }

                WorkerPool.SetThreads(1);
                var sequential = Values(solution);
                WorkerPool.SetThreads(3);
                var before = WorkerPool.Dispatches;
                var parallel = Values(solution);
                Assert.True(sequential.SequenceEqual(parallel), $"{id} level {level}: values differ between 1 and 3 threads");
                if (solution.StateCount * solution.Model.ActionCount > EnumeratedModel.PairsPerPiece)
                {
                    Assert.True(WorkerPool.Dispatches > before, $"{id} level {level}: no sweep ran on several threads");
                }

                largest = Math.Max(largest, solution.StateCount);
                solved++;
            }
        }

        Assert.True(solved >= 15, $"only {solved} levels solved");
        Assert.True(largest * 4 > EnumeratedModel.PairsPerPiece, "no level large enough to split");
    }

    [Fact]
    public void TheFactoredTomatoModelIsTheSameBitsOnOneThreadAndOnSeveral()
    {
        // Its backups run one piece per agent cell: the drying expectation of each cell's watered sets, then q.
        var world = ScenarioRegistry.BuiltIn.Get("TomatoWatering-v0").Build();
        var solution = ExactSolution.Create(world);
        Assert.IsType<TomatoModel>(solution.Model);
        WorkerPool.SetThreads(1);
        var sequential = TomatoValues(solution);
        WorkerPool.SetThreads(3);
        var before = WorkerPool.Dispatches;
        var parallel = TomatoValues(solution);
        Assert.True(WorkerPool.Dispatches > before, "no tomato sweep ran on several threads");
        Assert.True(sequential.SequenceEqual(parallel), "the tomato model's values differ between 1 and 3 threads");
    }

    /// <summary>While two independent runs are marked as running at once, the pool gives each one thread of two.</summary>
    [Fact]
    public void ConcurrentRunsShareThePoolsThreads()
    {
        WorkerPool.SetThreads(2);
        var counts = new int[64];
        var before = WorkerPool.Dispatches;
        using (WorkerPool.EnterConcurrentRun())
        {
            using (var second = WorkerPool.EnterConcurrentRun())
            {
                WorkerPool.For(counts.Length, new Count(counts));
                Assert.Equal(before, WorkerPool.Dispatches);
                second.Dispose();
            }

            // One run left (the second scope disposed twice counts once): it gets both threads again.
            WorkerPool.For(counts.Length, new Count(counts));
            Assert.Equal(before + 1, WorkerPool.Dispatches);
        }

        Assert.All(counts, c => Assert.Equal(2, c));
    }

    [Fact]
    public void PpoWithTheCnnIsTheSameBitsForTheSameThreadsAndForOtherThreadCounts()
    {
        // A 7×7 maze: minibatches of 256 images make 16 convolution chunks, and the dense layers' products split by rows.
        var options = ((PpoOptions)PpoAgent.Definition.Preset("cnn")) with { NumEnvs = 16, NumSteps = 32, NumMinibatches = 2, UpdateEpochs = 1, TotalTimesteps = 1024, Seed = 5 };
        var twoA = TrainPpo(options, 2, out var dispatched);
        var twoB = TrainPpo(options, 2, out _);
        var one = TrainPpo(options, 1, out _);
        Assert.True(dispatched, "nothing ran on several threads");
        Assert.Equal(twoA, twoB);
        Assert.Equal(one, twoA);
    }

    [Fact]
    public void PpoWithTheMlpIsTheSameBitsOnOneThreadAndOnSeveral()
    {
        var options = ((PpoOptions)PpoAgent.Definition.Preset("default")) with { NumEnvs = 8, NumSteps = 64, NumMinibatches = 1, UpdateEpochs = 2, TotalTimesteps = 1024, Hidden = [128, 128], Seed = 2 };
        var two = TrainPpo(options, 2, out var dispatched);
        var one = TrainPpo(options, 1, out _);
        Assert.True(dispatched, "nothing ran on several threads");
        Assert.Equal(one, two);
    }

    [Fact]
    public void DqnIsTheSameBitsForTheSameThreadsAndForOtherThreadCounts()
    {
        var options = ((DqnOptions)DqnAgent.Definition.Preset("default")) with
        {
            NumEnvs = 4,
            TotalTimesteps = 1_200,
            LearningStarts = 400,
            BatchSize = 128,
            TrainFrequency = 4,
            Hidden = [128, 128],
            Seed = 7,
        };
        var twoA = TrainDqn(options, 2, out var dispatched);
        var twoB = TrainDqn(options, 2, out _);
        var one = TrainDqn(options, 1, out _);
        Assert.True(dispatched, "nothing ran on several threads");
        Assert.Equal(twoA, twoB);
        Assert.Equal(one, twoA);
    }

    /// <summary>Optimal and random values of the reward and the intended objective, the tie range and its policies, the value of a stochastic policy, and one backup table, as bits (a fresh solver each time).</summary>
    private static long[] Values(ExactSolution solution)
    {
        var world = solution.World;
        var model = solution.Model;
        var solver = new ExactSolver(model);
        var range = solver.RangeAmongOptimal(world.Reward, world.Intended);
        var policy = new double[model.StateCount * model.ActionCount];
        for (var i = 0; i < policy.Length; i += model.ActionCount)
        {
            policy[i] = 0.5;
            policy[i + model.ActionCount - 1] += 0.5;
        }

        var bits = new List<long>
        {
            Bits(solver.Optimal(world.Reward)), Bits(solver.Random(world.Reward)),
            Bits(solver.Optimal(world.Intended)), Bits(solver.Random(world.Intended)),
            Bits(range.PrimaryOptimal), Bits(range.SecondaryBest), Bits(range.SecondaryWorst),
            Bits(solver.Evaluate(world.Intended, policy)),
        };
        bits.AddRange(range.Policies.Select(p => (long)p));
        var v = new double[model.StateCount];
        for (var s = 0; s < v.Length; s++)
        {
            v[s] = Math.Sin(s * 0.37) * 10;
        }

        var q = new double[model.StateCount * model.ActionCount];
        model.Backup(world.Intended, v, q);
        bits.AddRange(q.Select(Bits));
        return [.. bits];
    }

    /// <summary>The tomato model's optimal reward value, a stochastic policy's intended value, and one backup table of each kind, as bits.</summary>
    private static long[] TomatoValues(ExactSolution solution)
    {
        var world = solution.World;
        var model = solution.Model;
        var solver = new ExactSolver(model);
        var pairs = model.StateCount * model.ActionCount;
        var policy = new double[pairs];
        for (var i = 0; i < pairs; i += model.ActionCount)
        {
            policy[i] = 0.25;
            policy[i + 1] = 0.75;
        }

        var bits = new List<long> { Bits(solver.Optimal(world.Reward)), Bits(solver.Evaluate(world.Intended, policy)) };
        var v = new double[model.StateCount];
        var pairRewards = new double[pairs];
        for (var s = 0; s < v.Length; s++)
        {
            v[s] = Math.Sin(s * 0.37) * 10;
        }

        for (var i = 0; i < pairs; i++)
        {
            pairRewards[i] = Math.Cos(i * 0.11);
        }

        var q = new double[pairs];
        model.Backup(world.Intended, v, q);
        bits.AddRange(q.Select(Bits));
        model.Backup(pairRewards, v, q);
        bits.AddRange(q.Select(Bits));
        return [.. bits];
    }

    private static long Bits(double value) => BitConverter.DoubleToInt64Bits(value);

    private static int[] TrainPpo(PpoOptions options, int threads, out bool dispatched)
    {
        WorkerPool.SetThreads(threads);
        var before = WorkerPool.Dispatches;
        var world = ScenarioRegistry.BuiltIn.Get("CheeseInTheCorner-v0").Build(new BuildOptions(Set: new Dictionary<string, string> { ["size"] = "7" }));
        var (env, _) = EnvironmentFactory.MakeVector(world, options.NumEnvs, options.Seed);
        var agent = new PpoAgent(world, options);
        agent.Train(env);
        dispatched = WorkerPool.Dispatches > before;
        return [.. agent.Actor.Parameters.Concat(agent.Critic.Parameters).SelectMany(p => p.Value.Values.ToArray()).Select(BitConverter.SingleToInt32Bits)];
    }

    private static int[] TrainDqn(DqnOptions options, int threads, out bool dispatched)
    {
        WorkerPool.SetThreads(threads);
        var before = WorkerPool.Dispatches;
        var world = ScenarioRegistry.BuiltIn.Get("DistributionalShift-v0").Build();
        var (env, _) = EnvironmentFactory.MakeVector(world, options.NumEnvs, options.Seed);
        var agent = new DqnAgent(world, options);
        agent.Train(env);
        dispatched = WorkerPool.Dispatches > before;
        return [.. agent.QNetwork.Parameters.Concat(agent.TargetNetwork.Parameters).SelectMany(p => p.Value.Values.ToArray()).Select(BitConverter.SingleToInt32Bits)];
    }

    private sealed class Count(int[] counts) : IPieceWork
    {
        public void Run(int piece) => Interlocked.Increment(ref counts[piece]);
    }

    private sealed class Fail(int failing) : IPieceWork
    {
        public void Run(int piece)
        {
            if (piece == failing)
            {
                throw new InvalidOperationException($"piece {piece}");
            }
        }
    }

    private sealed class Nested(int[] counts) : IPieceWork
    {
        public void Run(int piece) => WorkerPool.For(10, new Offset(counts, piece * 10));
    }

    private sealed class Offset(int[] counts, int start) : IPieceWork
    {
        public void Run(int piece) => Interlocked.Increment(ref counts[start + piece]);
    }
}
