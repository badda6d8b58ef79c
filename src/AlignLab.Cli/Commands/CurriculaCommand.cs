using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using AlignLab.Agents;
using AlignLab.Curricula;
using AlignLab.Reports;
using AlignLab.Runs;
using AlignLab.Scenarios;
using Spectre.Console;

namespace AlignLab.Cli.Commands;

/// <summary>
/// <c>alignlab curricula ID</c>: trains PPO through DR, PLR⊥ and ACCEL at each α, over several seeds, and prints the
/// exact deployment score of the intended objective per method × α with a 95% interval over seeds, beside the rank
/// correlation of the estimated regrets (PVL, MaxMC) with the exact oracle regret on the deployment levels. The
/// comparison is kept in the store (<c>--store</c>; <c>--no-store</c>: print only) as a run of its own that stands for it,
/// with the whole table as its analysis, which <c>alignlab report RUN</c> draws.
/// </summary>
internal static class CurriculaCommand
{
    public static Command Create()
    {
        var id = new Argument<string>("id") { Description = "Scenario id (Name-vN) or a scenario .yaml file, with generated train and deploy distributions." };
        var alphas = new Option<string>("--alphas") { Description = "Comma-separated α values, each in [0, 1].", DefaultValueFactory = _ => "0,0.001,0.01,0.1" };
        var methods = new Option<string>("--methods") { Description = "Comma-separated curricula: dr, plr, accel.", DefaultValueFactory = _ => "dr,plr,accel" };
        var scores = new Option<string>("--scores") { Description = "Comma-separated level scores PLR⊥ and ACCEL are run with (exact, pvl, maxmc); one row each.", DefaultValueFactory = _ => "exact" };
        var seeds = new Option<int>("--seeds") { Description = "Seeds per cell (0 … N−1), at least 2 for an interval.", DefaultValueFactory = _ => 3 };
        var steps = new Option<long>("--steps") { Description = "Environment steps per run, every cycle counted.", DefaultValueFactory = _ => 100_000 };
        var evalLevels = new Option<int>("--eval-levels") { Description = "Deployment levels solved exactly for the score and the regret correlation.", DefaultValueFactory = _ => 32 };
        var set = new Option<string[]>("--set") { Description = "Scenario parameter, key=value; repeatable." };
        var preset = new Option<string>("--preset") { Description = "PPO preset (default, cnn, vin, small).", DefaultValueFactory = _ => "default" };
        var ppo = new Option<string[]>("--ppo") { Description = "PPO option over the preset, name=value (as train's --ppo); repeatable." };
        var jobs = new Option<int>("--jobs") { Description = "Runs trained at once (results are the same for any value).", DefaultValueFactory = _ => 1 };
        var json = new Option<bool>("--json") { Description = "Print the table as one JSON object." };
        var store = CommonOptions.Store("The run store the comparison is kept in, as a run of its own with the table as its analysis (alignlab report RUN draws it).");
        var noStore = new Option<bool>("--no-store") { Description = "Print the table only; by default it is also kept in the store (--store)." };
        var curriculum = new CurriculumCliOptions(withKind: false);
        var command = new Command("curricula", "Compare DR, PLR⊥ and ACCEL across α: exact deployment score of the intended objective, and exact against estimated regret.") { id, alphas, methods, scores, seeds, steps, evalLevels, set, preset, ppo, jobs, json, store, noStore };
        curriculum.AddTo(command);
        command.SetAction(parse => CliErrors.Run(() =>
        {
            var kinds = List(parse.GetValue(methods)!, "--methods").Select(CurriculumOptions.ParseKind).Distinct().ToList();
            var scoreKinds = List(parse.GetValue(scores)!, "--scores").Select(CurriculumOptions.ParseScore).Distinct().ToList();
            var alphaValues = List(parse.GetValue(alphas)!, "--alphas").Select(a => double.TryParse(a, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && v is >= 0 and <= 1
                ? v
                : throw new UsageException($"--alphas: '{a}' is not a number in [0, 1].")).Distinct().ToList();
            var spec = new ComparisonSpec(parse.GetValue(id)!, kinds, scoreKinds, alphaValues, parse.GetValue(seeds), parse.GetValue(steps), parse.GetValue(evalLevels), CliErrors.ParseSet(parse.GetValue(set)), parse.GetValue(preset)!, parse.GetValue(ppo) ?? [], curriculum.Resolve(parse, CurriculumKind.Dr));
            var jobCount = parse.GetValue(jobs);
            if (jobCount < 1)
            {
                throw new UsageException($"--jobs must be at least 1, not {jobCount}.");
            }

            var asJson = parse.GetValue(json);
            var location = parse.GetValue(noStore) ? null : parse.GetValue(store)!;
            string? scenarioText = null;
            if (location is not null)
            {
                CheckStore(location);
                scenarioText = ScenarioFileText(spec.ScenarioId);
            }

            var table = CurriculumComparison.Run(spec, jobCount, asJson ? null : line => Console.Error.WriteLine(line));
            if (asJson)
            {
                Console.WriteLine(table.ToJson().ToJsonString());
            }
            else
            {
                Print(table);
            }

            if (location is not null)
            {
                long run;
                using (var runs = RunStore.Open(location))
                {
                    run = Keep(runs, table, CommonOptions.CommandLine(parse), scenarioText);
                }

                var kept = $"kept as run {run} in {Describe(location)}: alignlab report {run} --store {Describe(location)}";
                if (asJson)
                {
                    Console.Error.WriteLine(kept);
                }
                else
                {
                    Console.WriteLine(kept);
                }
            }

            return 0;
        }));
        return command;
    }

    /// <summary>
    /// Keeps <paramref name="table"/> in <paramref name="store"/>: a finished run that stands for the comparison (agent
    /// ppo, seed 0, the scenario's parameters, the preset's PPO options, the comparison's settings) with the table as its
    /// <see cref="CurriculumAnalysis"/>; returns the run's id. <paramref name="scenarioText"/> is the scenario file's YAML
    /// when the comparison ran on a file (so the run's scenario is rebuilt from the store alone), else null.
    /// </summary>
    internal static long Keep(RunStore store, ComparisonTable table, string command, string? scenarioText)
    {
        var spec = table.Spec;
        var definition = PpoAgent.Definition;
        var options = spec.PpoOverrides.Count == 0 ? definition.Preset(spec.Preset) : definition.Override(definition.Preset(spec.Preset), spec.PpoOverrides);
        var settings = new JsonObject
        {
            ["comparison"] = "curricula",
            ["methods"] = new JsonArray([.. spec.Kinds.Select(k => (JsonNode?)CurriculumOptions.Name(k))]),
            ["scores"] = new JsonArray([.. spec.Scores.Select(k => (JsonNode?)CurriculumOptions.Name(k))]),
            ["alphas"] = new JsonArray([.. spec.Alphas.Select(a => (JsonNode?)a)]),
            ["seeds"] = spec.Seeds,
            ["steps"] = spec.Steps,
            ["steps_per_run"] = table.StepsPerRun,
            ["eval_levels"] = spec.EvalLevels,
            ["evaluation_seed"] = CurriculumComparison.EvaluationSeed,
            ["curriculum_settings"] = spec.Curriculum.ToJson(),
        };
        var run = store.CreateRun(new RunConfig(spec.ScenarioId, definition.Name, 0, "train", spec.Set, definition.ToJson(definition.Configure(options, spec.Steps, 0)), settings, scenarioText));
        try
        {
            AnalysisJson.Save(store, run, new CurriculumAnalysis(command, table));
        }
        catch
        {
            store.SetStatus(run, RunStatus.Failed);
            throw;
        }

        store.SetStatus(run, RunStatus.Finished);
        return run;
    }

    /// <summary>
    /// The YAML of a scenario file, read before training (what the comparison runs on); null for a built-in id, and for
    /// a file that cannot be read, which the comparison then refuses with the file's own error.
    /// </summary>
    private static string? ScenarioFileText(string scenarioId)
    {
        if (ScenarioRegistry.BuiltIn.Ids.Contains(scenarioId) || !(scenarioId.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase) || scenarioId.EndsWith(".yml", StringComparison.OrdinalIgnoreCase)))
        {
            return null;
        }

        try
        {
            return File.ReadAllText(scenarioId);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            return null;
        }
    }

    /// <summary>
    /// Checks, before any training, that the comparison can be kept in <paramref name="location"/>: an existing store or
    /// a PostgreSQL database opens as an AlignLab store; a new file can be written (it is created only at the end).
    /// </summary>
    private static void CheckStore(string location)
    {
        if (RunStore.IsPostgres(location) || File.Exists(location))
        {
            RunStore.Open(location).Dispose();
            return;
        }

        CommonOptions.CheckWritable(location, "--store");
    }

    private static string Describe(string location) => RunStore.IsPostgres(location) ? RunStore.Describe(location) : location;

    private static List<string> List(string text, string option)
    {
        var items = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
        return items.Count > 0 ? items : throw new UsageException($"{option} needs at least one value.");
    }

    private static void Print(ComparisonTable table)
    {
        var spec = table.Spec;
        Console.WriteLine(FormattableString.Invariant($"{table.ScenarioId}: PPO ({spec.Preset}{string.Concat(spec.PpoOverrides.Select(o => ", " + o))}), {table.StepsPerRun:N0} steps per run, {spec.Seeds} seeds, deployment = {spec.EvalLevels} levels of '{spec.Curriculum.ShiftDistribution}' solved exactly"));
        var grid = new Table().AddColumns("method", "score", "α", Markup.Escape("deploy intended score, mean [95% CI over seeds]"), "deploy intended return", "train intended score", "ρ(exact, PVL)", "ρ(exact, MaxMC)", "mean exact regret");
        foreach (var row in table.Rows)
        {
            grid.AddRow(
                CurriculumOptions.Name(row.Kind),
                row.Kind == CurriculumKind.Dr ? "-" : CurriculumOptions.Name(row.Score),
                row.Alpha.ToString("G", CultureInfo.InvariantCulture),
                Markup.Escape(row.Deploy.ToString()),
                Markup.Escape(row.DeployReturn.ToString()),
                Markup.Escape(row.Train.ToString()),
                Number(row.PvlCorrelation),
                Number(row.MaxMcCorrelation),
                Number(row.ExactRegret));
        }

        AnsiConsole.Write(grid);
        Console.WriteLine("ρ: Spearman rank correlation over the deployment levels between the final policy's exact oracle regret and the estimate from one rollout cycle on each level, averaged over seeds; intervals use Student's t over seeds.");
    }

    private static string Number(double value) => double.IsNaN(value) ? "n/a" : value.ToString("0.00", CultureInfo.InvariantCulture);
}

/// <summary>The curriculum options <c>train</c> and <c>curricula</c> share: α, the score, PLR⊥'s buffer settings and ACCEL's edits.</summary>
internal sealed class CurriculumCliOptions
{
    private static readonly CurriculumOptions Defaults = new();

    public CurriculumCliOptions(bool withKind)
    {
        Kind = withKind ? new Option<string?>("--curriculum") { Description = "Train PPO through a curriculum: dr (domain randomisation with α), plr (PLR⊥) or accel (ACCEL)." } : null;
        All = [.. new Option?[] { Kind, Alpha, Score, BufferSize, ReplayProbability, Temperature, Staleness, Edits, Shift }.OfType<Option>()];
    }

    public Option<string?>? Kind { get; }

    public Option<double> Alpha { get; } = new("--alpha") { Description = "α: probability that a new level comes from the shift distribution (deploy) instead of train; in [0, 1].", DefaultValueFactory = _ => 0 };

    public Option<string> Score { get; } = new("--score") { Description = "Level score of PLR⊥ and ACCEL: exact (oracle regret from the solver), pvl (positive value loss) or maxmc.", DefaultValueFactory = _ => "exact" };

    public Option<int> BufferSize { get; } = new("--buffer-size") { Description = "PLR⊥/ACCEL level buffer size (jaxgmg: 4096).", DefaultValueFactory = _ => Defaults.BufferSize };

    public Option<double> ReplayProbability { get; } = new("--replay-prob") { Description = "Probability of a replay cycle (jaxgmg: 0.5).", DefaultValueFactory = _ => Defaults.ReplayProbability };

    public Option<double> Temperature { get; } = new("--temperature") { Description = "Rank prioritisation temperature β (jaxgmg: 0.1).", DefaultValueFactory = _ => Defaults.Temperature };

    public Option<double> Staleness { get; } = new("--staleness") { Description = "Staleness coefficient ρ (jaxgmg: 0.1).", DefaultValueFactory = _ => Defaults.StalenessCoefficient };

    public Option<int> Edits { get; } = new("--edits") { Description = "ACCEL: chained edits per child (jaxgmg: 12).", DefaultValueFactory = _ => Defaults.EditsPerChild };

    public Option<string> Shift { get; } = new("--shift-distribution") { Description = "The generated distribution α draws from.", DefaultValueFactory = _ => Defaults.ShiftDistribution };

    public IReadOnlyList<Option> All { get; }

    public void AddTo(Command command)
    {
        foreach (var option in All)
        {
            command.Options.Add(option);
        }
    }

    /// <summary>Whether any curriculum option was given on the command line.</summary>
    public bool AnyGiven(ParseResult parse) => All.Any(o => parse.GetResult(o) is { Implicit: false });

    /// <summary>The options as given, for a curriculum of <paramref name="kind"/>; validated.</summary>
    public CurriculumOptions Resolve(ParseResult parse, CurriculumKind kind)
    {
        var options = new CurriculumOptions
        {
            Kind = kind,
            Alpha = parse.GetValue(Alpha),
            Score = CurriculumOptions.ParseScore(parse.GetValue(Score)!),
            BufferSize = parse.GetValue(BufferSize),
            ReplayProbability = parse.GetValue(ReplayProbability),
            Temperature = parse.GetValue(Temperature),
            StalenessCoefficient = parse.GetValue(Staleness),
            EditsPerChild = parse.GetValue(Edits),
            ShiftDistribution = parse.GetValue(Shift)!,
        };
        options.Validate();
        return options;
    }
}
