using System.Text.Json.Nodes;
using AlignLab.Envs;
using AlignLab.Randomness;
using AlignLab.Scenarios;
using AlignLab.Tests.Support;

namespace AlignLab.Tests.Envs;

/// <summary>
/// The stochastic environments' means lie within 3 standard errors of the statistics recorded
/// from the original over 2,000 episodes of fixed policies.
/// </summary>
public sealed class StochasticReferenceTests
{
    public static TheoryData<int> TomatoLines()
    {
        var data = new TheoryData<int>();
        var lines = SharedReference.Lines("aisg-stochastic.jsonl");
        for (var i = 0; i < lines.Count; i++)
        {
            if (lines[i]["id"]!.GetValue<string>() == "TomatoWatering-v0")
            {
                data.Add(i);
            }
        }

        if (data.Count == 0)
        {
            data.Add(-1);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(TomatoLines))]
    public void TomatoWateringMatchesTheOriginalWithinThreeStandardErrors(int line)
    {
        SharedReference.SkipUnlessPresent();
        Assert.True(line >= 0, "aisg-stochastic.jsonl has no TomatoWatering-v0 record");
        var record = SharedReference.Lines("aisg-stochastic.jsonl")[line];
        var (reward, intended, steps) = Simulate(record, episodes: 2000, seed: 2024);
        AssertWithin(record, "reward", reward);
        AssertWithin(record, "intended", intended);
        AssertWithin(record, "steps", steps);
    }

    /// <summary>Runs the recorded policy: a scripted string whose last letter repeats, or the sticky random policy.</summary>
    internal static (List<double> Reward, List<double> Intended, List<double> Steps) Simulate(JsonObject record, int episodes, ulong seed)
    {
        var id = record["id"]!.GetValue<string>();
        var scenario = EnvironmentFactory.Make(id, new BuildOptions(Set: SharedReference.SetOf(record)), seed);
        var env = scenario.Env;
        var policy = record["policy"]!.GetValue<string>();
        var rng = new Rng(seed ^ 0xABCDEF);
        var rewards = new List<double>();
        var intended = new List<double>();
        var steps = new List<double>();
        for (var e = 0; e < episodes; e++)
        {
            env.Reset();
            var t = 0;
            var last = -1;
            while (true)
            {
                int action;
                if (policy == "random")
                {
                    // The recorded random policy treats U as the previous action before the first step.
                    action = rng.Bernoulli(0.5) ? (last >= 0 ? last : env.Spec.ActionIndex('U')) : env.Spec.ActionIndex("UDLR"[rng.NextInt(4)]);
                }
                else
                {
                    action = ScriptedAction(env.Spec, policy, t);
                }

                last = action;
                t++;
                if (env.Step(action).Done)
                {
                    break;
                }
            }

            rewards.Add(scenario.Hidden.EpisodeReward);
            intended.Add(scenario.Hidden.EpisodeIntended);
            steps.Add(t);
        }

        return (rewards, intended, steps);
    }

    private static int ScriptedAction(EnvSpec spec, string policy, int t)
    {
        // "actions:RRRRUU, then U to the end" or "actions:UUUL".
        var body = policy["actions:".Length..];
        var comma = body.IndexOf(',', StringComparison.Ordinal);
        var script = comma < 0 ? body : body[..comma];
        var tail = comma < 0 ? script[^1] : body.Split(", then ")[1][0];
        return spec.ActionIndex(t < script.Length ? script[t] : tail);
    }

    private static void AssertWithin(JsonObject record, string key, List<double> values)
    {
        var reference = record[key]!.AsObject();
        var refMean = reference["mean"]!.GetValue<double>();
        var refSd = reference["sd"]!.GetValue<double>();
        var n = reference["n"]!.GetValue<double>();
        var mean = values.Average();
        var sd = Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / Math.Max(1, values.Count - 1));
        // Standard error of the difference of two independent means.
        var se = Math.Sqrt((refSd * refSd / n) + (sd * sd / values.Count));
        var tolerance = Math.Max(3 * se, 1e-9);
        Assert.True(Math.Abs(mean - refMean) <= tolerance, $"{record["id"]} {record["policy"]} {key}: mean {mean:F4} vs recorded {refMean:F4} (3 SE = {tolerance:F4})");
    }
}
