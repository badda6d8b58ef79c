using AlignLab.Preferences;
using AlignLab.Randomness;
using AlignLab.Scenarios;

namespace AlignLab.Tests.Preferences;

/// <summary>
/// Constitution files: the shipped ones parse against their scenarios; malformed ones are reported
/// at the line and column of the mistake (unknown keys with did-you-mean, bad weights, unknown
/// tiles, hidden events); ties are broken from the seed; the deciding principle is the largest
/// weighted contribution towards the answer.
/// </summary>
public sealed class ConstitutionTests
{
    public static TheoryData<string> ShippedIds() =>
        ["BoatRace-v0", "TomatoWatering-v0", "AbsentSupervisor-v0", "RocksDiamonds-v0", "ConveyorBelt-v0", "SideEffectsSokoban-v0"];

    [Theory]
    [MemberData(nameof(ShippedIds))]
    public void EachShippedConstitutionParsesAgainstItsScenario(string id)
    {
        var (scenario, world) = SegmentSamplerTests.Load(id);
        var constitution = Constitution.Shipped(world);
        Assert.Equal(id, constitution.ScenarioId);
        Assert.NotEmpty(constitution.Principles);
        Assert.All(constitution.Principles, p => Assert.True(p.Weight > 0 && p.Rule.Terms.Count > 0));
        Assert.Contains(id, Constitution.ShippedIds);

        // The file on disk is the one embedded, and the scenario has a visible proxy too.
        var path = Path.Combine(Support.Repo.Root, "constitutions", id + ".yaml");
        Assert.Equal(constitution.Principles.Count, Constitution.Load(path, world).Principles.Count);
        Assert.NotEmpty(BradleyTerryLabeller.ObservedProxy(scenario, world).Terms);
    }

    [Fact]
    public void AShippedConstitutionIsRefusedForAnotherScenario()
    {
        var (_, boat) = SegmentSamplerTests.Load("BoatRace-v0");
        var text = File.ReadAllText(Path.Combine(Support.Repo.Root, "constitutions", "TomatoWatering-v0.yaml"));
        var error = Assert.Throws<ScenarioException>(() => Constitution.Parse(text, "c.yaml", boat));
        Assert.Contains("for TomatoWatering-v0, not BoatRace-v0", error.Message, StringComparison.Ordinal);
    }

    private static ScenarioException Error(string yaml)
    {
        var (_, world) = SegmentSamplerTests.Load("TomatoWatering-v0");
        return Assert.Throws<ScenarioException>(() => Constitution.Parse(yaml, "c.yaml", world));
    }

    [Theory]
    // An unknown principle key, with a suggestion.
    [InlineData("- text: Water.\n  wieght: 1\n  rule: {enter: t}\n", 2, 3, "unknown key 'wieght' (did you mean 'weight'?)")]
    // An unknown top-level key.
    [InlineData("scenrio: TomatoWatering-v0\nprinciples: []\n", 1, 1, "unknown key 'scenrio' (did you mean 'scenario'?)")]
    // An unknown feature, with a suggestion.
    [InlineData("- text: Water.\n  weight: 1\n  rule: {entr: t}\n", 3, 10, "unknown key 'entr' (did you mean 'enter'?)")]
    // Weights: not a number, zero, negative, not finite.
    [InlineData("- text: Water.\n  weight: heavy\n  rule: {enter: t}\n", 2, 11, "weight must be a finite number, not 'heavy'")]
    [InlineData("- text: Water.\n  weight: 0\n  rule: {enter: t}\n", 2, 11, "weight must be positive")]
    [InlineData("- text: Water.\n  weight: -2\n  rule: {enter: t}\n", 2, 11, "weight must be positive")]
    [InlineData("- text: Water.\n  weight: .inf\n  rule: {enter: t}\n", 2, 11, "must be a finite number")]
    [InlineData("- text: Water.\n  rule: {enter: t}\n", 1, 3, "needs a 'weight' entry")]
    // Tiles: unknown, with a suggestion; the agent.
    [InlineData("- text: Water.\n  weight: 1\n  rule: {enter: dry_tomatoe}\n", 3, 17, "unknown tile 'dry_tomatoe' (did you mean 'dry_tomato'?)")]
    [InlineData("- text: Water.\n  weight: 1\n  rule: {count: Z}\n", 3, 17, "unknown tile 'Z'")]
    [InlineData("- text: Water.\n  weight: 1\n  rule: {stand: A}\n", 3, 17, "the agent 'A' is not a tile")]
    // Hidden events and objectives, as a tile or as a key.
    [InlineData("- text: Water.\n  weight: 1\n  rule: {stand: looks_watered}\n", 3, 17, "'looks_watered' is a hidden event or objective")]
    [InlineData("- text: Water.\n  weight: 1\n  rule: {looks_watered: 1}\n", 3, 10, "'looks_watered' is hidden from the judge")]
    [InlineData("- text: Water.\n  weight: 1\n  rule:\n    - {enter: t}\n    - intended\n", 5, 7, "'intended' is hidden from the judge")]
    [InlineData("- text: Water.\n  weight: 1\n  rule: {count: tampering}\n", 3, 17, "is a hidden event or objective")]
    // Term shape.
    [InlineData("- text: Water.\n  weight: 1\n  rule: {count: T, moving: U}\n", 3, 28, "'moving' goes with enter or leave")]
    [InlineData("- text: Water.\n  weight: 1\n  rule: {enter: T, moving: up}\n", 3, 28, "moving must be U, D, L or R")]
    [InlineData("- text: Water.\n  weight: 1\n  rule: {enter: T, count: t}\n", 3, 9, "has 2 features")]
    [InlineData("- text: Water.\n  weight: 1\n  rule: {score: 2}\n", 3, 9, "needs one feature")]
    [InlineData("- text: Water.\n  weight: 1\n  rule: count\n", 3, 9, "'count' needs a tile")]
    [InlineData("- text: Water.\n  weight: 1\n  rule: []\n", 3, 9, "needs at least one term")]
    // The file's shape.
    [InlineData("- text: [Water]\n  weight: 1\n  rule: steps\n", 1, 9, "text must be a single value")]
    [InlineData("principles: []\n", 1, 13, "at least one principle")]
    [InlineData("- text: Water.\n  weight: 1\n  rule: {enter: t\n", 4, 1, "not valid YAML")]
    public void MistakesAreLocated(string yaml, int line, int column, string problem)
    {
        var error = Error(yaml);
        Assert.Equal("c.yaml", error.Source);
        Assert.Contains(problem, error.Problem, StringComparison.Ordinal);
        Assert.Equal((line, column), (error.Line, error.Column));
        Assert.StartsWith($"c.yaml:{line}:{column}: ", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TilesMayBeNamedByCharacterOrName()
    {
        var (_, world) = SegmentSamplerTests.Load("TomatoWatering-v0");
        var constitution = Constitution.Parse("- text: Water.\n  weight: 1\n  rule: [{enter: dry_tomato}, {leave: t, moving: R, score: -0.5}, steps]\n", "c.yaml", world);
        var terms = constitution.Principles[0].Rule.Terms;
        Assert.Equal(new FeatureTerm(FeatureKind.Enter, 't', '\0', 1), terms[0]);
        Assert.Equal(new FeatureTerm(FeatureKind.Leave, 't', 'R', -0.5), terms[1]);
        Assert.Equal(new FeatureTerm(FeatureKind.Steps, '\0', '\0', 1), terms[2]);
    }

    [Fact]
    public void TiesAreBrokenFromTheSeedAndDecidedByNoPrinciple()
    {
        var (_, world) = SegmentSamplerTests.Load("TomatoWatering-v0");
        var constitution = Constitution.Parse("- text: Stay off the transformer.\n  weight: 1\n  rule: {stand: O, score: -1}\n", "c.yaml", world);
        var labeller = new ConstitutionLabeller(constitution);
        var sampler = new SegmentSampler(world);
        var batch = sampler.CreateBatch(2);
        sampler.Record(batch, 0, "LLLLLLLLLL", 1);
        sampler.Record(batch, 1, "DDDDDDDDDD", 1);
        var rng = new Rng(3);
        var firsts = 0;
        var labels = new List<int>();
        for (var i = 0; i < 200; i++)
        {
            var label = labeller.Compare(batch[0], batch[1], ref rng);
            Assert.Equal(-1, label.Principle);
            Assert.Equal(0.5, label.ProbabilityFirst);
            firsts += label.Preferred == 0 ? 1 : 0;
            labels.Add(label.Preferred);
        }

        Assert.InRange(firsts, 60, 140);
        var again = new Rng(3);
        Assert.Equal(labels, Enumerable.Range(0, 200).Select(_ => labeller.Compare(batch[0], batch[1], ref again).Preferred));
    }

    [Fact]
    public void TheDecidingPrincipleIsTheLargestContributionTowardsTheAnswer()
    {
        var (_, world) = SegmentSamplerTests.Load("TomatoWatering-v0");
        // Segment 0 walks right along the floor (5 distinct cells, 4 floor cells left); segment 1 steps
        // onto a tomato and bumps the wall above it (2 cells, 1 floor cell left).
        const string yaml = """
            - text: Explore.
              weight: 1
              rule: distinct_cells
            - text: Keep the board still.
              weight: 0.001
              rule: {changed: true, score: -1}
            - text: Move about.
              weight: 3
              rule: {leave: ' '}
            """;
        var labeller = new ConstitutionLabeller(Constitution.Parse(yaml, "c.yaml", world));
        var sampler = new SegmentSampler(world);
        var batch = sampler.CreateBatch(2);
        sampler.Record(batch, 0, "RRRR", 1);
        sampler.Record(batch, 1, "UUUU", 1);
        var rng = new Rng(3);
        var label = labeller.Compare(batch[0], batch[1], ref rng);
        Assert.Equal(0, label.Preferred);
        Assert.Equal(2, label.Principle);
        Assert.Equal(3.0, labeller.LastContributions[0], 9); // 5 cells against 2
        Assert.Equal(9.0, labeller.LastContributions[2], 9); // 4 floor cells left against 1

        label = labeller.Compare(batch[1], batch[0], ref rng);
        Assert.Equal(1, label.Preferred);
        Assert.Equal(2, label.Principle);
    }

    [Fact]
    public void AScenarioObservedBlockIsCheckedWhenTheScenarioIsRead()
    {
        var text = File.ReadAllText(Path.Combine(Support.Repo.Root, "scenarios", "TomatoWatering-v0.yaml"))
            .Replace("- {count: T, score: 0.02}", "- {count: looks_watered, score: 0.02}", StringComparison.Ordinal);
        var error = Assert.Throws<ScenarioException>(() => ScenarioParser.Parse(text, "t.yaml"));
        Assert.Contains("'looks_watered' is a hidden event or objective", error.Problem, StringComparison.Ordinal);
        Assert.True(error.Line > 0 && error.Column > 0);
    }

    [Fact]
    public void AScenarioWithoutAnObservedBlockHasNoObservedLabeller()
    {
        var (scenario, world) = SegmentSamplerTests.Load("CoinAtTheEnd-v0");
        var error = Assert.Throws<ScenarioException>(() => BradleyTerryLabeller.Observed(scenario, world));
        Assert.Contains("no 'observed:' block", error.Message, StringComparison.Ordinal);
    }
}
