using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using AlignLab.Envs;
using AlignLab.Scenarios;

namespace AlignLab.Cli.Commands;

/// <summary>
/// <c>alignlab play ID --actions UDLR...</c>: replays an action string and prints the steps, the
/// visible and intended returns and how the episode ended; <c>--traces FILE.jsonl</c> replays a
/// whole file of recorded episodes and writes one JSON object per line.
/// </summary>
internal static class PlayCommand
{
    public static Command Create()
    {
        var id = new Argument<string?>("id") { Description = "Scenario id (Name-vN) or a scenario .yaml file. Not used with --traces.", Arity = ArgumentArity.ZeroOrOne };
        var actions = new Option<string?>("--actions", "-a") { Description = "Action string over U, D, L, R (and N where the scenario has a no-op)." };
        var level = new Option<int?>("--level") { Description = "Play this level (otherwise a level drawn from --distribution)." };
        var distribution = new Option<string?>("--distribution") { Description = "Level distribution to draw from (default train)." };
        var set = new Option<string[]>("--set") { Description = "Scenario parameter, key=value; repeatable.", AllowMultipleArgumentsPerToken = false };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the environment's generator.", DefaultValueFactory = _ => 0UL };
        var json = new Option<bool>("--json") { Description = "Print one JSON object: steps, reward, intended, termination." };
        var traces = new Option<string?>("--traces") { Description = "Replay every line of a JSONL trace file (id, level, set, actions) and print one JSON result per line." };
        var command = new Command("play", "Replay an action string and print the visible and intended returns.") { id, actions, level, distribution, set, seed, json, traces };
        command.SetAction(parse => CliErrors.Run(() =>
        {
            if (parse.GetValue(traces) is { } file)
            {
                Option[] perEpisode = [actions, level, distribution, set];
                if (parse.GetValue(id) is { } given || perEpisode.Any(o => parse.GetResult(o) is { Implicit: false }))
                {
                    throw new UsageException("--traces replays the scenario, level, parameters and actions each line names; give no scenario id, --actions, --level, --distribution or --set with it.");
                }

                return ReplayTraces(file, parse.GetValue(seed));
            }

            var scenarioId = parse.GetValue(id) ?? throw new UsageException("play needs a scenario id (or --traces FILE).");
            var script = parse.GetValue(actions) ?? throw new UsageException("play needs --actions, e.g. --actions RRDDLLUU.");
            var options = new BuildOptions(parse.GetValue(level), parse.GetValue(distribution), CliErrors.ParseSet(parse.GetValue(set)));
            var env = EnvironmentFactory.Make(scenarioId, options, parse.GetValue(seed));
            var asJson = parse.GetValue(json);
            var result = ActionScript.Replay(env, script, parse.GetValue(seed), keepTrace: !asJson);
            if (asJson)
            {
                Console.WriteLine(ResultJson(result).ToJsonString());
                return 0;
            }

            env.Env.Reset(parse.GetValue(seed));
            Console.WriteLine($"{env.World.Id}, level {env.Hidden.Level}, seed {parse.GetValue(seed)}");
            Console.WriteLine(ActionScript.BoardText(env.Env));
            var t = 0;
            foreach (var step in result.Trace)
            {
                t++;
                Console.WriteLine($"step {t,3}  {step.Action}  reward {Num(step.Reward),6}  intended {Num(step.Intended),6}");
            }

            if (result.Trace.Count > 0)
            {
                Console.WriteLine(result.Trace[^1].Board);
            }

            Console.WriteLine($"steps: {result.Steps}  reward: {Num(result.Reward)}  intended: {Num(result.Intended)}  termination: {result.TerminationName}");
            return 0;
        }));
        return command;
    }

    private static int ReplayTraces(string file, ulong seed)
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines(file);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new UsageException($"no such file: {file}");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"cannot read {file}: {e.Message}");
        }

        var output = new List<string>();
        for (var i = 0; i < lines.Length; i++)
        {
            if (!string.IsNullOrWhiteSpace(lines[i]))
            {
                output.Add(ReplayTrace(lines[i], $"{file}:{i + 1}", seed));
            }
        }

        foreach (var line in output)
        {
            Console.WriteLine(line);
        }

        return 0;
    }

    /// <summary>Replays one line of a trace file; <paramref name="where"/> (file:line) starts the message of any error in it.</summary>
    private static string ReplayTrace(string line, string where, ulong seed)
    {
        string traceId, script;
        int? traceLevel;
        var traceSet = new Dictionary<string, string>(StringComparer.Ordinal);
        try
        {
            // A value of the wrong JSON kind throws InvalidOperationException or FormatException from GetValue.
            var node = JsonNode.Parse(line) as JsonObject ?? throw new UsageException("a line must be a JSON object.");
            traceId = node["id"]?.GetValue<string>() ?? throw new UsageException("missing \"id\".");
            script = node["actions"]?.GetValue<string>() ?? throw new UsageException("missing \"actions\".");
            traceLevel = node["level"] is { } l ? l.GetValue<int>() : null;
            if (node["set"] is { } setNode and not JsonObject)
            {
                throw new UsageException("\"set\" must be an object of parameters, e.g. {\"size\": 7}.");
            }

            if (node["set"] is JsonObject setObject)
            {
                foreach (var (key, value) in setObject)
                {
                    traceSet[key] = value switch
                    {
                        null => "null",
                        JsonValue v when v.TryGetValue<bool>(out var b) => b ? "true" : "false",
                        JsonValue v when v.TryGetValue<double>(out var d) => d.ToString(CultureInfo.InvariantCulture),
                        _ => value.GetValue<string>(),
                    };
                }
            }
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException or UsageException)
        {
            throw new UsageException($"{where}: {e.Message}");
        }

        try
        {
            var env = EnvironmentFactory.Make(traceId, new BuildOptions(traceLevel, null, traceSet), seed);
            return ResultJson(ActionScript.Replay(env, script, seed)).ToJsonString();
        }
        catch (Exception e) when (CliErrors.IsUserError(e))
        {
            throw new UsageException($"{where}: {e.Message}");
        }
    }

    private static JsonObject ResultJson(ReplayResult result) => new()
    {
        ["steps"] = result.Steps,
        ["reward"] = result.Reward,
        ["intended"] = result.Intended,
        ["termination"] = result.TerminationName,
    };

    private static string Num(double value) => value.ToString("0.####", CultureInfo.InvariantCulture);
}
