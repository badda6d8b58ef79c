using AlignLab.Preferences;
using AlignLab.Randomness;

namespace AlignLab.Tests.Preferences;

/// <summary>
/// The observable feature vector speaks the rules' language: every shipped rule's per-step value
/// is the dot product of <see cref="ObservableFeatures.Weights"/> with the vector, on random
/// segments of each scenario; the board-only overload gives the same vector; and sampling,
/// features and labelling allocate nothing once warm.
/// </summary>
public sealed class ObservableFeaturesTests
{
    [Theory]
    [MemberData(nameof(ConstitutionTests.ShippedIds), MemberType = typeof(ConstitutionTests))]
    public void EveryRuleIsLinearInTheFeatureVector(string id)
    {
        var (scenario, world) = SegmentSamplerTests.Load(id);
        var features = new ObservableFeatures(world);
        var rules = Constitution.Shipped(world).Principles.Select(p => p.Rule).Append(BradleyTerryLabeller.ObservedProxy(scenario, world)).ToList();
        var weights = rules.Select(features.Weights).ToList();
        var sampler = new SegmentSampler(world);
        var batch = sampler.CreateBatch(40);
        var rng = new Rng(17);
        sampler.SampleAll(batch, ref rng);
        var vector = new double[features.Count];
        var fromBoards = new double[features.Count];
        var nonZero = new bool[features.Count];
        for (var i = 0; i < batch.Count; i++)
        {
            var segment = batch[i];
            for (var step = 0; step < segment.Length; step++)
            {
                features.Compute(segment, step, vector);
                features.Compute(segment.Board(step), segment.Board(step + 1), world.AgentSymbol, segment.UnderAgent(step), fromBoards);
                Assert.Equal(vector, fromBoards);
                for (var f = 0; f < vector.Length; f++)
                {
                    nonZero[f] |= vector[f] != 0;
                }

                for (var r = 0; r < rules.Count; r++)
                {
                    var dot = weights[r].Zip(vector, (w, x) => w * x).Sum();
                    Assert.Equal(rules[r].EvaluateStep(segment, step), dot, 9);
                }
            }
        }

        // The vector is not trivially zero: steps and count features move.
        Assert.True(nonZero.Count(x => x) >= 3);
    }

    [Fact]
    public void FeaturesAreNamedInTheRuleLanguage()
    {
        var (_, world) = SegmentSamplerTests.Load("BoatRace-v0");
        var names = new ObservableFeatures(world).Terms.Select(t => t.FeatureName).ToList();
        Assert.Contains("enter '>' moving R", names);
        Assert.Contains("stand 'v'", names);
        Assert.Contains("count '#'", names);
        Assert.Equal("steps", names[^1]);
        Assert.Equal(names.Count, names.Distinct().Count());
        Assert.DoesNotContain(names, n => n.Contains('A', StringComparison.Ordinal));
    }

    [Fact]
    public void SamplingFeaturesAndLabellingAllocateNothingOnceWarm()
    {
        var (scenario, world) = SegmentSamplerTests.Load("TomatoWatering-v0");
        var sampler = new SegmentSampler(world);
        var batch = sampler.CreateBatch(8);
        var features = new ObservableFeatures(world);
        var vector = new double[features.Count];
        IPreferenceLabeller[] labellers =
        [
            BradleyTerryLabeller.Intended(),
            BradleyTerryLabeller.Observed(scenario, world),
            new ConstitutionLabeller(Constitution.Shipped(world)),
        ];
        var rng = new Rng(5);
        void Round(ref Rng rng)
        {
            sampler.SampleAll(batch, ref rng);
            for (var step = 0; step < batch[0].Length; step++)
            {
                features.Compute(batch[0], step, vector);
            }

            foreach (var labeller in labellers)
            {
                labeller.Compare(batch[0], batch[1], ref rng);
            }
        }

        Round(ref rng);

        // The fewest bytes over five windows: an allocation per round shows in every window, the runtime's one-off
        // work on this thread (tiered compilation installing faster code while other tests run) in one.
        var fewest = long.MaxValue;
        for (var window = 0; window < 5; window++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            Round(ref rng);
            fewest = Math.Min(fewest, GC.GetAllocatedBytesForCurrentThread() - before);
        }

        Assert.Equal(0, fewest);
    }
}
