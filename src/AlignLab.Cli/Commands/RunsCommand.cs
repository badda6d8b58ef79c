using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using AlignLab.Reports;
using AlignLab.Runs;

namespace AlignLab.Cli.Commands;

/// <summary>
/// <c>alignlab runs list|show ID|compare ID ID [--store PATH] [--json]</c>: what the run store
/// holds. <c>show --csv</c> prints the run's metrics as CSV; <c>show</c> lists the run's stored analyses (probe, steer,
/// audit, redteam, mesa), which <c>alignlab report</c> draws.
/// </summary>
internal static class RunsCommand
{
    public static Command Create()
    {
        var command = new Command("runs", "List, show and compare the runs in the run store.");
        command.Subcommands.Add(List());
        command.Subcommands.Add(Show());
        command.Subcommands.Add(Compare());
        return command;
    }

    internal static Option<string> StoreOption() => CommonOptions.Store();

    private static Command List()
    {
        var store = StoreOption();
        var json = new Option<bool>("--json") { Description = "Print the runs as a JSON array." };
        var command = new Command("list", "List the runs: id, scenario, agent, seed, status, last step.") { store, json };
        command.SetAction(parse => CliErrors.Run(() =>
        {
            using var s = RunStore.OpenReadOnly(parse.GetValue(store));
            var runs = s.ListRuns();
            if (parse.GetValue(json))
            {
                Console.WriteLine(new JsonArray([.. runs.Select(r => (JsonNode)Summary(s, r))]).ToJsonString());
                return 0;
            }

            if (runs.Count == 0)
            {
                Console.WriteLine($"{s.Path}: no runs.");
                return 0;
            }

            Console.WriteLine($"{"id",4}  {"scenario",-28} {"agent",-6} {"seed",6}  {"status",-8} {"last step",10}  updated");
            foreach (var r in runs)
            {
                var last = s.Metrics(r.Id).Select(m => m.Step).DefaultIfEmpty(0).Max();
                Console.WriteLine($"{r.Id,4}  {r.Config.ScenarioId,-28} {r.Config.Agent,-6} {r.Config.Seed,6}  {Status(r.Status),-8} {last,10:N0}  {r.Updated:u}");
            }

            return 0;
        }));
        return command;
    }

    private static Command Show()
    {
        var store = StoreOption();
        var id = new Argument<long>("id") { Description = "Run id (see runs list)." };
        var json = new Option<bool>("--json") { Description = "Print the run as one JSON object." };
        var csv = new Option<bool>("--csv") { Description = "Print the run's metrics as CSV (step, then one column per metric)." };
        var command = new Command("show", "Show a run: configuration, status, last metrics, checkpoint, result, stored analyses.") { id, store, json, csv };
        command.SetAction(parse => CliErrors.Run(() =>
        {
            using var s = RunStore.OpenReadOnly(parse.GetValue(store));
            var run = s.GetRun(parse.GetValue(id));
            if (parse.GetValue(csv))
            {
                s.ExportMetricsCsv(run.Id, Console.Out);
                return 0;
            }

            var detail = Detail(s, run);
            if (parse.GetValue(json))
            {
                Console.WriteLine(detail.ToJsonString());
                return 0;
            }

            var c = run.Config;
            Console.WriteLine($"run {run.Id}: {c.ScenarioId} ({c.Distribution}), agent {c.Agent}, seed {c.Seed}");
            Console.WriteLine($"  status        {Status(run.Status)}");
            Console.WriteLine($"  created       {run.Created:u}   updated {run.Updated:u}");
            Console.WriteLine($"  code version  {run.CodeVersion}");
            Console.WriteLine($"  parameters    {string.Join(", ", (c.Parameters ?? new Dictionary<string, string>()).Select(p => $"{p.Key}={p.Value}"))}");
            Console.WriteLine($"  hyper-params  {c.HyperParameters?.ToJsonString() ?? "{}"}");
            Console.WriteLine($"  checkpoint    {Checkpoint(s, run.Id)}");
            Console.WriteLine($"  episodes      {s.Episodes(run.Id).Count:N0}");
            Console.WriteLine("  last metrics:");
            foreach (var m in LastMetrics(s, run.Id))
            {
                Console.WriteLine($"    {m.Name,-28} {N(m.Value),12}  (step {m.Step:N0})");
            }

            Console.WriteLine($"  result        {run.ResultJson ?? "none"}");
            var analyses = s.Analyses(run.Id);
            Console.WriteLine($"  analyses      {(analyses.Count == 0 ? "none" : string.Join(", ", analyses.Select(a => $"{a.Id} {a.Kind} ({a.Created:u})")))}");
            return 0;
        }));
        return command;
    }

    /// <summary>The latest checkpoint's step and size, or what is wrong with it (a damaged checkpoint does not hide the rest of the run).</summary>
    private static string Checkpoint(RunStore s, long run)
    {
        try
        {
            return s.LatestCheckpoint(run) is { } cp ? $"step {cp.Step:N0} ({cp.Weights.Length:N0} bytes)" : "none";
        }
        catch (RunStoreException e) when (s.LatestCheckpointStep(run) is { } step)
        {
            return $"step {step:N0}: {e.Message}";
        }
    }

    private static Command Compare()
    {
        var store = StoreOption();
        var ids = new Argument<long[]>("ids") { Description = "Two or more run ids.", Arity = new ArgumentArity(2, 16) };
        var json = new Option<bool>("--json") { Description = "Print the runs as a JSON array of objects." };
        var command = new Command("compare", "Compare runs side by side: configuration and last metrics.") { ids, store, json };
        command.SetAction(parse => CliErrors.Run(() =>
        {
            using var s = RunStore.OpenReadOnly(parse.GetValue(store));
            var runs = parse.GetValue(ids)!.Select(s.GetRun).ToList();
            if (parse.GetValue(json))
            {
                Console.WriteLine(new JsonArray([.. runs.Select(r => (JsonNode)Detail(s, r))]).ToJsonString());
                return 0;
            }

            var rows = new List<(string Key, string[] Values)>
            {
                ("scenario", [.. runs.Select(r => r.Config.ScenarioId)]),
                ("distribution", [.. runs.Select(r => r.Config.Distribution)]),
                ("agent", [.. runs.Select(r => r.Config.Agent)]),
                ("seed", [.. runs.Select(r => r.Config.Seed.ToString(CultureInfo.InvariantCulture))]),
                ("status", [.. runs.Select(r => Status(r.Status))]),
                ("code version", [.. runs.Select(r => r.CodeVersion)]),
                ("parameters", [.. runs.Select(r => string.Join(",", (r.Config.Parameters ?? new Dictionary<string, string>()).Select(p => $"{p.Key}={p.Value}")))]),
                ("hyper-parameters", [.. runs.Select(r => r.Config.HyperParameters?.ToJsonString() ?? "{}")]),
            };
            var last = runs.Select(r => LastMetrics(s, r.Id).ToDictionary(m => m.Name, m => m.Value, StringComparer.Ordinal)).ToList();
            foreach (var name in last.SelectMany(l => l.Keys).Distinct().Order(StringComparer.Ordinal))
            {
                rows.Add((name, [.. last.Select(l => l.TryGetValue(name, out var v) ? N(v) : "–")]));
            }

            const int width = 24;
            Console.WriteLine($"{"",-28}" + string.Concat(runs.Select(r => $"{"run " + r.Id.ToString(CultureInfo.InvariantCulture),-width}")));
            foreach (var (key, values) in rows)
            {
                var mark = values.Distinct(StringComparer.Ordinal).Count() > 1 ? "*" : " ";
                Console.WriteLine($"{mark}{key,-27}" + string.Concat(values.Select(v => $"{(v.Length > width - 2 ? v[..(width - 3)] + "…" : v),-width}")));
            }

            Console.WriteLine("(* = differs)");
            return 0;
        }));
        return command;
    }

    private static List<MetricPoint> LastMetrics(RunStore s, long runId) =>
        [.. s.Metrics(runId).GroupBy(m => m.Name).Select(g => g.MaxBy(m => m.Step))];

    private static JsonObject Summary(RunStore s, RunInfo r) => new()
    {
        ["id"] = r.Id,
        ["scenario"] = r.Config.ScenarioId,
        ["distribution"] = r.Config.Distribution,
        ["agent"] = r.Config.Agent,
        ["seed"] = r.Config.Seed,
        ["status"] = Status(r.Status),
        ["last_step"] = s.Metrics(r.Id).Select(m => m.Step).DefaultIfEmpty(0).Max(),
        ["created"] = r.Created.ToString("O", CultureInfo.InvariantCulture),
        ["updated"] = r.Updated.ToString("O", CultureInfo.InvariantCulture),
    };

    private static JsonObject Detail(RunStore s, RunInfo r)
    {
        var o = Summary(s, r);
        o["code_version"] = r.CodeVersion;
        o["parameters"] = new JsonObject([.. (r.Config.Parameters ?? new Dictionary<string, string>()).Select(p => KeyValuePair.Create(p.Key, (JsonNode?)p.Value))]);
        o["hyperparameters"] = r.Config.HyperParameters?.DeepClone() ?? new JsonObject();
        o["settings"] = r.Config.Settings?.DeepClone() ?? new JsonObject();
        o["checkpoint_step"] = s.LatestCheckpointStep(r.Id);
        o["episodes"] = s.Episodes(r.Id).Count;
        o["last_metrics"] = new JsonObject([.. LastMetrics(s, r.Id).Select(m => KeyValuePair.Create(m.Name, double.IsFinite(m.Value) ? (JsonNode?)m.Value : null))]);
        o["result"] = r.ResultJson is null ? null : JsonNode.Parse(r.ResultJson);
        o["analyses"] = new JsonArray([.. s.Analyses(r.Id).Select(a => (JsonNode)new JsonObject { ["id"] = a.Id, ["kind"] = a.Kind, ["created"] = a.Created.ToString("O", CultureInfo.InvariantCulture) })]);
        return o;
    }

    private static string Status(RunStatus status) => status.ToString().ToLowerInvariant();

    private static string N(double value) => Numbers.Format(value, 4);
}
