using AlignLab.Agents;
using AlignLab.Curricula;
using AlignLab.Errors;
using AlignLab.Grid;
using AlignLab.Scenarios;

namespace AlignLab.Tests.Curricula;

/// <summary>DR, PLR⊥ and ACCEL on a tiny budget: cycle accounting, robustness (no updates on new levels), valid edits, determinism.</summary>
public sealed class CurriculumTrainerTests
{
    private static readonly Dictionary<string, string> Size5 = new() { ["size"] = "5" };

    // 4 environments × 16 steps: 64 steps a cycle, 40 cycles unless a test says otherwise.
    private static readonly PpoOptions Tiny = (PpoOptions)PpoAgent.Definition.Preset("small") with { NumEnvs = 4, NumSteps = 16, NumMinibatches = 2, UpdateEpochs = 2 };

    private static (PpoAgent Agent, CurriculumTrainer Trainer) Train(CurriculumKind kind, LevelScoreKind score, ulong seed, double alpha = 0.1, string scenarioId = "CheeseInTheCorner-v0", Dictionary<string, string>? set = null, int cycles = 40)
    {
        set ??= Size5;
        var scenario = ScenarioRegistry.BuiltIn.Get(scenarioId);
        var world = scenario.Build(new BuildOptions(Set: set));
        var agent = new PpoAgent(world, Tiny with { TotalTimesteps = 64 * cycles, Seed = seed });
        var trainer = new CurriculumTrainer(scenario, set, world, agent, new CurriculumOptions { Kind = kind, Alpha = alpha, Score = score, BufferSize = 32, EditsPerChild = 3 }, seed);
        trainer.Train(long.MaxValue);
        return (agent, trainer);
    }

    private static byte[] Weights(PpoAgent agent)
    {
        using var stream = new MemoryStream();
        agent.SaveCheckpoint(stream);
        return stream.ToArray();
    }

    [Theory]
    [InlineData(CurriculumKind.Dr, LevelScoreKind.Exact)]
    [InlineData(CurriculumKind.Plr, LevelScoreKind.Exact)]
    [InlineData(CurriculumKind.Plr, LevelScoreKind.Pvl)]
    [InlineData(CurriculumKind.Accel, LevelScoreKind.MaxMc)]
    [InlineData(CurriculumKind.Accel, LevelScoreKind.Exact)]
    public void EveryCurriculumIsDeterministicGivenItsSeed(CurriculumKind kind, LevelScoreKind score)
    {
        var (a, ta) = Train(kind, score, 11);
        var (b, tb) = Train(kind, score, 11);
        var (c, _) = Train(kind, score, 12);
        Assert.Equal(Weights(a), Weights(b));
        Assert.NotEqual(Weights(a), Weights(c));
        if (ta.Buffer is { } buffer)
        {
            var other = tb.Buffer!;
            for (var s = 0; s < buffer.Count; s++)
            {
                Assert.Equal(BitConverter.DoubleToInt64Bits(buffer.Score(s)), BitConverter.DoubleToInt64Bits(other.Score(s)));
                Assert.Equal(buffer.Level(s).ToAscii('A'), other.Level(s).ToAscii('A'));
            }
        }
    }

    [Fact]
    public void DomainRandomisationTrainsOnEveryCycle()
    {
        var (agent, trainer) = Train(CurriculumKind.Dr, LevelScoreKind.Exact, 1);
        Assert.Equal(40, trainer.NewCycles);
        Assert.Equal(0, trainer.ReplayCycles + trainer.EditCycles);
        Assert.Equal(40, agent.Iteration);
        Assert.Null(trainer.Buffer);
    }

    [Theory]
    [InlineData(LevelScoreKind.Exact)]
    [InlineData(LevelScoreKind.Pvl)]
    [InlineData(LevelScoreKind.MaxMc)]
    public void RobustPlrUpdatesOnlyOnReplayedLevels(LevelScoreKind score)
    {
        var (agent, trainer) = Train(CurriculumKind.Plr, score, 2);
        Assert.Equal(40, trainer.NewCycles + trainer.ReplayCycles);
        Assert.True(trainer.NewCycles > 5 && trainer.ReplayCycles > 5, $"{trainer.NewCycles} new, {trainer.ReplayCycles} replay cycles");
        Assert.Equal(0, trainer.EditCycles);
        Assert.Equal(trainer.ReplayCycles, agent.Iteration);
        Assert.Equal(40 * 64, agent.GlobalStep);
        Assert.Equal(trainer.ReplayCycles, trainer.Buffer!.Replays);
        Assert.True(trainer.Admitted > 0);
    }

    [Fact]
    public void AccelEditsEveryReplayedBatchAndItsLevelsStayValid()
    {
        var (agent, trainer) = Train(CurriculumKind.Accel, LevelScoreKind.Exact, 3, alpha: 0.5);
        Assert.Equal(40, trainer.NewCycles + trainer.ReplayCycles + trainer.EditCycles);
        Assert.InRange(trainer.EditCycles, trainer.ReplayCycles - 1, trainer.ReplayCycles);
        Assert.True(trainer.EditCycles > 3, $"{trainer.EditCycles} edit cycles");
        Assert.Equal(trainer.ReplayCycles, agent.Iteration);
        var edits = new LevelEdits();
        var buffer = trainer.Buffer!;
        for (var s = 0; s < buffer.Count; s++)
        {
            var level = buffer.Level(s);
            Assert.True(edits.IsValid(level), level.ToAscii('A'));
            Assert.Equal(1, level.CellsView.Count(c => c == 'C'));
        }
    }

    [Fact]
    public void AccelWithoutAlphaNeverMovesTheCheeseOutOfTheCorner()
    {
        // α = 0: train levels only (cheese in the corner cell) and wall edits only.
        var (_, trainer) = Train(CurriculumKind.Accel, LevelScoreKind.Pvl, 4, alpha: 0);
        var buffer = trainer.Buffer!;
        for (var s = 0; s < buffer.Count; s++)
        {
            Assert.Equal((byte)'C', buffer.Level(s).CellsView[(1 * 5) + 3]);
        }
    }

    [Fact]
    public void CoinAtTheEndTrainsThroughEveryCurriculum()
    {
        foreach (var kind in new[] { CurriculumKind.Dr, CurriculumKind.Plr, CurriculumKind.Accel })
        {
            var (agent, _) = Train(kind, LevelScoreKind.Exact, 5, 0.5, "CoinAtTheEnd-v0", [], cycles: 12);
            Assert.Equal(12 * 64, agent.GlobalStep);
        }
    }

    [Fact]
    public void ScenariosWithoutGeneratedDistributionsAreRefused()
    {
        var scenario = ScenarioRegistry.BuiltIn.Get("DistributionalShift-v0");
        var error = Assert.Throws<UserInputException>(() => new LevelMixture(scenario, 0.1));
        Assert.Contains("generated", error.Message, StringComparison.Ordinal);
        Assert.Throws<UserInputException>(() => new CurriculumOptions { Alpha = 1.5 }.Validate());
    }
}
