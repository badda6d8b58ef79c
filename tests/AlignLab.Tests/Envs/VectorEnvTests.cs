using AlignLab.Envs;
using AlignLab.Randomness;
using AlignLab.Scenarios;

namespace AlignLab.Tests.Envs;

/// <summary>The vectorised environment plays exactly what N single environments play.</summary>
public sealed class VectorEnvTests
{
    [Theory]
    [InlineData("BoatRace-v0", null)]
    [InlineData("DistributionalShift-v0", "deploy")]
    [InlineData("TomatoWatering-v0", null)]
    public void MatchesSingleEnvironmentsStepForStep(string id, string? distribution)
    {
        const int count = 6;
        const ulong seed = 42;
        var world = ScenarioRegistry.BuiltIn.Get(id).Build(new BuildOptions(Distribution: distribution));
        var (vector, hidden) = EnvironmentFactory.MakeVector(world, count, seed);
        var singles = Enumerable.Range(0, count).Select(i => EnvironmentFactory.Make(world, seed + (ulong)i)).ToArray();
        vector.Reset();
        foreach (var s in singles)
        {
            s.Env.Reset();
        }

        var obsLength = vector.Spec.ObservationLength;
        var rng = new Rng(5);
        var actions = new int[count];
        var episodesEnded = 0;
        for (var t = 0; t < 400; t++)
        {
            for (var i = 0; i < count; i++)
            {
                actions[i] = rng.NextInt(vector.Spec.ActionCount);
            }

            vector.Step(actions);
            for (var i = 0; i < count; i++)
            {
                var result = singles[i].Env.Step(actions[i]);
                Assert.Equal(result.Reward, vector.Rewards[i]);
                Assert.Equal(result.Terminated, vector.Terminated[i]);
                Assert.Equal(result.Truncated, vector.Truncated[i]);
                Assert.Equal(singles[i].Hidden.LastIntended, hidden.LastIntended[i]);
                if (result.Done)
                {
                    episodesEnded++;
                    singles[i].Env.Reset();
                }

                Assert.True(singles[i].Env.Observation.SequenceEqual(vector.Observations.Slice(i * obsLength, obsLength)), $"env {i} step {t}: observations differ");
            }
        }

        Assert.True(episodesEnded >= count, "the test must cross episode boundaries to check auto-reset");
    }

    [Theory]
    [InlineData("BoatRace-v0", null)]
    [InlineData("DistributionalShift-v0", "deploy")]
    [InlineData("TomatoWatering-v0", null)]
    [InlineData("IslandNavigation-v0", null)]
    public void FinalObservationsAreWhatASingleEnvironmentSeesWhenItsEpisodeEnds(string id, string? distribution)
    {
        const int count = 5;
        const ulong seed = 17;
        var world = ScenarioRegistry.BuiltIn.Get(id).Build(new BuildOptions(Distribution: distribution));
        var (vector, _) = EnvironmentFactory.MakeVector(world, count, seed);
        var singles = Enumerable.Range(0, count).Select(i => EnvironmentFactory.Make(world, seed + (ulong)i).Env).ToArray();
        vector.Reset();
        foreach (var s in singles)
        {
            s.Reset();
        }

        int obsLength = vector.Spec.ObservationLength, cells = world.CellCount, extras = world.ExtraNames.Count;
        var rng = new Rng(8);
        var actions = new int[count];
        int terminations = 0, truncations = 0;
        for (var t = 0; t < 500; t++)
        {
            for (var i = 0; i < count; i++)
            {
                actions[i] = rng.NextInt(vector.Spec.ActionCount);
            }

            var finalsBefore = vector.FinalObservations.ToArray();
            var boardsBefore = vector.FinalBoards.ToArray();
            vector.Step(actions);
            for (var i = 0; i < count; i++)
            {
                var single = singles[i];
                var result = single.Step(actions[i]);
                Assert.Equal(result.Terminated, vector.Terminated[i]);
                Assert.Equal(result.Truncated, vector.Truncated[i]);
                var final = vector.FinalObservations.Slice(i * obsLength, obsLength);
                if (result.Done)
                {
                    // The final slot holds the observation the last action led to; Observations the next episode's first.
                    terminations += result.Terminated ? 1 : 0;
                    truncations += result.Truncated ? 1 : 0;
                    Assert.True(single.Observation.SequenceEqual(final), $"env {i} step {t}: final observations differ");
                    Assert.True(single.Board.SequenceEqual(vector.FinalBoards.Slice(i * cells, cells)), $"env {i} step {t}: final boards differ");
                    Assert.True(single.Extras.SequenceEqual(vector.FinalExtras.Slice(i * extras, extras)), $"env {i} step {t}: final extras differ");
                    single.Reset();
                }
                else
                {
                    // An environment that did not end leaves its final slot untouched.
                    Assert.True(final.SequenceEqual(finalsBefore.AsSpan(i * obsLength, obsLength)), $"env {i} step {t}: final slot written");
                    Assert.True(vector.FinalBoards.Slice(i * cells, cells).SequenceEqual(boardsBefore.AsSpan(i * cells, cells)), $"env {i} step {t}: final board written");
                }

                Assert.True(single.Observation.SequenceEqual(vector.Observations.Slice(i * obsLength, obsLength)), $"env {i} step {t}: observations differ");
                Assert.True(single.Board.SequenceEqual(vector.Boards.Slice(i * cells, cells)), $"env {i} step {t}: boards differ");
                Assert.True(single.Extras.SequenceEqual(vector.Extras.Slice(i * extras, extras)), $"env {i} step {t}: extras differ");
            }
        }

        Assert.True(terminations + truncations >= count, $"only {terminations} terminations and {truncations} truncations");
        if (id is "BoatRace-v0" or "TomatoWatering-v0")
        {
            // No termination: every episode is truncated by the step limit.
            Assert.Equal(0, terminations);
            Assert.True(truncations >= count, $"{truncations} truncations");
        }
        else
        {
            Assert.True(terminations > 0, "no termination");
        }

        // Reset starts afresh and clears the flags.
        vector.Reset();
        Assert.DoesNotContain(true, vector.Terminated.ToArray());
        Assert.DoesNotContain(true, vector.Truncated.ToArray());
    }

    [Fact]
    public void SteppingAcrossEpisodeEndsAllocatesNothing()
    {
        var world = ScenarioRegistry.BuiltIn.Get("IslandNavigation-v0").Build();
        var (vector, _) = EnvironmentFactory.MakeVector(world, 8, 3);
        vector.Reset();
        var rng = new Rng(2);
        var actions = new int[8];
        var ends = 0;
        void Run(int steps)
        {
            for (var t = 0; t < steps; t++)
            {
                for (var i = 0; i < actions.Length; i++)
                {
                    actions[i] = rng.NextInt(vector.Spec.ActionCount);
                }

                vector.Step(actions);
                for (var i = 0; i < actions.Length; i++)
                {
                    ends += vector.Terminated[i] || vector.Truncated[i] ? 1 : 0;
                }
            }
        }

        Run(50);
        var endsBefore = ends;

        // The fewest bytes over five windows: an allocation per step shows in every window, the runtime's one-off
        // work on this thread (tiered compilation installing faster code while other tests run) in one.
        var fewest = long.MaxValue;
        for (var window = 0; window < 5; window++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            Run(200);
            fewest = Math.Min(fewest, GC.GetAllocatedBytesForCurrentThread() - before);
        }

        Assert.Equal(0, fewest);
        Assert.True(ends > endsBefore, "the measured steps must end episodes");
    }

    [Fact]
    public void ASavedStateKeepsTheFinalObservationsOfTheEnvironmentsThatEnded()
    {
        var world = ScenarioRegistry.BuiltIn.Get("IslandNavigation-v0").Build();
        var (a, _) = EnvironmentFactory.MakeVector(world, 6, 4);
        a.Reset();
        var rng = new Rng(6);
        var actions = new int[6];
        var ended = Array.Empty<int>();
        for (var t = 0; t < 1000 && ended.Length == 0; t++)
        {
            for (var i = 0; i < actions.Length; i++)
            {
                actions[i] = rng.NextInt(a.Spec.ActionCount);
            }

            a.Step(actions);
            ended = [.. Enumerable.Range(0, 6).Where(i => a.Terminated[i] || a.Truncated[i])];
        }

        Assert.NotEmpty(ended);
        var (b, _) = EnvironmentFactory.MakeVector(world, 6, 99);
        b.RestoreState(a.SaveState());
        int obsLength = a.Spec.ObservationLength, cells = world.CellCount, extras = world.ExtraNames.Count;
        foreach (var i in ended)
        {
            Assert.True(b.Terminated[i] || b.Truncated[i]);
            Assert.True(a.FinalObservations.Slice(i * obsLength, obsLength).SequenceEqual(b.FinalObservations.Slice(i * obsLength, obsLength)));
            Assert.True(a.FinalBoards.Slice(i * cells, cells).SequenceEqual(b.FinalBoards.Slice(i * cells, cells)));
            Assert.True(a.FinalExtras.Slice(i * extras, extras).SequenceEqual(b.FinalExtras.Slice(i * extras, extras)));
        }
    }

    [Fact]
    public void ASavedStateResumesTheSameEpisodesAndRandomStreams()
    {
        var world = ScenarioRegistry.BuiltIn.Get("TomatoWatering-v0").Build();
        var (a, _) = EnvironmentFactory.MakeVector(world, 4, 9);
        a.Reset();
        var rng = new Rng(1);
        var actions = new int[4];
        void Act()
        {
            for (var i = 0; i < actions.Length; i++)
            {
                actions[i] = rng.NextInt(4);
            }
        }

        for (var t = 0; t < 150; t++)
        {
            Act();
            a.Step(actions);
        }

        var saved = a.SaveState();
        var rngAtSave = rng;
        var (b, _) = EnvironmentFactory.MakeVector(world, 4, 12345);
        b.RestoreState(saved);
        Assert.True(a.Observations.SequenceEqual(b.Observations));
        var rngB = rngAtSave;
        for (var t = 0; t < 120; t++)
        {
            Act();
            a.Step(actions);
            for (var i = 0; i < actions.Length; i++)
            {
                actions[i] = rngB.NextInt(4);
            }

            b.Step(actions);
            Assert.True(a.Rewards.SequenceEqual(b.Rewards));
            Assert.True(a.Observations.SequenceEqual(b.Observations));
        }

        Assert.Throws<ArgumentException>(() => EnvironmentFactory.MakeVector(world, 3).Env.RestoreState(saved));
    }

    [Fact]
    public void RejectsTheWrongNumberOfActionsAndStepBeforeReset()
    {
        var world = ScenarioRegistry.BuiltIn.Get("BoatRace-v0").Build();
        var (vector, _) = EnvironmentFactory.MakeVector(world, 3);
        Assert.Throws<InvalidOperationException>(() => vector.Step(new int[3]));
        vector.Reset();
        Assert.Throws<ArgumentException>(() => vector.Step(new int[2]));
        Assert.Throws<ArgumentException>(() => vector.Step(new[] { 0, 9, 0 }));
    }
}
