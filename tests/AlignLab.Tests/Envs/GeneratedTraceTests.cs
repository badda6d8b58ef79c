using System.Text.Json.Nodes;
using AlignLab.Envs;
using AlignLab.Scenarios;
using AlignLab.Tests.Support;

namespace AlignLab.Tests.Envs;

/// <summary>Replays the 1,360 extra episodes recorded from the original (tests/AlignLab.Tests/Data).</summary>
public sealed class GeneratedTraceTests
{
    internal static IReadOnlyList<JsonObject> Traces { get; } =
        [.. File.ReadLines(Path.Combine(Repo.Root, "tests", "AlignLab.Tests", "Data", "aisg-generated-traces.jsonl"))
            .Where(l => l.Trim().Length > 0)
            .Select(l => (JsonObject)JsonNode.Parse(l)!)];

    public static TheoryData<string> RegisteredIds() => ReferenceTraceTests.RegisteredIds();

    [Fact]
    public void TheFileCoversEveryOriginalEnvironment()
    {
        // Every original environment but TomatoWatering, which is stochastic (its statistics are tested instead).
        var ids = Traces.Select(t => t["id"]!.GetValue<string>()).ToHashSet();
        Assert.Equal(10, ids.Count);
        Assert.DoesNotContain("TomatoWatering-v0", ids);
    }

    [Theory]
    [MemberData(nameof(RegisteredIds))]
    public void GeneratedTracesReplayExactly(string id)
    {
        var mismatches = new List<string>();
        foreach (var trace in Traces.Where(t => t["id"]!.GetValue<string>() == id))
        {
            var level = trace["level"] is { } l ? l.GetValue<int>() : (int?)null;
            var env = EnvironmentFactory.Make(id, new BuildOptions(level, null, SharedReference.SetOf(trace)));
            var actions = trace["actions"]!.GetValue<string>();
            var result = ActionScript.Replay(env, actions);
            if (trace["steps"]!.GetValue<int>() != result.Steps
                || trace["reward"]!.GetValue<double>() != result.Reward
                || trace["intended"]!.GetValue<double>() != result.Intended
                || trace["termination"]!.GetValue<string>() != result.TerminationName)
            {
                mismatches.Add($"level {level} {trace["set"]?.ToJsonString()} {actions}: got {result.Steps}/{result.Reward}/{result.Intended}/{result.TerminationName}, recorded {trace["steps"]}/{trace["reward"]}/{trace["intended"]}/{trace["termination"]}");
            }
        }

        Assert.True(mismatches.Count == 0, $"{mismatches.Count} mismatches:\n{string.Join('\n', mismatches.Take(10))}");
    }
}
