using AlignLab.Experiments;
using AlignLab.Runs;

namespace AlignLab.Cluster.Tests;

/// <summary>The small sweeps the cluster tests run, and what a run leaves in a store, to compare stores.</summary>
internal static class Sweeps
{
    /// <summary>
    /// Six tabular Q-learning runs on small maps: two scenarios, three seeds; many curve points, so every run writes
    /// a checkpoint often and a worker can be killed between two of them.
    /// </summary>
    public static List<ExperimentSpec> Six(long steps = 3_000) =>
    [
        .. from scenario in new[] { "CheeseInTheCorner-v0", "BoatRace-v0" }
           from seed in new ulong[] { 0, 1, 2 }
           select new ExperimentSpec(scenario, "q", steps, seed, scenario.StartsWith("Cheese", StringComparison.Ordinal) ? new Dictionary<string, string> { ["size"] = "5" } : null, CurvePoints: 12, EvalLevels: 4, Episodes: 10),
    ];

    /// <summary>Runs <paramref name="specs"/> one after another in an SQLite store, as <c>sweep</c> does on one machine; the run ids and results in order.</summary>
    public static List<(long RunId, ExperimentResult Result)> RunLocally(string store, IEnumerable<ExperimentSpec> specs)
    {
        using var runs = RunStore.Open(store);
        var done = new List<(long, ExperimentResult)>();
        foreach (var spec in specs)
        {
            var recorder = RunRecorder.Create(runs, spec);
            done.Add((recorder.RunId, Experiment.Run(recorder.Spec, recorder)));
        }

        return done;
    }

    /// <summary>Everything a finished run left in <paramref name="store"/> but timestamps and its lease: config, status, result, curve, last checkpoint (bytes), episodes.</summary>
    public static string Snapshot(RunStore store, long id)
    {
        var run = store.GetRun(id);
        var checkpoint = store.LatestCheckpoint(id)!;
        return string.Join(
            '\n',
            $"{run.Config.ScenarioId} {run.Config.Agent} {run.Config.Seed} {run.Config.HyperParameters!.ToJsonString()} {run.Config.Settings!.ToJsonString()} {run.Status}",
            run.ResultJson,
            string.Join(';', store.Metrics(id).Select(m => $"{m.Step}:{m.Name}:{m.Value:R}")),
            $"{checkpoint.Step} {Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(checkpoint.Weights))} {Convert.ToHexString(checkpoint.RngState)}",
            string.Join(';', store.Episodes(id).Select(e => $"{e.Distribution}/{e.Index}:{e.Reward:R}:{e.Intended:R}:{e.Actions}")));
    }
}
