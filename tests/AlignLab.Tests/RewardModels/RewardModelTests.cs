using AlignLab.Errors;
using AlignLab.Randomness;
using AlignLab.RewardModels;
using CsCheck;

namespace AlignLab.Tests.RewardModels;

/// <summary>Reward models learned from preferences: recovery of a planted reward, determinism, ensembles, queries.</summary>
public sealed class RewardModelTests
{
    private static readonly RewardModelOptions Small = new()
    {
        Hidden = [32, 32],
        LearningRate = 3e-3,
        Epochs = 8,
        BatchSize = 32,
        EnsembleSize = 3,
        ValidationFraction = 0.2,
        Seed = 7,
    };

    private static float[] Weights(RewardModel m) => [.. m.Network.Parameters.SelectMany(p => p.Value.Values.ToArray())];

    private static double Cosine(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double dot = 0, na = 0, nb = 0;
        for (var i = 0; i < a.Length; i++)
        {
            dot += (double)a[i] * b[i];
            na += (double)a[i] * a[i];
            nb += (double)b[i] * b[i];
        }

        return dot / Math.Sqrt(na * nb);
    }

    [Fact]
    public void LinearModelRecoversThePlantedWeightsUpToScale()
    {
        // Features φ = o (the observation itself), planted reward w·o: the weights are identifiable up to scale.
        var data = new PlantedPreferences(observationSize: 8, actionCount: 2, segments: 200, segmentLength: 4, comparisons: 600, seed: 11);
        var names = Enumerable.Range(0, 8).Select(i => $"f{i}").ToArray();
        var map = new FeatureMap(names, (o, a, next, phi) => o.CopyTo(phi));

        // Relabel by w·o only (drop the next-observation and action terms).
        var comparisons = data.Comparisons.Select(c => c with { Label = Return(c.A) > Return(c.B) ? 1f : 0f }).ToArray();
        double Return(Segment s)
        {
            double r = 0;
            for (var t = s.Start; t < s.Start + s.Length; t++)
            {
                var o = data.Store.Observation(t);
                for (var i = 0; i < o.Length; i++)
                {
                    r += data.W[i] * o[i];
                }
            }

            return r;
        }

        var model = LinearRewardModel.Train(data.Store, map, comparisons, Small with { Epochs = 20, LearningRate = 1e-2, WeightDecay = 0 });
        Assert.True(Cosine(model.WeightValues.ToArray(), data.W) > 0.95, $"cosine {Cosine(model.WeightValues.ToArray(), data.W)}");
        Assert.Equal(names, model.Weights.Select(kv => kv.Key));
        var text = model.Describe();
        var top = Array.IndexOf(data.W, data.W.MaxBy(Math.Abs));
        Assert.StartsWith($"f{top} ", text, StringComparison.Ordinal);
        Assert.Equal(8, text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.True(model.Model.Report.ValidationAccuracy > 0.9, $"validation accuracy {model.Model.Report.ValidationAccuracy}");
    }

    [Fact]
    public void MlpPredictsHeldOutPreferencesOfAPlantedReward()
    {
        // Comparisons use the first 240 segments; the test pairs come from the other 60, never trained on.
        var data = new PlantedPreferences(observationSize: 6, actionCount: 3, segments: 300, segmentLength: 5, comparisons: 800, seed: 5, trainSegments: 240);
        var model = RewardModel.Train(data.Store, data.Comparisons, Small with { Epochs = 15 });
        var rewards = new float[data.Store.Count];
        model.Rewards(data.Store, rewards);
        var rng = new Rng(99);
        var correct = 0;
        const int Pairs = 400;
        for (var i = 0; i < Pairs; i++)
        {
            var p = data.RandomPair(ref rng, data.TrainSegments, data.Segments.Length);
            double ra = rewards.AsSpan(p.A.Start, p.A.Length).ToArray().Sum(), rb = rewards.AsSpan(p.B.Start, p.B.Length).ToArray().Sum();
            correct += (ra > rb) == (data.TrueReturn(p.A) > data.TrueReturn(p.B)) ? 1 : 0;
        }

        Assert.True(correct > 0.9 * Pairs, $"held-out accuracy {correct}/{Pairs}");
        Assert.True(model.Report.ValidationAccuracy > 0.9, $"validation accuracy {model.Report.ValidationAccuracy}");
        Assert.True(model.Report.ValidationLoss < Math.Log(2), $"validation loss {model.Report.ValidationLoss}");
        Assert.Equal(160, model.Report.ValidationComparisons);
    }

    [Fact]
    public void NormalisedRewardHasZeroMeanAndUnitDeviationOverTheTrainingTransitions()
    {
        var data = new PlantedPreferences(observationSize: 4, actionCount: 2, segments: 60, segmentLength: 3, comparisons: 40, seed: 3);
        var model = RewardModel.Train(data.Store, data.Comparisons, Small with { ValidationFraction = 0, Epochs = 3 });
        var covered = new bool[data.Store.Count];
        foreach (var c in data.Comparisons)
        {
            covered.AsSpan(c.A.Start, c.A.Length).Fill(true);
            covered.AsSpan(c.B.Start, c.B.Length).Fill(true);
        }

        var rewards = new float[data.Store.Count];
        model.Rewards(data.Store, rewards);
        var used = rewards.Where((_, i) => covered[i]).Select(r => (double)r).ToArray();
        var mean = used.Average();
        Assert.Equal(0, mean, 1e-4);
        Assert.Equal(1, Math.Sqrt(used.Select(r => (r - mean) * (r - mean)).Average()), 1e-4);
        Assert.True(used.Length < data.Store.Count, "some transitions are outside every comparison");

        // The single-transition path agrees with the batch path and with the raw output.
        var t = Array.IndexOf(covered, true);
        var s = data.Store;
        Assert.Equal(rewards[t], model.Reward(s.Observation(t), s.Action(t), s.NextObservation(t)), 1e-5f);
        Assert.Equal((model.RawReward(s.Observation(t), s.Action(t), s.NextObservation(t)) - model.Shift) / model.Scale, rewards[t], 1e-5);
        Assert.True(double.IsNaN(model.Report.ValidationLoss));
    }

    [Fact]
    public void SameSeedGivesTheSameWeightsBitForBit()
    {
        var data = new PlantedPreferences(observationSize: 5, actionCount: 3, segments: 40, segmentLength: 4, comparisons: 60, seed: 2);
        var options = Small with { Epochs = 2, EnsembleSize = 2 };
        var a = RewardEnsemble.Train(data.Store, data.Comparisons, options);
        var b = RewardEnsemble.Train(data.Store, data.Comparisons, options);
        var c = RewardEnsemble.Train(data.Store, data.Comparisons, options with { Seed = 8 });
        for (var k = 0; k < 2; k++)
        {
            Assert.Equal(Weights(a.Members[k]), Weights(b.Members[k]));
            Assert.Equal(a.Members[k].Shift, b.Members[k].Shift);
            Assert.Equal(a.Members[k].Report, b.Members[k].Report);
            Assert.NotEqual(Weights(a.Members[k]), Weights(c.Members[k]));
        }

        Assert.Equal(a.Validation, b.Validation);
    }

    [Fact]
    public void BootstrapMembersDifferAndTheEnsembleRewardIsTheirMean()
    {
        var data = new PlantedPreferences(observationSize: 5, actionCount: 3, segments: 40, segmentLength: 4, comparisons: 80, seed: 4);
        var ensemble = RewardEnsemble.Train(data.Store, data.Comparisons, Small with { Epochs = 3 });
        Assert.Equal(3, ensemble.Members.Count);
        Assert.Equal(16, ensemble.Validation.Count);
        var s = data.Store;
        var memberRewards = ensemble.Members.Select(m => m.Reward(s.Observation(0), s.Action(0), s.NextObservation(0))).ToArray();
        Assert.Equal(memberRewards.Average(), ensemble.Reward(s.Observation(0), s.Action(0), s.NextObservation(0)), 1e-5);
        Assert.Equal(3, memberRewards.Distinct().Count());

        // Resampled members saw different comparisons: their training losses differ even from one another's data.
        Assert.Equal(3, ensemble.Members.Select(m => m.Report.TrainingLoss).Distinct().Count());
        Assert.All(ensemble.Members, m => Assert.Equal(64, m.Report.TrainingComparisons));
        for (var i = 0; i < 3; i++)
        {
            for (var j = i + 1; j < 3; j++)
            {
                Assert.NotEqual(Weights(ensemble.Members[i]), Weights(ensemble.Members[j]));
            }
        }

        var all = new float[s.Count];
        ensemble.Rewards(s, all);
        Assert.Equal(memberRewards.Average(), all[0], 1e-5);
    }

    [Fact]
    public void BootstrapChangesTheTrainingSetNotOnlyTheInitialisation()
    {
        // Same seed with and without resampling: every member's training differs, because its comparisons do.
        var data = new PlantedPreferences(observationSize: 5, actionCount: 3, segments: 40, segmentLength: 4, comparisons: 80, seed: 4);
        var with = RewardEnsemble.Train(data.Store, data.Comparisons, Small with { Epochs = 1, EnsembleSize = 2 });
        var without = RewardEnsemble.Train(data.Store, data.Comparisons, Small with { Epochs = 1, EnsembleSize = 2, Bootstrap = false });
        for (var k = 0; k < 2; k++)
        {
            Assert.NotEqual(Weights(with.Members[k]), Weights(without.Members[k]));
        }
    }

    [Fact]
    public void DisagreementIsTheStandardDeviationOfMemberProbabilities()
    {
        var data = new PlantedPreferences(observationSize: 5, actionCount: 3, segments: 40, segmentLength: 4, comparisons: 80, seed: 6);
        var ensemble = RewardEnsemble.Train(data.Store, data.Comparisons, Small with { Epochs = 2 });
        var pair = new SegmentPair(data.Segments[0], data.Segments[1]);
        var p = ensemble.Members.Select(m => m.PreferenceProbability(data.Store, pair)).ToArray();
        var mean = p.Average();
        Assert.Equal(Math.Sqrt(p.Select(x => (x - mean) * (x - mean)).Average()), ensemble.Disagreement(data.Store, pair), 1e-6);
        Assert.True(ensemble.Disagreement(data.Store, pair) > 0);
        Assert.Equal(0, ensemble.Disagreement(data.Store, new SegmentPair(data.Segments[3], data.Segments[3])), 1e-12);
    }

    [Fact]
    public void ActiveSelectionPicksTheHighestDisagreementPairs()
    {
        var data = new PlantedPreferences(observationSize: 5, actionCount: 3, segments: 40, segmentLength: 4, comparisons: 30, seed: 9);
        var ensemble = RewardEnsemble.Train(data.Store, data.Comparisons, Small with { Epochs = 1 });
        var rng = new Rng(1);
        const int Count = 6;
        var pool = Enumerable.Range(0, Count * QuerySelection.DefaultOversampling).Select(_ => data.RandomPair(ref rng, 0, 40)).ToArray();
        var d = new double[pool.Length];
        ensemble.Disagreements(data.Store, pool, d);
        var chosen = QuerySelection.Select(pool, Count, QuerySelectionMode.Active, ensemble, data.Store, ref rng);
        Assert.Equal(Count, chosen.Distinct().Count());
        var rest = Enumerable.Range(0, pool.Length).Except(chosen);
        Assert.True(chosen.Min(i => d[i]) >= rest.Max(i => d[i]));
        Assert.Equal(chosen.OrderByDescending(i => d[i]), chosen.Select(i => i));
        Assert.True(chosen.Average(i => d[i]) > d.Average());
    }

    [Fact]
    public void RandomSelectionIsASeededSampleWithoutReplacement()
    {
        var data = new PlantedPreferences(observationSize: 2, actionCount: 2, segments: 20, segmentLength: 2, comparisons: 1, seed: 1);
        var pool = Enumerable.Range(0, 19).Select(i => new SegmentPair(data.Segments[i], data.Segments[i + 1])).ToArray();
        var r1 = new Rng(5);
        var r2 = new Rng(5);
        var a = QuerySelection.Select(pool, 10, QuerySelectionMode.Random, null, data.Store, ref r1);
        var b = QuerySelection.Select(pool, 10, QuerySelectionMode.Random, null, data.Store, ref r2);
        Assert.Equal(a, b);
        Assert.Equal(10, a.Distinct().Count());
        Assert.All(a, i => Assert.InRange(i, 0, 18));
        Assert.Throws<UserInputException>(() => QuerySelection.Select(pool, 20, QuerySelectionMode.Random, null, data.Store, ref r1));
        Assert.Throws<UserInputException>(() => QuerySelection.Select(pool, 2, QuerySelectionMode.Active, null, data.Store, ref r1));
    }

    [Fact]
    public void ScheduleFrontLoadsTenPercentAndSpreadsTheRestHyperbolically()
    {
        var s = QuerySelection.Schedule(1000, 5);
        Assert.Equal(6, s.Length);
        Assert.Equal(100, s[0]);
        Assert.Equal(1000, s.Sum());

        // Shares of 900 in proportion to 1/(1 + t), t = 0, 1/4, 1/2, 3/4, 1.
        double[] w = [1, 1 / 1.25, 1 / 1.5, 1 / 1.75, 0.5];
        for (var i = 0; i < 5; i++)
        {
            Assert.InRange(s[i + 1] - (900 * w[i] / w.Sum()), -1, 1);
        }

        Assert.Equal([100, 254, 204, 170, 145, 127], s);
    }

    [Fact]
    public void ScheduleAlwaysSumsToTheTotalAndDecreases() =>
        Gen.Select(Gen.Int[0, 100_000], Gen.Int[1, 200]).Sample((total, iterations) =>
        {
            var s = QuerySelection.Schedule(total, iterations);
            Assert.Equal(total, s.Sum());
            Assert.Equal(total / 10, s[0]);
            for (var i = 2; i < s.Length; i++)
            {
                Assert.True(s[i] <= s[i - 1] + 1, $"iteration {i - 1}: {s[i]} after {s[i - 1]}");
            }
        });

    [Fact]
    public void BadInputIsAUserError()
    {
        var data = new PlantedPreferences(observationSize: 2, actionCount: 2, segments: 4, segmentLength: 2, comparisons: 2, seed: 1);
        var s = data.Store;
        Assert.Throws<UserInputException>(() => RewardModel.Train(s, [new Comparison(new Segment(6, 3), data.Segments[0], 1f)], Small));
        Assert.Throws<UserInputException>(() => RewardModel.Train(s, [new Comparison(data.Segments[1], data.Segments[0], 1.5f)], Small));
        Assert.Throws<UserInputException>(() => RewardModel.Train(s, [new Comparison(data.Segments[1], data.Segments[0], float.NaN)], Small));
        Assert.Throws<UserInputException>(() => RewardModel.Train(s, [], Small));
        Assert.Throws<UserInputException>(() => RewardModel.Train(s, data.Comparisons, Small with { BatchSize = 0 }));
        Assert.Throws<UserInputException>(() => RewardModel.Train(s, data.Comparisons, Small with { ValidationFraction = 1 }));
        Assert.Throws<UserInputException>(() => new TransitionStore(2, 2, 4).Add([1f, 2f], 5, [1f, 2f]));
        Assert.Throws<UserInputException>(() => new TransitionStore(2, 2, 4).Add([1f], 0, [1f, 2f]));
        Assert.Throws<UserInputException>(() => new FeatureMap(["x", "x"], (o, a, n, f) => f.Clear()));
        var model = RewardModel.Train(s, data.Comparisons, Small with { Epochs = 1 });
        Assert.Throws<UserInputException>(() => model.Reward([1f], 0, [1f]));
    }

    [Fact]
    public void ATrainingStepAllocatesNothingAfterWarmUp()
    {
        var data = new PlantedPreferences(observationSize: 6, actionCount: 3, segments: 40, segmentLength: 5, comparisons: 64, seed: 12);
        var encoder = new ConcatEncoder(6, 3);
        var table = new FeatureTable(data.Store, encoder);
        var net = AlignLab.Nn.Nets.Mlp(encoder.Width, [32, 32], 1, AlignLab.Nn.Activation.Relu, new Random(1));
        var trainer = new PreferenceTrainer(net, table, data.Comparisons, batchSize: 16, learningRate: 1e-3, weightDecay: 0.01);
        var batch = Enumerable.Range(0, 16).ToArray();
        var small = Enumerable.Range(16, 7).ToArray();
        for (var i = 0; i < 3; i++)
        {
            trainer.Step(batch);
            trainer.Step(small);
        }

        // The fewest bytes over five windows of two steps each: an allocation per step shows in every window, while
        // the runtime's one-off work on this thread (tiered compilation installing faster code while other tests
        // run) shows in one.
        var fewest = long.MaxValue;
        for (var window = 0; window < 5; window++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < 2; i++)
            {
                trainer.Step(batch);
                trainer.Step(small);
            }

            fewest = Math.Min(fewest, GC.GetAllocatedBytesForCurrentThread() - before);
        }

        Assert.Equal(0, fewest);
        Assert.Equal(26, trainer.Steps);
    }

    [Fact]
    public void AStepInSeveralPassesHasTheGradientOfTheWholeMinibatch()
    {
        // 40 comparisons of 2 × 5 transitions = 400 rows: two passes (25 + 15 comparisons) of at most 256 rows.
        var data = new PlantedPreferences(observationSize: 6, actionCount: 3, segments: 40, segmentLength: 5, comparisons: 40, seed: 13);
        var encoder = new ConcatEncoder(6, 3);
        var table = new FeatureTable(data.Store, encoder);
        var net = AlignLab.Nn.Nets.Mlp(encoder.Width, [16], 1, AlignLab.Nn.Activation.Tanh, new Random(3));
        var reference = AlignLab.Nn.Nets.Mlp(encoder.Width, [16], 1, AlignLab.Nn.Activation.Tanh, new Random(3));
        var trainer = new PreferenceTrainer(net, table, data.Comparisons, batchSize: 40, learningRate: 1e-3, weightDecay: 0);
        var batch = Enumerable.Range(0, 40).ToArray();

        // The reference: one pass over all 400 rows, the comparisons' segments in order.
        var x = new AlignLab.Nn.Tensor(400, encoder.Width);
        var startsA = new int[40];
        var startsB = new int[40];
        var lengths = Enumerable.Repeat(5, 40).ToArray();
        for (var i = 0; i < 40; i++)
        {
            var c = data.Comparisons[i];
            startsA[i] = i * 10;
            startsB[i] = (i * 10) + 5;
            table.Rows.AsSpan(c.A.Start * encoder.Width, 5 * encoder.Width).CopyTo(x.Span[(startsA[i] * encoder.Width)..]);
            table.Rows.AsSpan(c.B.Start * encoder.Width, 5 * encoder.Width).CopyTo(x.Span[(startsB[i] * encoder.Width)..]);
        }

        var g = new AlignLab.Nn.Graph();
        var r = reference.Forward(g, g.Input(x));
        var loss = g.BradleyTerryLoss(g.SegmentSum(r, startsA, lengths), g.SegmentSum(r, startsB, lengths), data.Comparisons.Select(c => c.Label).ToArray());
        g.Backward(loss);

        var stepLoss = trainer.Step(batch);
        Assert.Equal(loss.Value[0], stepLoss, 1e-5f);
        for (var p = 0; p < net.Parameters.Count; p++)
        {
            var expected = reference.Parameters[p].Grad.Values;
            var actual = net.Parameters[p].Grad.Values;
            for (var j = 0; j < expected.Length; j++)
            {
                Assert.Equal(expected[j], actual[j], 1e-5f + (1e-4f * Math.Abs(expected[j])));
            }
        }
    }
}
