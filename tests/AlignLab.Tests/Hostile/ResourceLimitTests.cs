using System.Diagnostics;
using AlignLab.Diagnostics;
using AlignLab.Scenarios;
using AlignLab.Solve;

namespace AlignLab.Tests.Hostile;

/// <summary>
/// Issue 17's resource-limit items: generated maps, scenario files and exact-solver models past
/// their caps stop at once with one located line, with small settable caps standing in for gigabytes.
/// </summary>
public sealed class ResourceLimitTests
{
    private const string Legend = """
        legend:
          '#': {name: wall, blocks: true}
          ' ': {name: floor}
          'A': {name: mouse, agent: true, on: ' '}
          'C': {name: cheese, touch: cheese, terminal: true}
          'M': {name: monster, touch: hit}
        """;

    private const string Objectives = """
        reward:
          cheese: 1
          hit: -1
        intended:
          cheese: 1
        """;

    // Item 8: a 12×12 room with six monsters that each wander with probability 0.5 (5⁶ branches per step).
    private const string MonsterRoom = """
        levels:
          - |
            ############
            #A        C#
            #          #
            #  M    M  #
            #          #
            #          #
            #    M     #
            #          #
            # M      M #
            #          #
            #     M    #
            ############
        distributions:
          train: [0]
        components:
          - type: wander
            with: {symbol: M, onto: ' ', probability: 0.5}
        """;

    private static string Scenario(string id, string body) => $"id: {id}\ntitle: t\ndescription: t\nmax_steps: 50\nactions: UDLR\n{Legend}\n{body}\n{Objectives}\n";

    private static string Generated(string generator, int height, int width) =>
        Scenario("Huge-v0", $"distributions:\n  train:\n    generator: {generator}\n    with: {{height: {height}, width: {width}, objects: C}}");

    private static (int Code, string Out, string Err) Cli(IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "AlignLab.Cli.dll"));
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        return (process.ExitCode, stdout.Result, stderr.Result);
    }

    private static string TempFile(string text)
    {
        var path = Path.Combine(Path.GetTempPath(), $"alignlab-limits-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(path, text);
        return path;
    }

    // Item 1: a 100001×100001 tree_maze threw IndexOutOfRangeException in Carve; every generator now has the cap.
    [Theory]
    [InlineData("tree_maze", 100001, 100001)]
    [InlineData("edge_maze", 100001, 100001)]
    [InlineData("open_room", 100001, 100001)]
    [InlineData("block_maze", 100001, 100001)]
    [InlineData("corridor", 100001, 100001)]
    [InlineData("tree_maze", 257, 257)]
    public void EveryGeneratorRefusesAMapOverTheCellCapBeforeAnyWork(string generator, int height, int width)
    {
        var error = Assert.Throws<ScenarioException>(() => ScenarioParser.Parse(Generated(generator, height, width), "huge.yaml"));
        Assert.Equal("huge.yaml", error.Source);
        Assert.True(error.Line > 0, error.Message);
        Assert.Contains("at most 65,536 cells", error.Message, StringComparison.Ordinal);
        Assert.Contains($"{height}×{width}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AMapAtTheCellCapIsAccepted() =>
        ScenarioParser.Parse(Generated("open_room", 256, 256), "room.yaml");

    // Item 7: check on a 4001×4001 tree_maze passed 17 GB; now it stops at once with one line.
    [Fact]
    public void CheckOnA4001By4001TreeMazeStopsWithOneLine()
    {
        var path = TempFile(Generated("tree_maze", 4001, 4001));
        try
        {
            var (code, output, error) = Cli(null, "check", path);
            Assert.Equal(2, code);
            Assert.Equal(string.Empty, output);
            Assert.Single(error.TrimEnd('\n').Split('\n'));
            Assert.Contains("4001×4001", error, StringComparison.Ordinal);
            Assert.Contains("65,536 cells", error, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    // Item 8: solve on the wandering-monster room ran for minutes to 8 GB; now a state or memory limit stops it.
    [Fact]
    public void SolvingTheWanderingMonsterRoomStopsAtTheStateLimit()
    {
        var scenario = ScenarioParser.Parse(Scenario("Monsters-v0", MonsterRoom), "monsters.yaml");
        var error = Assert.Throws<SolverLimitException>(() => SpecificationGap.Analyze(scenario, null, new SolverLimits(MaxStates: 1000)));
        Assert.Equal(1001, error.StatesReached);
        Assert.Contains("state limit of 1,000", error.Message, StringComparison.Ordinal);
        Assert.Contains("--max-states", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SolvingTheWanderingMonsterRoomStopsAtTheMemoryLimit()
    {
        var scenario = ScenarioParser.Parse(Scenario("Monsters-v0", MonsterRoom), "monsters.yaml");
        var error = Assert.Throws<SolverLimitException>(() => SpecificationGap.Analyze(scenario, null, new SolverLimits(MaxMemoryBytes: 16L << 20)));
        Assert.InRange(error.StatesReached, 1, 16L << 20);
        Assert.Contains("memory limit of 16 MB", error.Message, StringComparison.Ordinal);
        Assert.Contains("--max-memory", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SolveTakesTheLimitsFromTheCommandLine()
    {
        var path = TempFile(Scenario("Monsters-v0", MonsterRoom));
        try
        {
            var (code, _, error) = Cli(null, "solve", path, "--max-states", "1000");
            Assert.Equal(2, code);
            Assert.Single(error.TrimEnd('\n').Split('\n'));
            Assert.Contains("stopped at 1,001 states", error, StringComparison.Ordinal);

            (code, _, error) = Cli(null, "solve", path, "--max-memory", "lots");
            Assert.Equal(2, code);
            Assert.Contains("--max-memory", error, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    // Item 9: solve and train on a 500×500 map filled gigabytes; the map is refused before enumerating.
    [Fact]
    public void A500By500MapIsRefusedBeforeEnumerating()
    {
        var rows = new List<string> { new('#', 500), "#A" + new string(' ', 496) + "C#" };
        rows.AddRange(Enumerable.Repeat("#" + new string(' ', 498) + "#", 497));
        rows.Add(new string('#', 500));
        var level = string.Concat(rows.Select(r => $"    {r}\n"));
        var scenario = ScenarioParser.Parse(Scenario("Map-v0", $"levels:\n  - |\n{level}distributions:\n  train: [0]"), "map.yaml");

        var solve = Assert.Throws<SolverLimitException>(() => SpecificationGap.Analyze(scenario));
        Assert.Equal(0, solve.StatesReached);
        Assert.Contains("500×500 = 250,000", solve.Message, StringComparison.Ordinal);

        // train solves its training levels through a DistributionEvaluator first.
        var train = Assert.Throws<SolverLimitException>(() => new DistributionEvaluator(scenario, "train", 1, 0));
        Assert.Contains("at most 65,536 cells", train.Message, StringComparison.Ordinal);
    }

    // The factored tomato model (open cells × 2^tomatoes states) was built outside the solver's limits.
    [Fact]
    public void TheFactoredTomatoModelIsCountedAgainstTheLimits()
    {
        var scenario = ScenarioRegistry.BuiltIn.Get("TomatoWatering-v0");
        var world = scenario.Build(new BuildOptions(Distribution: "train"));
        var states = ExactSolution.Create(world).StateCount;

        var overStates = Assert.Throws<SolverLimitException>(() => ExactSolution.Create(world, SolverLimits.Default with { MaxStates = states - 1 }));
        Assert.Equal(states, overStates.StatesReached);
        Assert.Contains($"factored tomato model has {states:N0} states", overStates.Message, StringComparison.Ordinal);
        Assert.Contains("--max-states", overStates.Message, StringComparison.Ordinal);

        var overMemory = Assert.Throws<SolverLimitException>(() => ExactSolution.Create(world, SolverLimits.Default with { MaxMemoryBytes = sizeof(double) * (long)states }));
        Assert.Contains("--max-memory", overMemory.Message, StringComparison.Ordinal);
        Assert.Equal(states, ExactSolution.Create(world, SolverLimits.Default with { MaxStates = states }).StateCount);
    }

    // Item 11: every solve allocated a 64 MB state chunk; a small model now allocates little.
    [Fact]
    public void ASmallModelAllocatesLittle()
    {
        var scenario = ScenarioRegistry.BuiltIn.Get("CheeseInTheCorner-v0");
        var level = scenario.SampleLevels("train", 1, seed: 0).Single();
        var world = scenario.Build(new BuildOptions(Distribution: "train") { FixedLevel = level });
        var budget = new SolverBudget(world.Id, SolverLimits.Default);
        var model = EnumeratedModel.Build(world, SolverLimits.DefaultMaxStates, budget);
        Assert.InRange(model.StateCount, 2, 1000);
        Assert.InRange(budget.Bytes, 1, 2L << 20);
    }

    [Fact]
    public void QLearningOnCheeseInTheCornerRunsUnderA512MegabyteHeap()
    {
        var store = Path.Combine(Path.GetTempPath(), $"alignlab-limits-{Guid.NewGuid():N}.db");
        try
        {
            var environment = new Dictionary<string, string> { ["DOTNET_GCHeapHardLimit"] = "0x20000000" };
            var (code, output, error) = Cli(environment, "train", "CheeseInTheCorner-v0", "--agent", "q", "--steps", "100", "--store", store);
            Assert.True(code == 0, error);
            Assert.Contains("verdict", output, StringComparison.Ordinal);
        }
        finally
        {
            foreach (var file in Directory.GetFiles(Path.GetTempPath(), Path.GetFileName(store) + "*"))
            {
                File.Delete(file);
            }
        }
    }

    // Item 12: check /dev/zero reached 3 GB in 7.5 s; files are capped, checked before reading them whole.
    [Fact]
    public void AScenarioFileOverTheCapIsRefusedBeforeReading()
    {
        var path = TempFile(new string('#', ScenarioParser.MaxFileBytes + 1));
        try
        {
            var error = Assert.Throws<ScenarioException>(() => ScenarioParser.ParseFile(path));
            Assert.Equal(path, error.Source);
            Assert.Contains("larger than 1 MB", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }

        if (OperatingSystem.IsLinux())
        {
            var endless = Assert.Throws<ScenarioException>(() => ScenarioParser.ParseFile("/dev/zero"));
            Assert.Contains("larger than 1 MB", endless.Message, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("8GB", 8L << 30)]
    [InlineData("512mb", 512L << 20)]
    [InlineData("1.5KB", 1536)]
    [InlineData("1000000", 1000000)]
    public void MemoryLimitsReadBinaryUnits(string text, long bytes) => Assert.Equal(bytes, SolverLimits.ParseBytes(text, "--max-memory"));
}
