using AlignLab.Curricula;
using AlignLab.Grid;
using AlignLab.Randomness;
using CsCheck;

namespace AlignLab.Tests.Curricula;

/// <summary>The PLR⊥ level buffer: rank + staleness replay probabilities, replay sampling and the challenge of new levels.</summary>
public sealed class LevelBufferTests
{
    private static GridLevel[] Levels(int count) =>
        [.. Enumerable.Range(0, count).Select(_ => new GridLevel(3, 3, [.. "#### ####"u8], 4))];

    private static LevelBuffer WithScores(double temperature, double staleness, params double[] scores)
    {
        var buffer = new LevelBuffer(Levels(scores.Length), temperature, staleness);
        for (var i = 0; i < scores.Length; i++)
        {
            buffer.SetScore(i, scores[i]);
        }

        return buffer;
    }

    [Fact]
    public void FreshBufferProbabilitiesAreRankPlusUniformStaleness()
    {
        // Scores 0.5, 2, 1: ranks 3, 1, 2. β = 1: h = 1/3, 1, 1/2, total 11/6, so P_S = 2/11, 6/11, 3/11.
        // No replay yet, every slot equally fresh: P_C uniform, 1/3. ρ = 0.25.
        var buffer = WithScores(1.0, 0.25, 0.5, 2.0, 1.0);
        var p = buffer.Probabilities();
        Assert.Equal((0.75 * 2 / 11) + (0.25 / 3), p[0], 1e-12);
        Assert.Equal((0.75 * 6 / 11) + (0.25 / 3), p[1], 1e-12);
        Assert.Equal((0.75 * 3 / 11) + (0.25 / 3), p[2], 1e-12);
    }

    [Fact]
    public void ProbabilitiesAfterReplaysMixTemperedRanksAndStaleness()
    {
        // The paper's setting, β = 0.1 and ρ = 0.1, on four slots.
        var buffer = WithScores(0.1, 0.1, 3.0, 1.0, 4.0, 2.0);

        // Replay 1 visits slots 2 and 0 (slot 0 re-scored 0.5); replay 2 visits slot 2 (score 4 again).
        buffer.UpdateReplayed([2, 0], [4.0, 0.5]);
        buffer.UpdateReplayed([2], [4.0]);
        Assert.Equal(2, buffer.Replays);

        // Scores 0.5, 1, 4, 2: ranks 4, 3, 1, 2; h = (1/rank)^10.
        double[] h = [Math.Pow(0.25, 10), Math.Pow(1.0 / 3, 10), 1, Math.Pow(0.5, 10)];
        var total = h.Sum();

        // Last visits 1, 0, 2, 0 at c = 2: staleness 1, 2, 0, 2 of 5.
        double[] stale = [1.0 / 5, 2.0 / 5, 0, 2.0 / 5];
        var p = buffer.Probabilities();
        for (var i = 0; i < 4; i++)
        {
            Assert.Equal((0.9 * h[i] / total) + (0.1 * stale[i]), p[i], 1e-12);
        }
    }

    [Fact]
    public void EqualScoresAreRankedBySlot()
    {
        // Three equal scores: ranks 1, 2, 3 in slot order. β = 1, ρ = 0.
        var p = WithScores(1.0, 0.0, 1.0, 1.0, 1.0).Probabilities();
        Assert.Equal(6.0 / 11, p[0], 1e-12);
        Assert.Equal(3.0 / 11, p[1], 1e-12);
        Assert.Equal(2.0 / 11, p[2], 1e-12);
    }

    [Fact]
    public void ProbabilitiesAreADistributionForAnyScoresAndVisits()
    {
        Gen.Select(Gen.Double[-5, 5].Array[1, 12], Gen.Double[0.05, 2], Gen.Double[0, 1], Gen.Int[0, 6]).Sample((scores, temperature, staleness, replays) =>
        {
            var buffer = WithScores(temperature, staleness, scores);
            for (var r = 0; r < replays; r++)
            {
                buffer.UpdateReplayed([r % scores.Length], [scores[(r * 7) % scores.Length]]);
            }

            var p = buffer.Probabilities();
            Assert.All(p, x => Assert.True(x >= 0));
            Assert.Equal(1.0, p.Sum(), 1e-9);
        });
    }

    [Fact]
    public void ReplaySamplesDistinctSlotsWithTheBufferFrequencies()
    {
        var buffer = WithScores(1.0, 0.25, 0.5, 2.0, 1.0);
        var p = buffer.Probabilities();
        var rng = new Rng(7);
        var counts = new int[3];
        const int draws = 20_000;
        for (var k = 0; k < draws; k++)
        {
            counts[buffer.SampleReplay(1, ref rng)[0]]++;
        }

        for (var i = 0; i < 3; i++)
        {
            // Four standard errors of a binomial proportion.
            Assert.Equal(p[i], (double)counts[i] / draws, 4 * Math.Sqrt(p[i] * (1 - p[i]) / draws));
        }

        var all = buffer.SampleReplay(3, ref rng);
        Assert.Equal([0, 1, 2], all.Order());
    }

    [Fact]
    public void ChallengersReplaceTheLowestPotentialSlotsOnlyWhenTheyScoreHigher()
    {
        // β = 1, ρ = 0: the lowest-probability slots are the lowest-scored, slots 3 (0.5) and 2 (1).
        var buffer = WithScores(1.0, 0.0, 10.0, 8.0, 1.0, 0.5);
        var strong = new GridLevel(3, 3, [.. "####C####"u8], 4);
        var weak = new GridLevel(3, 3, [.. "####D####"u8], 4);
        var entered = buffer.Challenge([strong, weak], [5.0, 0.2]);
        Assert.Equal(1, entered);
        var scores = Enumerable.Range(0, 4).Select(buffer.Score).Order().ToArray();
        Assert.Equal([1.0, 5.0, 8.0, 10.0], scores);
        Assert.Contains(Enumerable.Range(0, 4), s => ReferenceEquals(buffer.Level(s), strong));
        Assert.DoesNotContain(Enumerable.Range(0, 4), s => ReferenceEquals(buffer.Level(s), weak));
    }
}
