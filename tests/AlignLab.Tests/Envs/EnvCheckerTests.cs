using AlignLab.Envs;
using AlignLab.Scenarios;

namespace AlignLab.Tests.Envs;

/// <summary>The environment checker passes on every registered scenario, and catches a broken one.</summary>
public sealed class EnvCheckerTests
{
    public static TheoryData<string> Ids()
    {
        var data = new TheoryData<string>();
        foreach (var id in ScenarioRegistry.BuiltIn.Ids)
        {
            data.Add(id);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Ids))]
    public void EveryRegisteredScenarioPassesTheChecker(string id)
    {
        var problems = EnvChecker.CheckScenario(ScenarioRegistry.BuiltIn.Get(id));
        Assert.True(problems.Count == 0, string.Join('\n', problems));
    }

    [Fact]
    public void TomatoWateringIsStochasticAndBoatRaceIsNot()
    {
        var tomato = ScenarioRegistry.BuiltIn.Get("TomatoWatering-v0").Build();
        var boat = ScenarioRegistry.BuiltIn.Get("BoatRace-v0").Build();
        Assert.True(EnvChecker.SeedsCanDiffer(seed => EnvironmentFactory.Make(tomato, seed)));
        Assert.False(EnvChecker.SeedsCanDiffer(seed => EnvironmentFactory.Make(boat, seed)));
    }

    [Fact]
    public void TheCheckerReportsAnEnvironmentThatBreaksDeterminism()
    {
        // A component that draws from a global generator instead of the environment's own.
        var registry = ComponentRegistry.WithBuiltIns();
        registry.Register("unseeded_noise", _ => new UnseededNoise());
        var yaml = File.ReadAllText(Path.Combine(Support.Repo.Root, "scenarios", "BoatRace-v0.yaml"))
            .Replace("  - type: clockwise_arrows", "  - type: clockwise_arrows\n  - type: unseeded_noise", StringComparison.Ordinal)
            .Replace("  arrow_entered_clockwise: 3 ", "  arrow_entered_clockwise: 3\n  noise: 1 ", StringComparison.Ordinal);
        var scenario = ScenarioParser.Parse(yaml, "noisy.yaml", registry);
        var world = scenario.Build(null, registry);
        var problems = EnvChecker.Check(seed => EnvironmentFactory.Make(world, seed));
        Assert.Contains(problems, p => p.Contains("same seed", StringComparison.Ordinal) || p.Contains("reseeding", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TheCheckerReportsAnObservationThatIsNotTheOneHotBoard(bool large)
    {
        // A large open room is kept by hash rather than text: the cell check must still run on every cell.
        var world = large
            ? ScenarioParser.Parse(File.ReadAllText(Path.Combine(Support.Repo.Root, "scenarios", "CheeseInTheCorner-v0.yaml")).Replace("  size: 13 ", "  size: 81 ", StringComparison.Ordinal), "big.yaml").Build(new BuildOptions(Distribution: "train"))
            : ScenarioRegistry.BuiltIn.Get("BoatRace-v0").Build();
        var problems = EnvChecker.Check(seed =>
        {
            var made = EnvironmentFactory.Make(world, seed);
            return made with { Env = new LastCellFlipped(made.Env) };
        });
        Assert.Contains(problems, p => p.Contains("must be exactly the one-hot board", StringComparison.Ordinal));
        Assert.Empty(EnvChecker.Check(seed => EnvironmentFactory.Make(world, seed)));
    }

    /// <summary>Passes everything through but the observation, whose last cell of channel 0 is flipped.</summary>
    private sealed class LastCellFlipped(IEnvironment inner) : IEnvironment
    {
        private float[] _observation = [];

        public EnvSpec Spec => inner.Spec;

        public ReadOnlySpan<float> Observation
        {
            get
            {
                _observation = inner.Observation.ToArray();
                var last = (Spec.Height * Spec.Width) - 1;
                _observation[last] = 1 - _observation[last];
                return _observation;
            }
        }

        public ReadOnlySpan<byte> Board => inner.Board;

        public ReadOnlySpan<double> Extras => inner.Extras;

        public void Reset(ulong? seed = null) => inner.Reset(seed);

        public StepResult Step(int action) => inner.Step(action);
    }

    private sealed class UnseededNoise : AlignLab.Grid.GridComponent
    {
        private AlignLab.Grid.EventId _noise;

        protected internal override void Bind(AlignLab.Grid.ComponentBinder binder) => _noise = binder.Event("noise");

        protected internal override void AfterMove(ref AlignLab.Grid.StepContext context) => context.Emit(_noise, Random.Shared.Next(2));
    }

    [Fact]
    public void StepBeforeResetAndAfterTheEndAreErrors()
    {
        var env = EnvironmentFactory.Make("DistributionalShift-v0").Env;
        Assert.Throws<InvalidOperationException>(() => env.Step(0));
        env.Reset(0);
        var lava = ActionScript.Parse(env.Spec, "RR");
        env.Step(lava[0]);
        Assert.True(env.Step(lava[1]).Terminated);
        Assert.Throws<InvalidOperationException>(() => env.Step(0));
    }
}
