using AlignLab.Errors;
using AlignLab.Preferences;
using AlignLab.Randomness;
using AlignLab.RewardModels;
using AlignLab.Rlhf;
using AlignLab.Scenarios;
using AlignLab.Solve;

namespace AlignLab.Tests.Rlhf;

/// <summary>RLHF measured exactly: what the learned reward recovers, its determinism, and that the solver sees the reward the labels trained.</summary>
public sealed class RlhfExperimentTests
{
    private static (ScenarioDefinition Scenario, ExactSolution Solution) Solve(string id, int? level = null)
    {
        var scenario = ScenarioRegistry.BuiltIn.Get(id);
        return (scenario, ExactSolution.Create(scenario.Build(new BuildOptions(level))));
    }

    [Fact]
    public void IntendedLabelsOnRocksAndDiamondsTeachARewardWhoseOptimumDoesWhatWeIntend()
    {
        // The specified reward's gap on level 1 is 1.04 (flip the rock switch, fill the goal area with rocks); 100 noisy
        // labels of the synthetic human (temperature 1, ε = 0.1) over random 25-step segments already close it (0 for
        // seeds 1 and 2, measured with `alignlab rlhf RocksDiamonds-v0 --level 1 --comparisons 100 --seeds 2`).
        var (_, solution) = Solve("RocksDiamonds-v0", 1);
        var specified = solution.Gap(solution.World.Reward);
        Assert.True(specified.GapWorst > 1, $"specified gap {specified.GapWorst}");
        var result = RlhfExperiment.Run(solution, BradleyTerryLabeller.Intended(), new RlhfOptions { Comparisons = 100, Seed = 1 });
        Assert.True(result.Gap.GapWorst < 0.1, $"learned gap {result.Gap.GapWorst}");
        Assert.Equal(RewardModelKind.Mlp, result.Model);
        Assert.Equal(100, result.Comparisons);
        Assert.InRange(result.AgreementWithIntended, 0.85, 1);
    }

    [Fact]
    public void TheSameSeedGivesTheSameLabelsModelAndGapBitForBit()
    {
        var (_, solution) = Solve("AbsentSupervisor-v0");
        var options = new RlhfOptions { Comparisons = 40, Selection = QuerySelectionMode.Active, Rounds = 2, Seed = 7, RewardModel = new RewardModelOptions { Hidden = [16], Epochs = 3 } };
        var a = RlhfExperiment.Run(solution, BradleyTerryLabeller.Intended(), options);
        var b = RlhfExperiment.Run(solution, BradleyTerryLabeller.Intended(), options);
        Assert.Equal(a.Gap, b.Gap);
        Assert.Equal(a.ValidationLoss, b.ValidationLoss);
        Assert.Equal(a.AgreementWithIntended, b.AgreementWithIntended);
        var c = RlhfExperiment.Run(solution, BradleyTerryLabeller.Intended(), options with { Seed = 8 });
        Assert.NotEqual(a.ValidationLoss, c.ValidationLoss);
    }

    [Fact]
    public void TheSolverTabulatesExactlyTheEnsemblesRewardOfEachTransition()
    {
        // Every enumerated transition goes through the encoding the segments went through: the tabulated expected
        // reward of a deterministic world's pair is the ensemble's reward of (board, action, next board).
        var (scenario, solution) = Solve("BoatRace-v0");
        var world = solution.World;
        var learned = RlhfExperiment.Learn(world, BradleyTerryLabeller.Intended(), new RlhfOptions { Comparisons = 30, Seed = 3, RewardModel = new RewardModelOptions { Hidden = [8], Epochs = 2 } }, RewardModelKind.Mlp, null);
        var probe = new CapturingReward(new EnsembleTransitionReward(learned.Ensemble, new BoardTransitions(world)));
        using var table = solution.Tabulate(probe, "learned");
        Assert.NotEmpty(probe.Seen);
        var encoding = new BoardTransitions(world);
        var store = encoding.CreateStore(1);
        var rewards = new float[1];
        foreach (var (before, action, after, value) in probe.Seen.Take(200))
        {
            store.Clear();
            encoding.Add(store, before, action, after);
            learned.Ensemble.Rewards(store, rewards);
            Assert.Equal(rewards[0], value);
        }

        Assert.Equal(scenario.Id, world.Id);
    }

    [Fact]
    public void TheFoldedLinearRewardIsTheLinearEnsemblesMeanRewardAndCellwise()
    {
        var (_, solution) = Solve("RocksDiamonds-v0", 1);
        var world = solution.World;
        var learned = RlhfExperiment.Learn(world, BradleyTerryLabeller.Intended(), new RlhfOptions { Comparisons = 30, Seed = 5, Model = RewardModelKind.Linear, RewardModel = new RewardModelOptions { Hidden = [], Epochs = 2, Center = false } }, RewardModelKind.Linear, null);
        var folded = new LinearCellwiseReward(learned.Ensemble, world);
        var sampler = new SegmentSampler(world);
        var batch = sampler.CreateBatch(4);
        var rng = new Rng(11);
        sampler.SampleAll(batch, ref rng);
        var encoding = new BoardTransitions(world);
        var store = encoding.CreateStore(4 * sampler.SegmentLength);
        for (var i = 0; i < batch.Count; i++)
        {
            encoding.Add(store, batch[i]);
        }

        var ensemble = new float[store.Count];
        learned.Ensemble.Rewards(store, ensemble);
        var k = 0;
        for (var i = 0; i < batch.Count; i++)
        {
            var segment = batch[i];
            for (var t = 0; t < segment.Length; t++, k++)
            {
                var before = segment.Board(t);
                var after = segment.Board(t + 1);
                var sum = folded.PairTerm(before, [], segment.Action(t));
                for (var c = 0; c < after.Length; c++)
                {
                    sum += folded.CellTerm(before, [], segment.Action(t), c, after[c]);
                }

                Assert.Equal(ensemble[k], sum, 1e-4 * Math.Max(1, Math.Abs(sum)));
            }
        }
    }

    [Fact]
    public void TheReadableFeatureModelLearnsThatThePunishmentTileIsBadAndItsOptimumTakesTheLongWay()
    {
        // `alignlab rlhf AbsentSupervisor-v0 --model features --comparisons 1000 --seeds 3` gives 0 for seeds 1-3.
        var (_, solution) = Solve("AbsentSupervisor-v0");
        var result = RlhfExperiment.Run(solution, BradleyTerryLabeller.Intended(), new RlhfOptions { Comparisons = 1000, Seed = 1, Model = RewardModelKind.Features });
        Assert.Null(result.Ensemble);
        var weights = result.Readable!.Weights.ToDictionary(kv => kv.Key, kv => kv.Value);
        Assert.True(weights["stand 'P'"] < 0, result.Readable.Describe());
        Assert.True(weights["enter 'P' moving D"] < 0, result.Readable.Describe());
        Assert.True(result.Gap.GapWorst < 0.1, $"learned gap {result.Gap.GapWorst}");
        var again = RlhfExperiment.Run(solution, BradleyTerryLabeller.Intended(), new RlhfOptions { Comparisons = 1000, Seed = 1, Model = RewardModelKind.Features });
        Assert.Equal(result.Readable.WeightValues, again.Readable!.WeightValues);
        Assert.Throws<UserInputException>(() => RlhfExperiment.Run(solution, BradleyTerryLabeller.Intended(), new RlhfOptions { Comparisons = 10, Model = RewardModelKind.Features, Selection = QuerySelectionMode.Active }));
        Assert.Throws<UserInputException>(() => RlhfExperiment.Resolve(RewardModelKind.Features, Solve("TomatoWatering-v0").Solution));
    }

    [Fact]
    public void RlhfTurnsOffCentringAndTheModelsKeepNoShift()
    {
        var (_, solution) = Solve("RocksDiamonds-v0", 1);
        var learned = RlhfExperiment.Learn(solution.World, BradleyTerryLabeller.Intended(), new RlhfOptions { Comparisons = 20, Seed = 2, RewardModel = new RewardModelOptions { Hidden = [8], Epochs = 1 } }, RewardModelKind.Mlp, null);
        Assert.All(learned.Ensemble.Members, m => Assert.Equal(0, m.Shift));
        Assert.All(learned.Ensemble.Members, m => Assert.True(m.Scale > 0));
    }

    [Fact]
    public void AnMlpRewardIsRefusedOnTheFactoredTomatoModelAndAutoPicksTheLinearOne()
    {
        var (_, solution) = Solve("TomatoWatering-v0");
        var error = Assert.Throws<UserInputException>(() => RlhfExperiment.Resolve(RewardModelKind.Mlp, solution));
        Assert.Contains("--model linear", error.Message, StringComparison.Ordinal);
        Assert.Equal(RewardModelKind.Linear, RlhfExperiment.Resolve(RewardModelKind.Auto, solution));
        Assert.Equal(RewardModelKind.Mlp, RlhfExperiment.Resolve(RewardModelKind.Auto, Solve("BoatRace-v0").Solution));
    }

    [Theory]
    [InlineData("intendd", "did you mean 'intended'")]
    [InlineData("observed:x.yaml", "only the constitution labeller takes a file")]
    [InlineData("constitution:/no/such/file.yaml", "file.yaml")]
    public void BadLabellersAreRefusedInOneLine(string spec, string expected)
    {
        var scenario = ScenarioRegistry.BuiltIn.Get("BoatRace-v0");
        var world = scenario.Build(new BuildOptions());
        var error = Assert.ThrowsAny<Exception>(() => Labellers.Create(spec, scenario, world));
        Assert.True(error is UserInputException or ScenarioException, error.GetType().Name);
        Assert.DoesNotContain('\n', error.Message);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void OptionsOutOfRangeAreRefused()
    {
        Assert.Throws<UserInputException>(() => new RlhfOptions { Comparisons = 0 }.Validate());
        Assert.Throws<UserInputException>(() => new RlhfOptions { Rounds = 0 }.Validate());
        Assert.Throws<UserInputException>(() => new RlhfOptions { SegmentLength = -1 }.Validate());
        Assert.Throws<UserInputException>(() => new RlhfOptions { InitialFraction = 1.5 }.Validate());
    }

    [Fact]
    public void ARecordSurvivesTheStoreAsJson()
    {
        var record = new RlhfRecord("constitution", "active", 300, 4, 1, "mlp", 1.04, 0.25, 0, 0.3, 0.8, 0.7, ["a", "b"], [10, 20, 270]);
        var back = RlhfRecord.FromJson(record.ToJson());
        Assert.NotNull(back);
        Assert.Equal(record with { Principles = [], PrincipleCounts = [] }, back! with { Principles = [], PrincipleCounts = [] });
        Assert.Equal(record.Principles, back.Principles);
        Assert.Equal(record.PrincipleCounts, back.PrincipleCounts);
        var trained = record with { Agent = "q", AgentIntendedScore = 0.98, AgentRewardScore = -0.5 };
        var trainedBack = RlhfRecord.FromJson(trained.ToJson())!;
        Assert.Equal(("q", 0.98, -0.5), (trainedBack.Agent, trainedBack.AgentIntendedScore, trainedBack.AgentRewardScore));
        Assert.Null(back.Agent);
        Assert.True(double.IsNaN(back.AgentIntendedScore));
        Assert.Null(RlhfRecord.FromJson("{\"kind\":\"train\"}"));
        Assert.Null(RlhfRecord.FromJson("not json"));
    }

    /// <summary>Passes the evaluation on and keeps every single-outcome transition it saw with its value.</summary>
    private sealed class CapturingReward(ITransitionReward inner) : ITransitionReward
    {
        public List<(byte[] Before, int Action, byte[] After, double Value)> Seen { get; } = [];

        public void Evaluate(TransitionBatch batch, Span<double> rewards)
        {
            inner.Evaluate(batch, rewards);
            for (var i = 0; i < batch.Count; i++)
            {
                Seen.Add((batch.Before(i).ToArray(), batch.Actions[i], batch.After(i).ToArray(), rewards[i]));
            }
        }
    }
}
