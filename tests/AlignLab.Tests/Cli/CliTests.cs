using System.Diagnostics;
using System.Text.Json.Nodes;
using AlignLab.Tests.Support;

namespace AlignLab.Tests.Cli;

/// <summary>The alignlab command, run as a process: output, JSON, trace replay and clean errors.</summary>
public sealed class CliTests
{
    internal static (int Code, string Out, string Err) Run(params string[] args)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "AlignLab.Cli.dll");
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(dll);
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        return (process.ExitCode, stdout.Result, stderr.Result);
    }

    [Fact]
    public void ListShowsTheSuite()
    {
        var (code, output, _) = Run("list");
        Assert.Equal(0, code);
        Assert.Contains("BoatRace-v0", output, StringComparison.Ordinal);
        Assert.Contains("DistributionalShift-v0", output, StringComparison.Ordinal);
    }

    [Fact]
    public void ShowPrintsMapObjectivesAndDistributions()
    {
        var (code, output, _) = Run("show", "DistributionalShift-v0");
        Assert.Equal(0, code);
        Assert.Contains("#A LLL G#", output, StringComparison.Ordinal);
        Assert.Contains("deploy: levels 1, 2", output, StringComparison.Ordinal);
        Assert.Contains("intended", output, StringComparison.Ordinal);
    }

    [Fact]
    public void PlayJsonGivesTheFourNumbers()
    {
        var (code, output, error) = Run("play", "BoatRace-v0", "--actions", string.Concat(Enumerable.Repeat("RL", 50)), "--json");
        Assert.True(code == 0, error);
        var json = JsonNode.Parse(output)!.AsObject();
        Assert.Equal(100, json["steps"]!.GetValue<int>());
        Assert.Equal(50, json["reward"]!.GetValue<double>());
        Assert.Equal(0, json["intended"]!.GetValue<double>());
        Assert.Equal("truncated", json["termination"]!.GetValue<string>());
    }

    [Fact]
    public void PlayTracesWritesOneResultPerLineInOrder()
    {
        var file = Path.Combine(Path.GetTempPath(), $"alignlab-traces-{Guid.NewGuid():N}.jsonl");
        File.WriteAllLines(file,
        [
            """{"id": "DistributionalShift-v0", "level": 1, "actions": "DRR"}""",
            """{"id": "BoatRace-v0", "actions": "RRDD"}""",
        ]);
        try
        {
            var (code, output, error) = Run("play", "--traces", file);
            Assert.True(code == 0, error);
            var lines = output.Trim().Split('\n');
            Assert.Equal(2, lines.Length);
            Assert.Equal(-53, JsonNode.Parse(lines[0])!["reward"]!.GetValue<double>());
            Assert.Equal(4, JsonNode.Parse(lines[1])!["steps"]!.GetValue<int>());
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Theory]
    [InlineData("play|BoatRaec-v0|--actions|RR", "did you mean 'BoatRace-v0'")]
    [InlineData("play|BoatRace-v0|--actions|RXR", "position 2")]
    [InlineData("play|BoatRace-v0|--actions|RR|--set|speed=3", "no parameter 'speed'")]
    [InlineData("play|DistributionalShift-v0|--actions|RR|--level|7", "no level 7")]
    [InlineData("show|Nothing-v9", "unknown scenario id")]
    [InlineData("check|/no/such/file.yaml", "no such file")]
    [InlineData("sweep|BoatRace-v0|--param|speed=1..2|--network|cnnn", "did you mean 'cnn'")]
    [InlineData("sweep|BoatRace-v0|--param|speed=1..2|--agent|q|--network|cnn", "applies to the neural agents")]
    [InlineData("train|BoatRace-v0|--agent|ppo|--ppo|learnin-rate=1e-3", "did you mean 'learning-rate'")]
    [InlineData("train|BoatRace-v0|--agent|ppo|--ppo|num-envs=four", "'four' is not a valid integer")]
    [InlineData("train|BoatRace-v0|--agent|ppo|--ppo|num-envs=0", "NumEnvs")]
    [InlineData("train|BoatRace-v0|--agent|ppo|--ppo|activation=sigmoid", "not one of relu, tanh")]
    [InlineData("train|BoatRace-v0|--agent|ppo|--ppo|gamma", "expected name=value")]
    [InlineData("train|BoatRace-v0|--agent|ppo|--ppo|seed=3", "unknown hyper-parameter 'seed'")]
    [InlineData("train|BoatRace-v0|--ppo|ent-coef=0.1", "applies to the ppo agent")]
    [InlineData("train|BoatRace-v0|--stop-at|NaN", "finite")]
    [InlineData("train|BoatRace-v0|--agent|sarsa|--agent-option|epsilon-strat=0.5", "did you mean 'epsilon-start'")]
    [InlineData("train|BoatRace-v0|--agent|dqn|--agent-option|buffer-size=0", "BufferSize")]
    [InlineData("train|BoatRace-v0|--agent|q|--preset|cel", "did you mean 'cell'")]
    [InlineData("train|BoatRace-v0|--agent|random|--agent-option|steps=5", "unknown hyper-parameter 'steps'")]
    [InlineData("train|BoatRace-v0|--agent|ppx", "did you mean 'ppo'")]
    [InlineData("train|BoatRace-v0|--agent|dqn|--state|cell", "applies to the tabular agents")]
    [InlineData("train|BoatRace-v0|--agent|ppo|--curve-points|0", "at least 1")]
    [InlineData("sweep|BoatRace-v0|--param|speed=1..2|--agent|ppo|--ppo|ent-coef=x", "not a valid number")]
    public void BadInputGetsOneClearLineAndANonZeroExit(string args, string expected)
    {
        var (code, output, error) = Run(args.Split('|'));
        Assert.NotEqual(0, code);
        Assert.Contains(expected, error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);
        Assert.Equal(string.Empty, output.Trim());
    }

    [Fact]
    public void APipedDemoPrintsEachRowOfItsVerdictTableOnOneLine()
    {
        var dir = Directory.CreateTempSubdirectory("alignlab-piped-").FullName;
        try
        {
            // Run redirects stdout, as when the output is piped into a file.
            var store = Path.Combine(dir, "runs.db");
            var (code, output, error) = Run("demo", "--quick", "--store", store, "--out", Path.Combine(dir, "report.html"));
            Assert.True(code == 0, error);

            // The header row, then its separator line, then one line per row until the bottom border.
            var lines = output.ReplaceLineEndings("\n").Split('\n');
            var header = Array.FindIndex(lines, l => l.Contains("scenario", StringComparison.Ordinal) && l.Contains("inner aligned?", StringComparison.Ordinal));
            Assert.True(header >= 0, output);
            var border = lines[header][0];
            var rows = lines.Skip(header + 2).TakeWhile(l => l.Length > 0 && l[0] == border).Select(l => l.Split(border)[1..^1].Select(c => c.Trim()).ToArray()).ToList();
            Assert.All(rows, cells => Assert.Equal(5, cells.Length));

            // A wrapped row would continue on lines whose other cells are empty.
            Assert.All(rows, cells => Assert.All(cells, cell => Assert.NotEqual(string.Empty, cell)));

            // Each scenario of the suite (one stored run each, labelled "id key=value ...") is on exactly one row line.
            using var runs = AlignLab.Runs.RunStore.Open(store);
            var suite = runs.ListRuns();
            Assert.True(suite.Count >= 2);
            Assert.Equal(suite.Count, rows.Count);
            foreach (var run in suite)
            {
                var label = string.Join(' ', [run.Config.ScenarioId, .. (run.Config.Parameters ?? new Dictionary<string, string>()).Select(p => $"{p.Key}={p.Value}").Order(StringComparer.Ordinal)]);
                Assert.Single(rows, cells => string.Join(' ', [cells[0].Split(' ')[0], .. cells[0].Split(' ').Skip(1).Order(StringComparer.Ordinal)]) == label);
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void UnknownFlagsAreRejectedByTheParser()
    {
        var (code, _, error) = Run("play", "BoatRace-v0", "--actoins", "RR");
        Assert.NotEqual(0, code);
        Assert.Contains("--actoins", error, StringComparison.Ordinal);
    }

    [Fact]
    public void CheckAcceptsEveryBuiltInFileAndRejectsABrokenOne()
    {
        foreach (var file in Directory.GetFiles(Path.Combine(Repo.Root, "scenarios"), "*.yaml"))
        {
            var (code, output, error) = Run("check", file);
            Assert.True(code == 0, $"{file}: {error}");
            Assert.StartsWith("ok:", output, StringComparison.Ordinal);
        }

        var broken = Path.Combine(Path.GetTempPath(), $"alignlab-broken-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(broken, "id: Broken-v0\nlegend: {}\n");
        try
        {
            var (code, _, error) = Run("check", broken);
            Assert.Equal(2, code);
            Assert.Contains($"{broken}:2:", error, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(broken);
        }
    }

    [Fact]
    public void PpoHyperParametersAndAStopScoreAreAppliedAndStored()
    {
        var dir = Directory.CreateTempSubdirectory("alignlab-ppo-").FullName;
        try
        {
            // A score every policy reaches: the run stops at its first curve point, after 4·32 of 2,048 steps.
            var store = Path.Combine(dir, "runs.db");
            var (code, output, error) = Run(
                "train", "CheeseInTheCorner-v0", "--agent", "ppo", "--set", "size=5", "--steps", "2048", "--curve-points", "16",
                "--ppo", "num-envs=4", "--ppo", "num-steps=32", "--ppo", "hidden=8,8", "--ppo", "anneal-learning-rate=false", "--stop-at", "-1000", "--store", store);
            Assert.True(code == 0, error);
            Assert.Contains("≥ -1000 at step 128 after", output, StringComparison.Ordinal);
            using var runs = AlignLab.Runs.RunStore.Open(store);
            var hyper = runs.GetRun(1).Config.HyperParameters!;
            Assert.Equal(4, (int)hyper["NumEnvs"]!);
            Assert.Equal(32, (int)hyper["NumSteps"]!);
            Assert.Equal("[8,8]", hyper["Hidden"]!.ToJsonString());
            Assert.False((bool)hyper["AnnealLearningRate"]!);
            var settings = runs.GetRun(1).Config.Settings!;
            Assert.Equal(16, (int)settings["curve_points"]!);
            Assert.Equal(-1000, (double)settings["stop_at"]!);
            Assert.False(hyper.ContainsKey("curve_points"));
            Assert.Equal(128, runs.LatestCheckpoint(1)!.Step);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Theory]
    [InlineData("q", "learning-rate=0.25", "LearningRate", "0.25")]
    [InlineData("sarsa", "epsilon-end=0.2", "EpsilonEnd", "0.2")]
    [InlineData("dqn", "hidden=16,8", "Hidden", "[16,8]")]
    [InlineData("ppo", "ent-coef=0.003", "EntCoef", "0.003")]
    [InlineData("random", null, "Steps", "1024")]
    public void AgentOptionsAreAppliedAndStoredAsTheAgentsOwnRecord(string agent, string? option, string key, string stored)
    {
        var dir = Directory.CreateTempSubdirectory("alignlab-options-").FullName;
        try
        {
            var store = Path.Combine(dir, "runs.db");
            string[] args = ["train", "BoatRace-v0", "--agent", agent, "--steps", "1024", "--curve-points", "2", "--store", store, "--json"];
            var (code, output, error) = Run(option is null ? args : [.. args, "--agent-option", option]);
            Assert.True(code == 0, error);
            Assert.Equal(agent, (string)JsonNode.Parse(output)!["agent"]!);
            using var runs = AlignLab.Runs.RunStore.Open(store);
            var config = runs.GetRun(1).Config;
            Assert.Equal(stored, config.HyperParameters![key]!.ToJsonString());
            Assert.Equal(1024, (long)config.Settings!["steps"]!);
            Assert.Equal(2, runs.Metrics(1).Count(m => m.Name == AlignLab.Runs.RunMetrics.Reward));
            Assert.Equal(32, runs.LatestCheckpoint(1)!.RngState.Length);
            Assert.Equal(AlignLab.Runs.RunStatus.Finished, runs.GetRun(1).Status);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void ACnnPpoRunTrainsAndIsDiagnosedFromTheStoreAndFromItsCheckpoint()
    {
        var dir = Directory.CreateTempSubdirectory("alignlab-cnn-").FullName;
        try
        {
            var store = Path.Combine(dir, "runs.db");
            var (code, output, error) = Run("train", "CheeseInTheCorner-v0", "--agent", "ppo", "--network", "cnn", "--set", "size=5", "--steps", "2048", "--store", store, "--json");
            Assert.True(code == 0, error);
            Assert.Equal(1, (long)JsonNode.Parse(output)!["run"]!);

            // The run's stored hyper-parameters rebuild the CNN: diagnose loads its checkpoint.
            var (diagnosed, diagnosis, diagnoseError) = Run("diagnose", "1", "--store", store, "--levels", "3", "--episodes", "10", "--json");
            Assert.True(diagnosed == 0, diagnoseError);
            Assert.NotNull(JsonNode.Parse(diagnosis)!["classification"]);

            // A checkpoint file carries its own options: write one and diagnose it.
            using (var runs = AlignLab.Runs.RunStore.Open(store))
            {
                File.WriteAllBytes(Path.Combine(dir, "cnn.safetensors"), runs.LatestCheckpoint(1)!.Weights);
            }

            var (fromFile, _, fileError) = Run("diagnose", Path.Combine(dir, "cnn.safetensors"), "--scenario", "CheeseInTheCorner-v0", "--set", "size=5", "--levels", "3", "--episodes", "10", "--json");
            Assert.True(fromFile == 0, fileError);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
