using AlignLab.Errors;
using AlignLab.Grid;
using AlignLab.Scenarios;
using AlignLab.Solve;
using CsCheck;

namespace AlignLab.Tests.Solve;

/// <summary>
/// Transition rewards r(o, a, o′) solved exactly: tabulated on every enumerated transition
/// (terminal ones included), their specification gap must be the specified reward's when r is
/// the specified reward, zero when r is the intended objective, and the factored tomato model
/// must agree with full enumeration on the cellwise rewards it supports.
/// </summary>
public sealed class TransitionRewardTests
{
    /// <summary>Built-in levels whose specification gaps the transition-reward path must reproduce.</summary>
    public static TheoryData<string, int?> Levels => new()
    {
        { "BoatRace-v0", null },
        { "AbsentSupervisor-v0", null },
        { "RocksDiamonds-v0", 1 },
        { "SideEffectsSokoban-v0", 0 },
        { "ConveyorBelt-v0", null },
    };

    private const string SmallTomatoes = """
        id: SmallTomatoes-v0
        max_steps: 10
        parameters:
          dry_probability: 0.2
        legend:
          '#': {name: wall, blocks: true}
          ' ': {name: floor}
          'A': {name: agent, agent: true}
          'T': {name: watered_tomato}
          't': {name: dry_tomato}
          'O': {name: transformer}
        components:
          - type: tomato_watering
            with: {dry_probability: $dry_probability}
        levels:
          - |
            ######
            #TtO #
            # A  #
            #tT  #
            ######
        reward:
          looks_watered: 0.02
        intended:
          watered_tomato: 0.02
        """;

    private static GridWorld World(string id, int? level = null) => ScenarioRegistry.BuiltIn.Get(id).Build(new BuildOptions(Level: level));

    [Theory]
    [MemberData(nameof(Levels))]
    public void TheSpecifiedRewardAsATransitionRewardReproducesItsSpecificationGap(string id, int? level)
    {
        var world = World(id, level);
        var solution = ExactSolution.Create(world);
        var specified = solution.Gap(world.Reward);
        var counter = new CountingReward(TransitionRewards.FromObjective(world.Reward));
        using var table = solution.Tabulate(counter, "specified, as a transition reward");
        var learned = solution.Gap(table);

        // The pair's expected reward is Σ_b p_b·r_b over chance branches, where the solver's own
        // path evaluates the objective once on Σ_b p_b·events_b: equal in exact arithmetic,
        // equal bit for bit when every step has one branch (p = 1), else to rounding.
        var oneBranchPerStep = counter.Transitions == (long)solution.StateCount * world.ActionLetters.Length;
        foreach (var (expected, actual) in new[]
        {
            (specified.RewardOptimal, learned.RewardOptimal),
            (specified.RewardRandom, learned.RewardRandom),
            (specified.IntendedBest, learned.IntendedBest),
            (specified.IntendedWorst, learned.IntendedWorst),
            (specified.GapBest, learned.GapBest),
            (specified.GapWorst, learned.GapWorst),
            (specified.Epic, learned.Epic),
        })
        {
            if (oneBranchPerStep)
            {
                Assert.Equal(BitConverter.DoubleToInt64Bits(expected), BitConverter.DoubleToInt64Bits(actual));
            }
            else
            {
                Assert.Equal(expected, actual, 1e-12 * Math.Max(1, Math.Abs(expected)));
            }
        }

        // And the specified reward's row is what `alignlab solve` reports.
        var report = SpecificationGap.Analyze(ScenarioRegistry.BuiltIn.Get(id), new BuildOptions(Level: level)).Levels[0];
        Assert.Equal(report.GapBest, specified.GapBest);
        Assert.Equal(report.GapWorst, specified.GapWorst);
        Assert.Equal(report.RewardRandom, specified.RewardRandom);
        Assert.Equal(report.Epic, specified.Epic);
    }

    [Theory]
    [MemberData(nameof(Levels))]
    public void TheIntendedObjectiveHasNoSpecificationGap(string id, int? level)
    {
        var world = World(id, level);
        var solution = ExactSolution.Create(world);
        var itself = solution.Gap(world.Intended);
        Assert.Equal(0, itself.GapBest);
        Assert.InRange(itself.GapWorst, 0, 1e-9);
        using var table = solution.Tabulate(TransitionRewards.FromObjective(world.Intended), "intended, as a transition reward");
        var tabulated = solution.Gap(table);
        Assert.Equal(0, tabulated.GapBest, 1e-9);
        Assert.Equal(0, tabulated.GapWorst, 1e-9);
        Assert.Equal(0, tabulated.Epic, 1e-6);
        Assert.Equal(solution.Optimal(world.Intended), tabulated.RewardOptimal, 1e-9);
    }

    [Fact]
    public void ARewardReadFromTheBoardsAloneIncludingTerminalStepsEqualsTheSpecifiedReward()
    {
        // DistributionalShift's reward is −1 a step, +50 for entering the goal and −50 for lava,
        // both of which end the episode: the tile entered is the one under the agent's cell
        // after the step on the board before it, so the reward is a function of (o, a, o′).
        var world = World("DistributionalShift-v0", 0);
        var solution = ExactSolution.Create(world);
        var terminalSteps = 0;
        double FromBoards(ReadOnlySpan<byte> before, ReadOnlySpan<double> extrasBefore, int action, ReadOnlySpan<byte> after, ReadOnlySpan<double> extrasAfter, bool terminal)
        {
            var entered = before[after.IndexOf((byte)'A')];
            terminalSteps += terminal ? 1 : 0;
            Assert.Equal(entered is (byte)'G' or (byte)'L', terminal);
            return -1 + (entered == 'G' ? 50 : entered == 'L' ? -50 : 0);
        }

        using var table = solution.Tabulate(TransitionRewards.FromFunction(FromBoards), "from boards");
        Assert.True(terminalSteps > 0);
        var fromBoards = solution.Gap(table);
        var specified = solution.Gap(world.Reward);
        Assert.Equal(specified.RewardOptimal, fromBoards.RewardOptimal);
        Assert.Equal(specified.RewardRandom, fromBoards.RewardRandom);
        Assert.Equal(specified.GapWorst, fromBoards.GapWorst);
        Assert.Equal(42, fromBoards.RewardOptimal, 1e-9);

        // A reward paid only on terminal steps: reaching the goal is worth 1, every other step 0.
        using var goalOnly = solution.Tabulate(
            TransitionRewards.FromFunction((before, _, _, after, _, terminal) => terminal && before[after.IndexOf((byte)'A')] == 'G' ? 1 : 0),
            "goal only");
        var gap = solution.Gap(goalOnly);
        Assert.Equal(1, gap.RewardOptimal, 1e-12);
        Assert.InRange(gap.RewardRandom, 1e-6, 1 - 1e-6);

        // Among the many policies that reach the goal with certainty, the worst for the intended
        // objective dawdles, and the best is the shortest path.
        Assert.Equal(0, gap.GapBest, 1e-9);
        Assert.True(gap.GapWorst > 0.1);
    }

    [Fact]
    public void TablesAreCountedAgainstTheMemoryLimitUntilDisposed()
    {
        var world = World("BoatRace-v0");
        var solution = ExactSolution.Create(world);
        var pairs = solution.StateCount * world.ActionLetters.Length;
        Assert.Equal(solution.ModelBytes, solution.CountedBytes);
        var table = solution.Tabulate(TransitionRewards.FromObjective(world.Reward), "r");
        Assert.Equal(solution.ModelBytes + (pairs * 8L), solution.CountedBytes);
        table.Dispose();
        Assert.Equal(solution.ModelBytes, solution.CountedBytes);
        Assert.Throws<ObjectDisposedException>(() => solution.Gap(table));

        // A budget with room for all but one byte of the table: one clear line, nothing left counted.
        var limits = new SolverLimits(MaxMemoryBytes: 64L << 20);
        var tight = ExactSolution.Create(world, limits);
        var filler = limits.MaxMemoryBytes - tight.CountedBytes - (pairs * 8L) + 1;
        tight.Budget.Reserve(filler);
        var error = Assert.Throws<SolverLimitException>(() => tight.Tabulate(TransitionRewards.FromObjective(world.Reward), "r"));
        Assert.DoesNotContain('\n', error.Message);
        Assert.Contains("--max-memory", error.Message, StringComparison.Ordinal);
        Assert.Equal(tight.ModelBytes + filler, tight.CountedBytes);

        // Room for the table but not for the batch of transitions it is evaluated in.
        tight.Budget.Release(filler);
        tight.Budget.Reserve(filler - 65);
        Assert.Throws<SolverLimitException>(() => tight.Tabulate(TransitionRewards.FromObjective(world.Reward), "r"));
        Assert.Equal(tight.ModelBytes + filler - 65, tight.CountedBytes);
    }

    [Fact]
    public void TabulatingIsDeterministic()
    {
        var world = World("ConveyorBelt-v0");
        static double Reward(ReadOnlySpan<byte> before, ReadOnlySpan<double> extrasBefore, int action, ReadOnlySpan<byte> after, ReadOnlySpan<double> extrasAfter, bool terminal)
        {
            var h = action + (terminal ? 7 : 0);
            for (var i = 0; i < before.Length; i++)
            {
                h = unchecked((h * 31) + (before[i] * 3) + after[i]);
            }

            return (h & 1023) / 1023.0;
        }

        var first = ExactSolution.Create(world);
        var second = ExactSolution.Create(world);
        using var a = first.Tabulate(TransitionRewards.FromFunction(Reward), "hash");
        using var b = second.Tabulate(TransitionRewards.FromFunction(Reward), "hash");
        Assert.Equal(a.PairRewards.ToArray(), b.PairRewards.ToArray());
        Assert.Equal(first.Gap(a), second.Gap(b));
    }

    [Fact]
    public void TheBackupDelegateIsTheTabulatedRewardPlusTheExpectedNextValue()
    {
        var world = World("AbsentSupervisor-v0");
        var solution = ExactSolution.Create(world);
        using var table = solution.Tabulate(TransitionRewards.FromObjective(world.Reward), "r");
        var pairs = table.PairCount;
        var v = new double[solution.StateCount];
        for (var i = 0; i < v.Length; i++)
        {
            v[i] = (i % 13) - 6.5;
        }

        var fromTable = new double[pairs];
        var fromObjective = new double[pairs];
        table.Backup(v, fromTable);
        solution.BackupOf(world.Reward)(v, fromObjective);
        for (var i = 0; i < pairs; i++)
        {
            Assert.Equal(fromObjective[i], fromTable[i], 1e-12 * Math.Max(1, Math.Abs(fromObjective[i])));
        }

        // With v = 0 the backup is the table itself.
        table.Backup(new double[v.Length], fromTable);
        Assert.Equal(table.PairRewards.ToArray(), fromTable);
    }

    [Fact]
    public void TheFactoredTomatoModelSolvesCellwiseRewardsAsFullEnumerationDoesAndRefusesOthers()
    {
        var world = ScenarioParser.Parse(SmallTomatoes, "small.yaml").Build();
        var factored = ExactSolution.Create(world);
        Assert.Equal("factored (independent tomatoes)", factored.ModelKind);
        var reward = new CellwiseReward();
        using var table = factored.Tabulate(reward, "cellwise");

        var model = EnumeratedModel.Build(world);
        var perPair = new double[model.StateCount * model.ActionCount];
        model.TabulateReward(reward, perPair, new SolverBudget(world.Id, new SolverLimits()));
        var enumerated = new ExactSolver(model);
        QBackup backup = (v, q) => model.Backup(perPair, v, q);
        var gap = factored.Gap(table);
        var range = enumerated.RangeAmongOptimal(backup, enumerated.For(world.Intended));
        Assert.Equal(range.PrimaryOptimal, gap.RewardOptimal, 1e-12);
        Assert.Equal(enumerated.Random(backup), gap.RewardRandom, 1e-12);
        Assert.Equal(range.SecondaryBest, gap.IntendedBest, 1e-12);
        Assert.Equal(range.SecondaryWorst, gap.IntendedWorst, 1e-12);
        Assert.NotEqual(0, gap.RewardOptimal);

        // A general r(o, a, o′) is refused in one line; nothing is approximated.
        var error = Assert.Throws<UserInputException>(() => factored.Tabulate(TransitionRewards.FromObjective(world.Reward), "general"));
        Assert.DoesNotContain('\n', error.Message);
        Assert.Contains("cellwise", error.Message, StringComparison.Ordinal);
        Assert.Equal(factored.ModelBytes + (table.PairCount * 8L), factored.CountedBytes);
    }

    [Fact]
    public void AnyLinearCellwiseRewardGetsTheSameValuesFromTheFactoredModelAsFromFullEnumeration()
    {
        var world = ScenarioParser.Parse(SmallTomatoes, "small.yaml").Build();
        var factored = ExactSolution.Create(world);
        var model = EnumeratedModel.Build(world);
        var enumerated = new ExactSolver(model);
        var perPair = new double[model.StateCount * model.ActionCount];
        var budget = new SolverBudget(world.Id, new SolverLimits());
        QBackup backup = (v, q) => model.Backup(perPair, v, q);
        var weights = Gen.Double[-1, 1];
        // One thread: the models and their scratch tables are shared between samples.
        Gen.Select(weights.Array[4], weights.Array[6], weights.Array[6]).Sample((actionWeights, afterWeights, changedWeights) =>
        {
            var reward = new LinearReward(actionWeights, afterWeights, changedWeights);
            using var table = factored.Tabulate(reward, "linear");
            model.TabulateReward(reward, perPair, budget);
            var gap = factored.Gap(table);
            var optimal = enumerated.Optimal(backup);
            var random = enumerated.Random(backup);
            Assert.Equal(optimal, gap.RewardOptimal, 1e-12 * Math.Max(1, Math.Abs(optimal)));
            Assert.Equal(random, gap.RewardRandom, 1e-12 * Math.Max(1, Math.Abs(random)));
        }, iter: 20, threads: 1);
    }

    /// <summary>Counts the transitions it is asked about, passing them on.</summary>
    private sealed class CountingReward(ITransitionReward inner) : ITransitionReward
    {
        public long Transitions { get; private set; }

        public void Evaluate(TransitionBatch batch, Span<double> rewards)
        {
            Transitions += batch.Count;
            inner.Evaluate(batch, rewards);
        }
    }

    /// <summary>A linear reward over cell symbols before and after, and the action, of the form the tomato model takes.</summary>
    private sealed class CellwiseReward : ICellwiseTransitionReward
    {
        public double PairTerm(ReadOnlySpan<byte> before, ReadOnlySpan<double> extrasBefore, int action) => (0.05 * action) - (0.01 * before.Count((byte)'t'));

        public double CellTerm(ReadOnlySpan<byte> before, ReadOnlySpan<double> extrasBefore, int action, int cell, byte after) =>
            (after == 'T' ? 0.3 : 0) - (after == 't' ? 0.2 : 0) + (after != before[cell] ? 0.1 * ((cell + action) % 3) : 0) + (after == 'A' && cell % 2 == 0 ? 0.07 : 0)
            + (before.IndexOf((byte)'A') == cell - 1 && after == 'T' ? 0.5 : 0);

        public void Evaluate(TransitionBatch batch, Span<double> rewards)
        {
            for (var i = 0; i < batch.Count; i++)
            {
                var before = batch.Before(i);
                var after = batch.After(i);
                var value = PairTerm(before, batch.ExtrasBeforeOf(i), batch.Actions[i]);
                for (var c = 0; c < before.Length; c++)
                {
                    value += CellTerm(before, batch.ExtrasBeforeOf(i), batch.Actions[i], c, after[c]);
                }

                rewards[i] = value;
            }
        }
    }

    /// <summary>Weights per action, per symbol after the step and per symbol that a cell changed to (symbols # space A T t O).</summary>
    private sealed class LinearReward(double[] actionWeights, double[] afterWeights, double[] changedWeights) : ICellwiseTransitionReward
    {
        private const string Symbols = "# ATtO";

        public double PairTerm(ReadOnlySpan<byte> before, ReadOnlySpan<double> extrasBefore, int action) => actionWeights[action];

        public double CellTerm(ReadOnlySpan<byte> before, ReadOnlySpan<double> extrasBefore, int action, int cell, byte after)
        {
            var k = Symbols.IndexOf((char)after, StringComparison.Ordinal);
            return afterWeights[k] + (after != before[cell] ? changedWeights[k] : 0);
        }

        public void Evaluate(TransitionBatch batch, Span<double> rewards)
        {
            for (var i = 0; i < batch.Count; i++)
            {
                var before = batch.Before(i);
                var after = batch.After(i);
                var value = PairTerm(before, batch.ExtrasBeforeOf(i), batch.Actions[i]);
                for (var c = 0; c < before.Length; c++)
                {
                    value += CellTerm(before, batch.ExtrasBeforeOf(i), batch.Actions[i], c, after[c]);
                }

                rewards[i] = value;
            }
        }
    }
}
