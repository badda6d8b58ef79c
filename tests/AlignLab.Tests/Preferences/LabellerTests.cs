using AlignLab.Preferences;
using AlignLab.Randomness;

namespace AlignLab.Tests.Preferences;

/// <summary>
/// The three labellers: deterministic given their seed; ε and temperature behave as the
/// Bradley–Terry model says; the observed labeller is fooled by TomatoWatering's transformer.
/// </summary>
public sealed class LabellerTests
{
    private static SegmentBatch RandomSegments(string id, int count, ulong seed)
    {
        var (_, world) = SegmentSamplerTests.Load(id);
        var sampler = new SegmentSampler(world);
        var batch = sampler.CreateBatch(count);
        var rng = new Rng(seed);
        sampler.SampleAll(batch, ref rng);
        return batch;
    }

    private static int[] Labels(IPreferenceLabeller labeller, SegmentBatch batch, ulong seed)
    {
        var rng = new Rng(seed);
        var labels = new int[batch.Count / 2];
        for (var i = 0; i < labels.Length; i++)
        {
            var label = labeller.Compare(batch[2 * i], batch[(2 * i) + 1], ref rng);
            labels[i] = (label.Preferred * 1000) + label.Principle + 1;
        }

        return labels;
    }

    private static IEnumerable<IPreferenceLabeller> AllLabellers()
    {
        var (scenario, world) = SegmentSamplerTests.Load("TomatoWatering-v0");
        yield return BradleyTerryLabeller.Intended();
        yield return BradleyTerryLabeller.Observed(scenario, world, new BradleyTerryOptions(Temperature: 0.05));
        yield return new ConstitutionLabeller(Constitution.Shipped(world));
    }

    [Fact]
    public void EveryLabellerIsDeterministicGivenItsSeed()
    {
        var batch = RandomSegments("TomatoWatering-v0", 400, 2);
        foreach (var labeller in AllLabellers())
        {
            var first = Labels(labeller, batch, 99);
            Assert.Equal(first, Labels(labeller, batch, 99));
            if (labeller is BradleyTerryLabeller)
            {
                Assert.NotEqual(first, Labels(labeller, batch, 100));
            }
        }
    }

    [Fact]
    public void EpsilonOneAnswersFiftyFifty()
    {
        var batch = RandomSegments("BoatRace-v0", 2, 4);
        var labeller = BradleyTerryLabeller.Intended(new BradleyTerryOptions(Temperature: 0, Epsilon: 1));
        var rng = new Rng(5);
        const int n = 4000;
        var first = 0;
        for (var i = 0; i < n; i++)
        {
            var label = labeller.Compare(batch[0], batch[1], ref rng);
            Assert.Equal(0.5, label.ProbabilityFirst);
            first += label.Preferred == 0 ? 1 : 0;
        }

        // Binomial(4000, ½): standard deviation ≈ 31.6; 5 of them is a bound a fair coin breaks once in 3.5 million.
        Assert.InRange(first, (n / 2) - 158, (n / 2) + 158);
    }

    [Fact]
    public void TemperatureZeroWithoutNoiseAlwaysPrefersTheHigherIntendedReturn()
    {
        var batch = RandomSegments("TomatoWatering-v0", 600, 6);
        var labeller = BradleyTerryLabeller.Intended(BradleyTerryOptions.Noiseless);
        var rng = new Rng(7);
        var decided = 0;
        for (var i = 0; i < batch.Count; i += 2)
        {
            var r1 = batch[i].Hidden.IntendedReturn;
            var r2 = batch[i + 1].Hidden.IntendedReturn;
            var label = labeller.Compare(batch[i], batch[i + 1], ref rng);
            if (r1 != r2)
            {
                decided++;
                Assert.Equal(r1 > r2 ? 0 : 1, label.Preferred);
            }
        }

        Assert.True(decided > 200, $"only {decided} pairs differed in intended return");
    }

    [Theory]
    [InlineData(2.0, 1.0, 0.1)]
    [InlineData(-3.0, 0.5, 0.0)]
    [InlineData(0.7, 4.0, 0.3)]
    public void TheProbabilityIsBradleyTerryMixedWithUniformNoise(double difference, double temperature, double epsilon)
    {
        var labeller = BradleyTerryLabeller.Intended(new BradleyTerryOptions(temperature, epsilon));
        var expected = ((1 - epsilon) / (1 + Math.Exp(-difference / temperature))) + (epsilon / 2);
        Assert.Equal(expected, labeller.ProbabilityFirst(10 + difference, 10), 12);
        Assert.Equal(1 - expected, labeller.ProbabilityFirst(10, 10 + difference), 12);
    }

    [Fact]
    public void AHotterLabellerIsLessSure()
    {
        var cold = BradleyTerryLabeller.Intended(new BradleyTerryOptions(0.1, 0));
        var warm = BradleyTerryLabeller.Intended(new BradleyTerryOptions(1, 0));
        var hot = BradleyTerryLabeller.Intended(new BradleyTerryOptions(100, 0));
        Assert.True(cold.ProbabilityFirst(1, 0) > warm.ProbabilityFirst(1, 0));
        Assert.True(warm.ProbabilityFirst(1, 0) > hot.ProbabilityFirst(1, 0));
        Assert.InRange(hot.ProbabilityFirst(1, 0), 0.5, 0.51);
        Assert.Equal(1.0, cold.ProbabilityFirst(1000, 0)); // stable at large differences
        Assert.Equal(0.0, cold.ProbabilityFirst(0, 1000));
    }

    [Theory]
    [InlineData(-0.1, 0.1)]
    [InlineData(1, 1.5)]
    [InlineData(double.NaN, 0.1)]
    [InlineData(1, -0.01)]
    public void BadNoiseSettingsAreRefused(double temperature, double epsilon) =>
        Assert.Throws<Errors.UserInputException>(() => BradleyTerryLabeller.Intended(new BradleyTerryOptions(temperature, epsilon)));

    /// <summary>Walk to the transformer and stay on it.</summary>
    internal const string OnTransformer = "RRRRUUUUUUUUUUUUUUUUUUUUU";

    /// <summary>Walk over both rows of tomatoes.</summary>
    internal const string Watering = "URRRLLLLLDDDRRRRRRLLLLLLL";

    [Fact]
    public void TheObservedLabellerPrefersTheTransformerToWateringAndTheIntendedOneDoesNot()
    {
        var (scenario, world) = SegmentSamplerTests.Load("TomatoWatering-v0");
        var sampler = new SegmentSampler(world);
        var batch = sampler.CreateBatch(2);
        sampler.Record(batch, 0, OnTransformer, envSeed: 21);
        sampler.Record(batch, 1, Watering, envSeed: 21);
        var observed = BradleyTerryLabeller.Observed(scenario, world, BradleyTerryOptions.Noiseless);
        var intended = BradleyTerryLabeller.Intended(BradleyTerryOptions.Noiseless);
        var rng = new Rng(1);

        Assert.True(observed.Return(batch[0]) > observed.Return(batch[1]));
        Assert.Equal(0, observed.Compare(batch[0], batch[1], ref rng).Preferred);
        Assert.Equal(1, observed.Compare(batch[1], batch[0], ref rng).Preferred);

        Assert.True(batch[0].Hidden.IntendedReturn < batch[1].Hidden.IntendedReturn);
        Assert.Equal(1, intended.Compare(batch[0], batch[1], ref rng).Preferred);

        // The observer is fooled exactly as the reward sensor is: its proxy is the visible reward,
        // except that it cannot see the tomato the agent stands on, which the sensor counts.
        Assert.Equal(batch[0].Hidden.RewardReturn, observed.Return(batch[0]), 9);
        var onTomato = Enumerable.Range(1, batch[1].Length).Count(t => batch[1].UnderAgent(t) is 'T' or 't');
        Assert.True(onTomato > 10);
        Assert.Equal(batch[1].Hidden.RewardReturn, observed.Return(batch[1]) + (0.02 * onTomato), 9);
    }

    [Fact]
    public void TheTomatoConstitutionIsNotFooled()
    {
        var (_, world) = SegmentSamplerTests.Load("TomatoWatering-v0");
        var sampler = new SegmentSampler(world);
        var batch = sampler.CreateBatch(2);
        sampler.Record(batch, 0, OnTransformer, envSeed: 21);
        sampler.Record(batch, 1, Watering, envSeed: 21);
        var labeller = new ConstitutionLabeller(Constitution.Shipped(world));
        var rng = new Rng(1);
        var label = labeller.Compare(batch[0], batch[1], ref rng);
        Assert.Equal(1, label.Preferred);
        Assert.Equal(0.0, label.ProbabilityFirst);
        Assert.Equal(2, label.Principle); // "never stand on the transformer" outweighs the tomatoes that look watered
        Assert.True(labeller.LastContributions[0] > 0); // which alone would have preferred the transformer
        Assert.True(labeller.LastContributions[2] < -labeller.LastContributions[0]);
    }
}
