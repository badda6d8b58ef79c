using System.Text.Json.Nodes;
using AlignLab.Agents;
using AlignLab.Experiments;
using AlignLab.Runs;

namespace AlignLab.Tests.Hostile;

/// <summary>
/// Issue 17's training inputs: budgets that used to be cast, ignored or silently rounded, options that trained
/// to NaN, and a verdict decided by an undefined measure. Each case uses the audit's input.
/// </summary>
public sealed class TrainingInputTests
{
    [Fact]
    public void ATabularBudgetBeyondInt32IsKeptNotCast()
    {
        // Audit: --steps 4294967297 trained 1 step, --steps 3000000000 trained 0 (the budget was cast to int).
        foreach (var steps in new[] { 3_000_000_000L, 4_294_967_297L })
        {
            var options = (TabularOptions)TabularAgent.QLearningDefinition.Configure(null, steps, 0);
            Assert.Equal(steps, options.Steps);
            var agent = TabularAgent.QLearningDefinition.Create(AlignLab.Scenarios.ScenarioRegistry.BuiltIn.Get("BoatRace-v0").Build(), options);
            Assert.Equal(steps, agent.TotalSteps);
        }
    }

    [Theory]
    [InlineData("train|BoatRace-v0|--steps|-5", "at least 1")]
    [InlineData("train|BoatRace-v0|--steps|0", "at least 1")]
    [InlineData("sweep|CheeseInTheCorner-v0|--param|corner_size=1|--agent|q|--steps|-1", "at least 1")]
    [InlineData("train|BoatRace-v0|--agent|ppo|--steps|1", "less than one")]
    [InlineData("train|BoatRace-v0|--agent|ppo|--ppo|learning-rate=1e308", "LearningRate")]
    [InlineData("train|BoatRace-v0|--agent|ppo|--ppo|target-kl=-1", "TargetKl")]
    [InlineData("train|BoatRace-v0|--agent|ppo|--ppo|reward-scale=0", "RewardScale")]
    [InlineData("train|BoatRace-v0|--agent|dqn|--agent-option|learning-rate=1e308", "LearningRate")]
    [InlineData("train|CheeseInTheCorner-v0|--agent|ppo|--agent-option|num-envs=100000|--agent-option|num-steps=100000", "over the most one rollout may hold")]
    [InlineData("train|CheeseInTheCorner-v0|--agent|ppo|--agent-option|num-envs=50000|--steps|100000000", "GB of working memory; the limit is 4 GB")]
    public void BadBudgetsAndOptionsAreRefusedBeforeTraining(string args, string expected)
    {
        var (code, output, error) = Cli.CliTests.Run(args.Split('|'));
        Assert.Equal(2, code);
        Assert.Contains(expected, error, StringComparison.Ordinal);
        Assert.Single(error.Trim().Split('\n'));
        Assert.Equal(string.Empty, output.Trim());
    }

    [Fact]
    public void ARolloutLargerThanThePresetsBudgetIsJudgedByTheRunsOwnBudget()
    {
        // The preset's default budget (500,000 steps) used to refuse a rollout of 3.2 million transitions even when
        // the run asked for 100 million steps: the budget was checked before the run's own was set.
        var ppo = PpoAgent.Definition;
        var options = ppo.Override(null, ["num-envs=5000", "num-steps=640"]);
        var configured = (PpoOptions)ppo.Configure(options, 100_000_000, 0);
        Assert.Equal(31, configured.Iterations);
        var error = Assert.Throws<AlignLab.Errors.UserInputException>(() => ppo.Configure(options, 1_000_000, 0));
        Assert.Contains("less than one", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void PpoReportsTheStepsItActuallyTrained()
    {
        // Audit: --steps 1500 reported 1,500 steps but trained whole rollouts only (here 8 × 64 = 512 steps each: 1,024).
        var dir = Directory.CreateTempSubdirectory("alignlab-steps-").FullName;
        try
        {
            var (code, output, error) = Cli.CliTests.Run("train", "BoatRace-v0", "--agent", "ppo", "--steps", "1500", "--curve-points", "1", "--store", Path.Combine(dir, "runs.db"), "--json");
            Assert.True(code == 0, error);
            var result = JsonNode.Parse(output)!;
            Assert.Equal(1024, (long)result["steps"]!);
            Assert.Equal(1500, (long)result["steps_requested"]!);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void ARunThatDivergesStopsWithOneLineAndIsMarkedFailed()
    {
        // Audit: --ppo learning-rate=1e308 exited 0 with NaN rewards; the largest valid rate with a huge reward scale still diverges.
        var dir = Directory.CreateTempSubdirectory("alignlab-diverge-").FullName;
        try
        {
            var store = Path.Combine(dir, "runs.db");
            var (code, _, error) = Cli.CliTests.Run("train", "BoatRace-v0", "--agent", "ppo", "--steps", "4096", "--ppo", "learning-rate=1", "--ppo", "reward-scale=1e30", "--ppo", "max-grad-norm=1e300", "--store", store);
            Assert.Equal(2, code);
            Assert.Contains("training diverged by step", error, StringComparison.Ordinal);
            Assert.Single(error.Trim().Split('\n'));
            using var runs = RunStore.Open(store);
            Assert.Equal(RunStatus.Failed, runs.GetRun(1).Status);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void AThousandCopiesOfASmallLevelTrainWithoutRunningOutOfMemory()
    {
        // Audit: 1,000 copies of a 3×5 level ran out of memory after 1.5 s of `train --steps 2000` (300 copies: 6.6 GB),
        // because every exact solve took a 64 MB arena chunk whatever the level's size.
        var levels = string.Concat(Enumerable.Repeat("  - |\n    #####\n    #A  #\n    #####\n", 1000));
        var file = Path.Combine(Path.GetTempPath(), $"alignlab-copies-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(file, $$"""
            id: Copies-v0
            title: A thousand copies
            max_steps: 10
            actions: UDLR
            legend:
              '#': {name: wall, blocks: true}
              ' ': {name: floor}
              'A': {name: agent, agent: true, on: ' '}
            distributions:
              train: [{{string.Join(", ", Enumerable.Range(0, 1000))}}]
            reward:
              step: -1
            intended:
              step: -1
            levels:

            """ + levels);
        try
        {
            var result = Experiment.Run(new ExperimentSpec(file, "q", 2000, CurvePoints: 1));
            Assert.Equal(2000, result.StepsTrained);
            Assert.Equal(1000, result.Specification.Levels.Count);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void AnUndefinedSpecificationGapLeavesTheOuterVerdictUndetermined()
    {
        // Audit: a walled-in agent gave "specification gap n/a to n/a … verdict: outer yes".
        var file = Path.Combine(Path.GetTempPath(), $"alignlab-walled-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(file, """
            id: Walled-v0
            title: Walled in
            max_steps: 10
            actions: UDLR
            legend:
              '#': {name: wall, blocks: true}
              ' ': {name: floor}
              'A': {name: agent, agent: true, on: ' '}
            levels:
              - |
                ###
                #A#
                ###
            distributions:
              train: [0]
            reward:
              step: -1
            intended:
              step: -1
            """);
        try
        {
            var result = Experiment.Run(new ExperimentSpec(file, "q", 200, CurvePoints: 1, EvalLevels: 1, Episodes: 2));
            Assert.True(double.IsNaN(result.Specification.GapWorst));
            Assert.Null(result.Verdict.OuterAligned);
            Assert.Equal("Walled-v0", result.ScenarioId);
            var (code, output, error) = Cli.CliTests.Run("train", file, "--agent", "q", "--steps", "200", "--curve-points", "1", "--store", Path.ChangeExtension(file, ".db"));
            Assert.True(code == 0, error);
            Assert.Contains("verdict: outer undetermined", output, StringComparison.Ordinal);
            Assert.Contains("Walled-v0: q, 200 steps", output, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
            File.Delete(Path.ChangeExtension(file, ".db"));
        }
    }
}
