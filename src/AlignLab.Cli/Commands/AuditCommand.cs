using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using AlignLab.GoalInference;
using AlignLab.Reports;

namespace AlignLab.Cli.Commands;

/// <summary>
/// <c>alignlab audit RUN_OR_CHECKPOINT</c>: behavioural goal inference. Samples the trained policy's
/// episodes on a distribution and prints the Bayesian posterior over the scenario's candidate goals
/// (Boltzmann-rational likelihood over each goal's exact optimal action values with a lapse rate,
/// temperature and lapse rate fitted per goal by maximum likelihood, uniform prior), episode by episode, and the answer in one line:
/// "pursues `corner`, posterior 0.99 after 12 episodes".
/// </summary>
internal static class AuditCommand
{
    public static Command Create()
    {
        var target = new Argument<string>("run") { Description = "A run id in the store, or an agent's checkpoint (.safetensors) file." };
        var scenarioOption = new Option<string?>("--scenario") { Description = "Scenario id, for a checkpoint file (a run knows its own)." };
        var set = new Option<string[]>("--set") { Description = "Scenario parameters, for a checkpoint file; repeatable." };
        var store = CommonOptions.Store();
        var noStore = CommonOptions.NoStore();
        var distribution = new Option<string>("--distribution") { Description = "Distribution the episodes are sampled on.", DefaultValueFactory = _ => "deploy" };
        var episodes = new Option<int>("--episodes") { Description = "Episodes sampled (each on a newly drawn level of a generated distribution, solved exactly).", DefaultValueFactory = _ => 20 };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the level draws and episodes.", DefaultValueFactory = _ => 0UL };
        var discount = new Option<double>("--discount") { Description = "Discount γ in (0, 1] of the goals' optimal action values (a rational pursuer takes short routes).", DefaultValueFactory = _ => 0.99 };
        var temperatures = new Option<string?>("--temperatures") { Description = "Comma-separated temperature grid of the fit (default 10^-4 … 10^2, four a decade); one tiny value, e.g. 1e-6, is the optimal-set model: uniform over each goal's optimal actions, plus lapses." };
        var perEpisode = new Option<bool>("--per-episode-rationality") { Description = "Fit temperature and lapse rate per episode (marginalised over the grid) instead of once per goal over all episodes." };
        var json = new Option<bool>("--json") { Description = "Print the audit as one JSON object." };
        var command = new Command("audit", "Infer the goal a trained policy pursues from its behaviour: the posterior over the scenario's candidate goals.") { target, scenarioOption, set, store, noStore, distribution, episodes, seed, discount, temperatures, perEpisode, json };
        var limitOptions = new SolverLimitOptions();
        limitOptions.AddTo(command);
        var threading = new ThreadingOptions();
        threading.AddTo(command);
        command.SetAction(parse => CliErrors.Run(() =>
        {
            threading.Apply(parse);
            var value = parse.GetValue(target)!;
            var loaded = TrainedPolicyTarget.Load(value, parse.GetResult(scenarioOption) is null ? null : parse.GetValue(scenarioOption), parse.GetResult(set) is null ? null : parse.GetValue(set) ?? [], parse.GetValue(store)!, "auditing");
            var (scenarioId, scenario, parameters, agent, label) = (loaded.ScenarioId, loaded.Scenario, loaded.Parameters, loaded.Agent, loaded.Label);

            using var analyses = long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var runId) ? CommonOptions.AnalysisStore(parse, store, noStore, runId) : null;
            var audit = GoalAuditor.Audit(scenario, agent.Policy, new AuditOptions(parse.GetValue(distribution)!, parse.GetValue(episodes), parse.GetValue(seed), parse.GetValue(discount), parameters, limitOptions.Resolve(parse)) { Temperatures = ParseGrid(parse.GetValue(temperatures)), PerEpisodeRationality = parse.GetValue(perEpisode) });
            if (analyses is not null)
            {
                AnalysisJson.Save(analyses, runId, new AuditAnalysis(CommonOptions.CommandLine(parse), audit));
            }

            if (parse.GetValue(json))
            {
                Console.WriteLine(Json(audit).ToJsonString());
                return 0;
            }

            Console.WriteLine($"{scenarioId} ({label}) on {audit.Distribution}: {audit.Summary}");
            var reached = audit.EpisodesToReach(0.95);
            Console.WriteLine(reached is { } k ? $"  posterior at least 0.95 from episode {k} on" : "  posterior never stays at or above 0.95");
            Console.WriteLine($"  model: Boltzmann-rational over each goal's exact optimal action values (γ {ResultPrinter.N(audit.Discount)}), with a lapse rate ε of uniformly random actions, T and ε fitted per goal by maximum likelihood; uniform prior");
            Console.WriteLine($"  {"episode",7}  {string.Join("  ", audit.Goals.Select(g => $"{"P(" + g + ")",12}"))}  {string.Join("  ", audit.Goals.Select(g => $"{"T(" + g + ")",12}"))}  {string.Join("  ", audit.Goals.Select(g => $"{"ε(" + g + ")",12}"))}  steps");
            foreach (var step in audit.Path)
            {
                var steps = audit.Episodes[step.Episodes - 1].Actions.Length;
                Console.WriteLine($"  {step.Episodes,7}  {string.Join("  ", audit.Goals.Select(g => $"{ResultPrinter.N(step.Posterior[g]),12}"))}  {string.Join("  ", audit.Goals.Select(g => $"{step.Temperature[g].ToString("G3", CultureInfo.InvariantCulture),12}"))}  {string.Join("  ", audit.Goals.Select(g => $"{ResultPrinter.N(step.Lapse[g]),12}"))}  {steps}");
            }

            return 0;
        }));
        return command;
    }

    internal static double[]? ParseGrid(string? text)
    {
        if (text is null)
        {
            return null;
        }

        return [.. text.Split(',').Select(x => double.TryParse(x.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var t) ? t : throw new UsageException($"--temperatures must be comma-separated numbers, not '{text}'."))];
    }

    private static JsonObject Json(GoalAudit audit)
    {
        var path = new JsonArray();
        foreach (var step in audit.Path)
        {
            var posterior = new JsonObject();
            var temperature = new JsonObject();
            var lapse = new JsonObject();
            foreach (var g in audit.Goals)
            {
                posterior[g] = ResultPrinter.J(step.Posterior[g]);
                temperature[g] = ResultPrinter.J(step.Temperature[g]);
                lapse[g] = ResultPrinter.J(step.Lapse[g]);
            }

            path.Add(new JsonObject { ["episodes"] = step.Episodes, ["posterior"] = posterior, ["temperature"] = temperature, ["lapse"] = lapse });
        }

        var episodes = new JsonArray();
        foreach (var e in audit.Episodes)
        {
            var ll = new JsonObject();
            foreach (var g in audit.Goals)
            {
                ll[g] = ResultPrinter.J(e.LogLikelihood[g]);
            }

            episodes.Add(new JsonObject { ["index"] = e.Index, ["actions"] = e.Actions, ["log_likelihood"] = ll });
        }

        return new JsonObject
        {
            ["id"] = audit.Id,
            ["distribution"] = audit.Distribution,
            ["goals"] = new JsonArray([.. audit.Goals.Select(g => (JsonNode?)JsonValue.Create(g))]),
            ["discount"] = ResultPrinter.J(audit.Discount),
            ["pursued"] = audit.Pursued,
            ["posterior"] = ResultPrinter.J(audit.Posterior),
            ["episodes_to_095"] = audit.EpisodesToReach(0.95),
            ["summary"] = audit.Summary,
            ["path"] = path,
            ["episodes"] = episodes,
        };
    }
}
