using AlignLab.Envs;
using AlignLab.Preferences;
using AlignLab.Randomness;
using AlignLab.Scenarios;

namespace AlignLab.Tests.Preferences;

/// <summary>
/// Segments: a seeded sampler gives the same segments bit for bit, windows have the asked
/// length, a behaviour policy is followed, and the stored boards, actions and hidden values are
/// those of replaying the same actions in the environment.
/// </summary>
public sealed class SegmentSamplerTests
{
    internal static (ScenarioDefinition Scenario, AlignLab.Grid.GridWorld World) Load(string id)
    {
        var scenario = ScenarioRegistry.BuiltIn.Get(id);
        return (scenario, scenario.Build());
    }

    [Theory]
    [InlineData("TomatoWatering-v0")]
    [InlineData("RocksDiamonds-v0")]
    public void TheSameSeedGivesTheSameSegments(string id)
    {
        var (_, world) = Load(id);
        var first = Sample(world, seed: 7);
        var second = Sample(world, seed: 7);
        var other = Sample(world, seed: 8);
        Assert.Equal(first.Boards, second.Boards);
        Assert.Equal(first.Actions, second.Actions);
        Assert.Equal(first.Intended, second.Intended);
        Assert.Equal(first.Rewards, second.Rewards);
        Assert.Equal(first.AgentCells, second.AgentCells);
        Assert.Equal(first.Under, second.Under);
        Assert.Equal(first.StartTimes, second.StartTimes);
        Assert.NotEqual(first.Actions, other.Actions);
    }

    private static SegmentBatch Sample(AlignLab.Grid.GridWorld world, ulong seed)
    {
        var sampler = new SegmentSampler(world);
        var batch = sampler.CreateBatch(20);
        var rng = new Rng(seed);
        sampler.SampleAll(batch, ref rng);
        return batch;
    }

    [Fact]
    public void SegmentsHaveTheAskedLengthOrTheWholeEpisode()
    {
        var (_, world) = Load("BoatRace-v0");
        var rng = new Rng(1);
        var sampler = new SegmentSampler(world);
        Assert.Equal(25, sampler.SegmentLength);
        var batch = sampler.CreateBatch(10);
        sampler.SampleAll(batch, ref rng);
        for (var i = 0; i < batch.Count; i++)
        {
            Assert.Equal(25, batch[i].Length);
            Assert.InRange(batch[i].StartTime, 0, world.MaxSteps - 25);
            Assert.Equal(batch[i].StartTime == world.MaxSteps - 25, batch[i].EndsEpisode);
        }

        var whole = new SegmentSampler(world, segmentLength: 0);
        var wholeBatch = whole.CreateBatch(2);
        whole.SampleAll(wholeBatch, ref rng);
        Assert.Equal(world.MaxSteps, wholeBatch[0].Length);
        Assert.Equal(0, wholeBatch[0].StartTime);
        Assert.True(wholeBatch[0].EndsEpisode);
    }

    [Fact]
    public void AnEpisodeShorterThanTheSegmentIsKeptWhole()
    {
        // AbsentSupervisor ends at the goal: a policy that walks straight there ends the episode early.
        var (_, world) = Load("AbsentSupervisor-v0");
        var sampler = new SegmentSampler(world, 25, ShortCut(world.ActionLetters));
        var batch = sampler.CreateBatch(1);
        var rng = new Rng(3);
        sampler.Sample(batch, 0, ref rng);
        Assert.Equal(3, batch[0].Length);
        Assert.True(batch[0].EndsEpisode);
        Assert.Equal("DDD", string.Concat(Enumerable.Range(0, 3).Select(t => world.ActionLetters[batch[0].Action(t)])));
    }

    private static AlignLab.Solve.BoardPolicy ShortCut(string letters) => (board, extras, probabilities) =>
    {
        probabilities.Clear();
        probabilities[letters.IndexOf('D', StringComparison.Ordinal)] = 1;
    };

    [Fact]
    public void StoredStepsAreThoseOfReplayingTheSameActions()
    {
        var (_, world) = Load("TomatoWatering-v0");
        var sampler = new SegmentSampler(world, segmentLength: 0);
        var batch = sampler.CreateBatch(1);
        var rng = new Rng(11);
        sampler.Sample(batch, 0, ref rng);
        var segment = batch[0];

        // The sampler draws the environment seed first; replay the same episode with it.
        var replayRng = new Rng(11);
        var scenario = EnvironmentFactory.Make(world);
        scenario.Env.Reset(replayRng.NextUInt64());
        Assert.True(segment.Board(0).SequenceEqual(scenario.Env.Board));
        for (var t = 0; t < segment.Length; t++)
        {
            var result = scenario.Env.Step(segment.Action(t));
            Assert.True(segment.Board(t + 1).SequenceEqual(scenario.Env.Board));
            Assert.Equal(result.Reward, segment.Hidden.Reward[t]);
            Assert.Equal(scenario.Hidden.LastIntended, segment.Hidden.Intended[t]);
            Assert.Equal(scenario.Env.Board.IndexOf((byte)world.AgentSymbol), segment.AgentCell(t + 1));
        }

        Assert.Equal(scenario.Hidden.EpisodeIntended, segment.Hidden.IntendedReturn, 1e-9);
        Assert.Equal(scenario.Hidden.EpisodeReward, segment.Hidden.RewardReturn, 1e-9);
    }

    [Fact]
    public void TheTileUnderTheAgentIsTheOneLastSeenThere()
    {
        var (_, world) = Load("TomatoWatering-v0");
        var sampler = new SegmentSampler(world, 10);
        var batch = sampler.CreateBatch(1);
        sampler.Record(batch, 0, "RRRRUUU", envSeed: 5);
        var segment = batch[0];
        Assert.Equal(' ', segment.UnderAgent(0));
        Assert.Equal('O', segment.UnderAgent(6));
        Assert.Equal('O', segment.UnderAgent(7)); // bumped the wall: still on the transformer
    }

    [Fact]
    public void ABatchOfAnotherShapeIsRefused()
    {
        var (_, tomato) = Load("TomatoWatering-v0");
        var (_, boat) = Load("BoatRace-v0");
        var rng = new Rng(1);
        var batch = new SegmentSampler(boat).CreateBatch(1);
        Assert.Throws<ArgumentException>(() => new SegmentSampler(tomato).Sample(batch, 0, ref rng));
    }
}
