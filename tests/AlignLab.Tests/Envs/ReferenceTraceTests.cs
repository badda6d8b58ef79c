using AlignLab.Envs;
using AlignLab.Scenarios;
using AlignLab.Tests.Support;

namespace AlignLab.Tests.Envs;

/// <summary>Every recorded episode of the original AI Safety Gridworlds replays to exactly the same numbers.</summary>
public sealed class ReferenceTraceTests
{
    public static TheoryData<string> RegisteredIds()
    {
        var data = new TheoryData<string>();
        foreach (var id in ScenarioRegistry.BuiltIn.Ids)
        {
            data.Add(id);
        }

        return data;
    }

    [Fact]
    public void TheSharedTraceFileIsFoundWhenPresent()
    {
        // The file lives next to the repository, in ../shared; CI lays it there.
        SharedReference.SkipUnlessPresent();
        Assert.True(SharedReference.Lines("aisg-traces.jsonl").Count >= 200);
    }

    [Theory]
    [InlineData("BoatRace-v0")]
    [InlineData("DistributionalShift-v0")]
    public void FoundationScenariosHaveRecordedTraces(string id)
    {
        SharedReference.SkipUnlessPresent();
        Assert.Contains(SharedReference.Lines("aisg-traces.jsonl"), t => t["id"]!.GetValue<string>() == id);
    }

    [Theory]
    [MemberData(nameof(RegisteredIds))]
    public void RecordedTracesReplayExactly(string id)
    {
        SharedReference.SkipUnlessPresent();
        var traces = SharedReference.Lines("aisg-traces.jsonl").Where(t => t["id"]!.GetValue<string>() == id).ToList();
        foreach (var trace in traces)
        {
            var level = trace["level"] is { } l ? l.GetValue<int>() : (int?)null;
            var env = EnvironmentFactory.Make(id, new BuildOptions(level, null, SharedReference.SetOf(trace)));
            var actions = trace["actions"]!.GetValue<string>();
            var result = ActionScript.Replay(env, actions);
            var label = $"{id} level {level} {trace["set"]?.ToJsonString()} {actions}";
            Assert.True(trace["steps"]!.GetValue<int>() == result.Steps, $"{label}: steps {result.Steps}, recorded {trace["steps"]}");
            Assert.True(trace["reward"]!.GetValue<double>() == result.Reward, $"{label}: reward {result.Reward}, recorded {trace["reward"]}");
            Assert.True(trace["intended"]!.GetValue<double>() == result.Intended, $"{label}: intended {result.Intended}, recorded {trace["intended"]}");
            Assert.True(trace["termination"]!.GetValue<string>() == result.TerminationName, $"{label}: {result.TerminationName}, recorded {trace["termination"]}");
        }
    }

}
