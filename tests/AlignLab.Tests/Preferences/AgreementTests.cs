using System.Globalization;
using AlignLab.Preferences;
using AlignLab.Randomness;

namespace AlignLab.Tests.Preferences;

/// <summary>
/// The measurement of issue 13 item 1: on 1,000 pairs of uniform-random 25-step segments per
/// scenario, how often the constitution and observed labellers (noiseless) agree with the
/// noiseless intended labeller. The figures are written to the test output; the assertions pin
/// what the design promises: the intended labeller agrees with itself, the observed labeller on
/// BoatRace and AbsentSupervisor sees everything the intended objective counts, and on
/// TomatoWatering it is fooled.
/// </summary>
public sealed class AgreementTests(ITestOutputHelper output)
{
    private const int Pairs = 1000;

    public static TheoryData<string> Scenarios() => ConstitutionTests.ShippedIds();

    [Theory]
    [MemberData(nameof(Scenarios))]
    public void AgreementWithTheNoiselessIntendedLabeller(string id)
    {
        var (scenario, world) = SegmentSamplerTests.Load(id);
        var sampler = new SegmentSampler(world);
        var batch = sampler.CreateBatch(2 * Pairs);
        var rng = new Rng(2026);
        sampler.SampleAll(batch, ref rng);

        var intended = LabellerAgreement.Measure(BradleyTerryLabeller.Intended(BradleyTerryOptions.Noiseless), batch, ref rng);
        var observed = LabellerAgreement.Measure(BradleyTerryLabeller.Observed(scenario, world, BradleyTerryOptions.Noiseless), batch, ref rng);
        var constitution = LabellerAgreement.Measure(new ConstitutionLabeller(Constitution.Shipped(world)), batch, ref rng);
        var noisy = LabellerAgreement.Measure(BradleyTerryLabeller.Intended(), batch, ref rng);
        output.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"{id}: decisive pairs {intended.Decisive}/{Pairs}; agreement: constitution {constitution.Agreement:F3}, observed {observed.Agreement:F3}, intended T=1 ε=0.1 {noisy.Agreement:F3}"));

        Assert.Equal(1.0, intended.Agreement);
        Assert.True(intended.Decisive > Pairs / 20, $"only {intended.Decisive} decisive pairs");
        Assert.InRange(constitution.Agreement, 0, 1);
        Assert.InRange(observed.Agreement, 0, 1);
        Assert.InRange(noisy.Agreement, 0.45, 1);
        switch (id)
        {
            case "BoatRace-v0":
            case "AbsentSupervisor-v0":
                // The board shows everything these intended objectives count.
                Assert.True(observed.Agreement > 0.99, $"observed agreement {observed.Agreement}");
                break;
            case "TomatoWatering-v0":
                // Where one segment reaches the transformer and the other does not, the observer is
                // fooled; the constitution, which names the transformer, is not.
                var (fooled, judged) = TransformerPairs(batch, BradleyTerryLabeller.Observed(scenario, world, BradleyTerryOptions.Noiseless), new ConstitutionLabeller(Constitution.Shipped(world)));
                output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  pairs with one segment on the transformer: observed agreement {fooled:F3}, constitution {judged:F3}"));
                Assert.True(fooled < 0.5, $"observed agreement {fooled} on transformer pairs");
                Assert.True(judged > 0.5, $"constitution agreement {judged} on transformer pairs");
                break;
        }
    }

    /// <summary>Agreement of two labellers with the intended winner on the pairs where exactly one segment stands on the transformer.</summary>
    private (double Observed, double Constitution) TransformerPairs(SegmentBatch batch, IPreferenceLabeller observed, IPreferenceLabeller constitution)
    {
        var rng = new Rng(1);
        var on = 0;
        var agreeObserved = 0.0;
        var agreeConstitution = 0.0;
        for (var i = 0; i < batch.Count; i += 2)
        {
            var (first, second) = (batch[i], batch[i + 1]);
            var r1 = first.Hidden.IntendedReturn;
            var r2 = second.Hidden.IntendedReturn;
            if (OnTransformer(first) == OnTransformer(second) || r1 == r2)
            {
                continue;
            }

            on++;
            var o = observed.Compare(first, second, ref rng).ProbabilityFirst;
            var c = constitution.Compare(first, second, ref rng).ProbabilityFirst;
            agreeObserved += r1 > r2 ? o : 1 - o;
            agreeConstitution += r1 > r2 ? c : 1 - c;
        }

        output.WriteLine($"  {on} such pairs");
        Assert.True(on >= 10, $"only {on} pairs with one segment on the transformer");
        return (agreeObserved / on, agreeConstitution / on);
    }

    private static bool OnTransformer(in Segment segment)
    {
        for (var t = 1; t <= segment.Length; t++)
        {
            if (segment.UnderAgent(t) == 'O')
            {
                return true;
            }
        }

        return false;
    }
}
