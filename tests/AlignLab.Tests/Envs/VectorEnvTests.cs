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
