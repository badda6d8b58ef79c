using System.CommandLine;
using System.Text.Json.Nodes;
using AlignLab.Overoptimisation;
using AlignLab.Reports;
using AlignLab.Rlhf;
using AlignLab.Runs;
using AlignLab.Scenarios;
using AlignLab.Solve;

namespace AlignLab.Cli.Commands;

/// <summary>
/// <c>alignlab overopt ID</c>: exact overoptimisation curves with the specified reward as the
/// proxy and the intended objective as gold: the KL-regularised β sweep, best-of-n and the
/// planning-horizon axis, Gao et al.'s fits, and phase transitions.
/// </summary>
internal static class OveroptCommand
{
    public static Command Create()
    {
        var id = new Argument<string>("id") { Description = "Scenario id (Name-vN) or a scenario .yaml file." };
        var level = new Option<int?>("--level") { Description = "Analyse only this level (default: the train distribution's levels as one world)." };
        var set = new Option<string[]>("--set") { Description = "Scenario parameter, key=value; repeatable." };
        var betas = new Option<int>("--betas") { Description = "Number of KL-regularisation temperatures β, log-spaced from near-greedy to near-random (default 17).", DefaultValueFactory = _ => 17 };
        var samples = new Option<int>("--samples") { Description = "Random-policy episodes sampled for best-of-n (default 4096).", DefaultValueFactory = _ => 4096 };
        var seed = new Option<ulong>("--seed") { Description = "Seed for sampling the best-of-n episodes (default 0).", DefaultValueFactory = _ => 0 };
        var json = new Option<bool>("--json") { Description = "Print the results as one JSON object." };
        var proxy = new Option<string>("--proxy") { Description = "The proxy optimised: reward (the specified reward, default) or the id of a stored `alignlab rlhf` run of the same scenario, level and parameters (its learned reward).", DefaultValueFactory = _ => "reward" };
        var store = CommonOptions.Store("The run store holding the --proxy run.");
        var command = new Command("overopt", "Exact overoptimisation curves: gold (intended) return against KL from the random policy for KL-regularised optimisers and best-of-n, and against planning horizon.") { id, level, set, betas, samples, seed, json, proxy, store };
        var limitOptions = new SolverLimitOptions();
        limitOptions.AddTo(command);
        var threading = new ThreadingOptions();
        threading.AddTo(command);
        command.SetAction(parse => CliErrors.Run(() =>
        {
            threading.Apply(parse);
            var options = new OveroptimisationOptions { Betas = parse.GetValue(betas), Samples = parse.GetValue(samples), Seed = parse.GetValue(seed) };
            options.Validate();
            var proxyRun = ParseProxy(parse.GetValue(proxy)!);
            var scenario = ScenarioRegistry.BuiltIn.Get(parse.GetValue(id)!);
            var parameters = CliErrors.ParseSet(parse.GetValue(set));
            var world = scenario.Build(new BuildOptions(parse.GetValue(level), null, parameters));
            OveroptimisationReport report;
            if (proxyRun is { } runId)
            {
                using var runs = RunStore.OpenReadOnly(parse.GetValue(store));
                var run = runs.GetRun(runId);
                var solution = ExactSolution.Create(world, limitOptions.Resolve(parse));
                using var table = StoredRlhfRun.Tabulate(run, scenario, solution, parse.GetValue(level), parameters, runs);
                report = OveroptimisationAnalysis.Analyze(solution, table, options);
            }
            else
            {
                report = OveroptimisationAnalysis.Analyze(world, options, limitOptions.Resolve(parse));
            }

            if (parse.GetValue(json))
            {
                Console.WriteLine(Json(report).ToJsonString());
            }
            else
            {
                Print(report);
            }

            return 0;
        }));
        return command;
    }

    private static long? ParseProxy(string text) =>
        text == "reward" ? null
        : long.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var id) && id > 0 ? id
        : throw new UsageException($"--proxy: '{text}' is neither 'reward' nor a run id (a positive whole number; see `alignlab runs list`).");

    private static void Print(OveroptimisationReport r)
    {
        Console.WriteLine($"{r.Id}: overoptimisation, proxy = {r.Proxy}, gold = intended; {r.States:N0} states × {r.Actions} actions ({r.Model}), horizon {r.Horizon}, undiscounted; π_ref = uniformly random");
        Console.WriteLine($"π_ref: proxy {N(r.ReferenceProxy)}, gold {N(r.ReferenceGold)}    optima (hard value iteration): proxy {N(r.ProxyOptimal)}, gold {N(r.GoldOptimal)}");
        Console.WriteLine();
        Console.WriteLine("KL-regularised optimal policies π_β (exact):");
        Console.WriteLine($"  {"β",12} {"KL",10} {"√KL",8} {"proxy",10} {"gold",10}");
        foreach (var p in r.Rl)
        {
            Console.WriteLine($"  {N(p.Beta),12} {N(p.Kl),10} {N(p.SqrtKl),8} {N(p.Proxy),10} {N(p.Gold),10}");
        }

        Console.WriteLine($"  fit R_RL(d) = d(α − β log d) to gold − gold(π_ref): {Fit(r.RlFit)}");
        Console.WriteLine($"  gold rises then falls along √KL: {YesNo(r.RlRisesThenFalls)}");
        Console.WriteLine();
        Console.WriteLine($"best-of-n over π_ref's episodes (KL analytic; returns sampled from {r.Samples:N0} episodes, seed {r.Seed}):");
        Console.WriteLine($"  {"n",6} {"KL",10} {"√KL",8} {"proxy",10} {"gold",10}");
        foreach (var p in r.BestOfN)
        {
            Console.WriteLine($"  {p.N,6} {N(p.Kl),10} {N(p.SqrtKl),8} {N(p.Proxy),10} {N(p.Gold),10}");
        }

        Console.WriteLine($"  fit R_bon(d) = d(α − βd) to gold − gold(n = 1): {Fit(r.BestOfNFit)}");
        Console.WriteLine($"  gold rises then falls along √KL: {YesNo(r.BestOfNRisesThenFalls)}");
        Console.WriteLine();
        Console.WriteLine("receding-horizon proxy optimiser, planning horizon h (exact; ties to the lowest action):");
        Console.WriteLine($"  {"h",6} {"proxy",10} {"gold",10}");
        foreach (var p in r.Horizons)
        {
            Console.WriteLine($"  {p.Horizon,6} {N(p.Proxy),10} {N(p.Gold),10}");
        }

        Console.WriteLine(r.Transitions.Count == 0
            ? "  phase transitions (gold drops by more than half of |gold| between adjacent h): none"
            : $"  phase transitions (gold drops by more than half of |gold| between adjacent h): {string.Join(", ", r.Transitions.Select(t => $"h {t.From} → {t.To}: gold {N(t.GoldBefore)} → {N(t.GoldAfter)}"))}");
        Console.WriteLine();
        Console.WriteLine($"{r.Backups:N0} state-action backups in {r.Elapsed.TotalMilliseconds:F0} ms");
    }

    internal static JsonObject Json(OveroptimisationReport r)
    {
        return new JsonObject
        {
            ["id"] = r.Id,
            ["proxy"] = r.Proxy,
            ["states"] = r.States,
            ["actions"] = r.Actions,
            ["horizon"] = r.Horizon,
            ["model"] = r.Model,
            ["reference_proxy"] = J(r.ReferenceProxy),
            ["reference_gold"] = J(r.ReferenceGold),
            ["proxy_optimal"] = J(r.ProxyOptimal),
            ["gold_optimal"] = J(r.GoldOptimal),
            ["rl"] = new JsonArray([.. r.Rl.Select(p => (JsonNode)new JsonObject { ["beta"] = J(p.Beta), ["kl"] = J(p.Kl), ["sqrt_kl"] = J(p.SqrtKl), ["proxy"] = J(p.Proxy), ["gold"] = J(p.Gold), ["soft_value"] = J(p.SoftValue) })]),
            ["rl_fit"] = Fit(r.RlFit, "R_RL(d) = d(alpha - beta log d)"),
            ["rl_rises_then_falls"] = r.RlRisesThenFalls,
            ["samples"] = r.Samples,
            ["seed"] = r.Seed,
            ["best_of_n"] = new JsonArray([.. r.BestOfN.Select(p => (JsonNode)new JsonObject { ["n"] = p.N, ["kl"] = J(p.Kl), ["sqrt_kl"] = J(p.SqrtKl), ["proxy"] = J(p.Proxy), ["gold"] = J(p.Gold) })]),
            ["best_of_n_fit"] = Fit(r.BestOfNFit, "R_bon(d) = d(alpha - beta d)"),
            ["best_of_n_rises_then_falls"] = r.BestOfNRisesThenFalls,
            ["horizons"] = new JsonArray([.. r.Horizons.Select(p => (JsonNode)new JsonObject { ["h"] = p.Horizon, ["proxy"] = J(p.Proxy), ["gold"] = J(p.Gold) })]),
            ["phase_transitions"] = new JsonArray([.. r.Transitions.Select(t => (JsonNode)new JsonObject { ["from"] = t.From, ["to"] = t.To, ["gold_before"] = J(t.GoldBefore), ["gold_after"] = J(t.GoldAfter) })]),
            ["backups"] = r.Backups,
            ["elapsed_ms"] = r.Elapsed.TotalMilliseconds,
        };
    }

    private static JsonObject Fit(GaoFit fit, string form) => new()
    {
        ["form"] = form,
        ["alpha"] = J(fit.Alpha),
        ["beta"] = J(fit.Beta),
        ["r_squared"] = J(fit.RSquared),
        ["points"] = fit.Points,
    };

    private static string Fit(GaoFit fit) => $"α = {N(fit.Alpha)}, β = {N(fit.Beta)}, R² = {N(fit.RSquared)} ({fit.Points} points)";

    private static string YesNo(bool value) => value ? "yes" : "no";

    private static JsonValue? J(double value) => double.IsFinite(value) ? JsonValue.Create(Math.Round(value, 10)) : null;

    private static string N(double value) => Numbers.Format(value, 4);
}
