using AlignLab.Curricula;
using AlignLab.Diagnostics;
using AlignLab.Reports;
using AlignLab.Runs;
using CsCheck;

namespace AlignLab.Tests.Curricula;

/// <summary>A curriculum comparison kept as an analysis: what is saved to the SQLite store is read back equal.</summary>
public sealed class CurriculumStoreTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("alignlab-curricula-store-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void AnyComparisonIsReadBackFromTheStoreEqual()
    {
        using var store = RunStore.Open(Path.Combine(_dir, "runs.db"));
        var run = store.CreateRun(new RunConfig("CheeseInTheCorner-v0", "ppo", 0));
        Tables().Sample(table =>
        {
            var saved = new CurriculumAnalysis("alignlab curricula CheeseInTheCorner-v0 --seeds 2", table);
            var id = AnalysisJson.Save(store, run, saved);
            var record = store.Analyses(run, AnalysisKinds.Curricula)[^1];
            Assert.Equal(id, record.Id);
            var read = AnalysisJson.Read<CurriculumAnalysis>(record).Analysis;
            Assert.Equal(record.Json, AnalysisJson.ToJson(read));
            Assert.Equal(saved.Command, read.Command);
            SameTable(table, read.Table);
        }, iter: 40, threads: 1);
    }

    [Fact]
    public void AStoredComparisonIsAnalysedAsACurriculumComparison()
    {
        using var store = RunStore.Open(Path.Combine(_dir, "kinds.db"));
        var run = store.CreateRun(new RunConfig("CheeseInTheCorner-v0", "ppo", 0));
        var table = Example();
        AnalysisJson.Save(store, run, new CurriculumAnalysis("alignlab curricula x", table));
        var record = Assert.Single(store.Analyses(run));
        Assert.Equal(AnalysisKinds.Curricula, record.Kind);
        var problems = new List<string>();
        var analyses = RunAnalyses.From(store.Analyses(run), problems);
        Assert.Empty(problems);
        Assert.False(analyses.IsEmpty);
        SameTable(table, Assert.Single(analyses.Curricula).Analysis.Table);

        // Another kind's record is not read as a comparison.
        Assert.Equal($"analysis {record.Id} of run {run} is of kind curricula, not mesa.", Assert.Throws<RunStoreException>(() => AnalysisJson.Read<MesaAnalysisRecord>(record)).Message);
    }

    /// <summary>Compares two tables value by value (NaN equal to NaN), so a field the JSON dropped would show.</summary>
    internal static void SameTable(ComparisonTable expected, ComparisonTable actual)
    {
        Assert.Equal(expected.ScenarioId, actual.ScenarioId);
        Assert.Equal(expected.StepsPerRun, actual.StepsPerRun);
        var (e, a) = (expected.Spec, actual.Spec);
        Assert.Equal(e.ScenarioId, a.ScenarioId);
        Assert.Equal(e.Kinds, a.Kinds);
        Assert.Equal(e.Scores, a.Scores);
        Assert.Equal(e.Alphas.Count, a.Alphas.Count);
        for (var i = 0; i < e.Alphas.Count; i++)
        {
            Same(e.Alphas[i], a.Alphas[i]);
        }

        Assert.Equal((e.Seeds, e.Steps, e.EvalLevels, e.Preset), (a.Seeds, a.Steps, a.EvalLevels, a.Preset));
        Assert.Equal(e.PpoOverrides, a.PpoOverrides);
        Assert.Equal(e.Set?.OrderBy(p => p.Key, StringComparer.Ordinal), a.Set?.OrderBy(p => p.Key, StringComparer.Ordinal));
        Assert.Equal(e.Curriculum, a.Curriculum);
        Assert.Equal(expected.Rows.Count, actual.Rows.Count);
        foreach (var (x, y) in expected.Rows.Zip(actual.Rows))
        {
            Assert.Equal((x.Kind, x.Score), (y.Kind, y.Score));
            Same(x.Alpha, y.Alpha);
            SameEstimate(x.Deploy, y.Deploy);
            SameEstimate(x.DeployReturn, y.DeployReturn);
            SameEstimate(x.Train, y.Train);
            Same(x.PvlCorrelation, y.PvlCorrelation);
            Same(x.MaxMcCorrelation, y.MaxMcCorrelation);
            Same(x.ExactRegret, y.ExactRegret);
            Assert.Equal(x.PerSeed.Count, y.PerSeed.Count);
            for (var i = 0; i < x.PerSeed.Count; i++)
            {
                Same(x.PerSeed[i], y.PerSeed[i]);
            }
        }
    }

    /// <summary>
    /// A comparison as the report would get it: DR and PLR⊥ with PVL and ACCEL with MaxMC, α given out of order, one
    /// value not measured (NaN) and one cell whose seeds differ in count.
    /// </summary>
    internal static ComparisonTable Example()
    {
        static Estimate E(double mean, double half, int n = 2) => new(mean, mean - half, mean + half, n);
        var spec = new ComparisonSpec("CheeseInTheCorner-v0", [CurriculumKind.Dr, CurriculumKind.Plr, CurriculumKind.Accel], [LevelScoreKind.Pvl, LevelScoreKind.MaxMc], [0.1, 0], 2, 4096, 8, new Dictionary<string, string> { ["size"] = "7" }, "small", ["num-envs=4"], new CurriculumOptions { BufferSize = 16 });
        ComparisonRow[] rows =
        [
            new(CurriculumKind.Dr, LevelScoreKind.Pvl, 0.1, E(-0.25, 0.5), E(0.4, 0.125), E(0.75, 0.0625), -0.5, -0.625, 0.6, [-0.5, 0]),
            new(CurriculumKind.Dr, LevelScoreKind.Pvl, 0, E(-0.875, 0.25), E(0.25, 0.0625), E(0.7, 0.03125), -0.375, double.NaN, 0.75, [-1, -0.75]),
            new(CurriculumKind.Plr, LevelScoreKind.Pvl, 0.1, E(0.125, 0.375), E(0.6, 0.25), E(0.9, 0.125), -0.25, -0.125, 0.375, [0, 0.25]),
            new(CurriculumKind.Plr, LevelScoreKind.Pvl, 0, E(-0.5, 0.75), E(0.375, 0.25), E(0.875, 0.25), -0.5, -0.5, 0.625, [-1.25, 0.25]),
            new(CurriculumKind.Accel, LevelScoreKind.MaxMc, 0, E(-0.625, 0, 1), E(0.3, 0, 1), E(0.5, 0, 1), -0.75, -0.25, 0.7, [-0.625]),
        ];
        return new ComparisonTable(spec, "CheeseInTheCorner-v0", 4096, rows);
    }

    /// <summary>Random comparisons: any methods, scores, α and seeds, values anywhere and sometimes NaN (not measured).</summary>
    internal static Gen<ComparisonTable> Tables()
    {
        var value = Gen.Frequency((4, Gen.Double[-3, 3]), (1, Gen.Const(double.NaN)));
        var estimate = Gen.Select(value, Gen.Double[0, 2], Gen.Double[0, 2], Gen.Int[0, 5]).Select((m, below, above, n) => new Estimate(m, m - below, m + above, n));
        var kind = Gen.Enum<CurriculumKind>();
        var score = Gen.Enum<LevelScoreKind>();
        var row = Gen.Select(kind, score, Gen.Double[0, 1], estimate, estimate, estimate, Gen.Select(value, value, value, value.Array[1, 4]))
            .Select((k, s, alpha, deploy, ret, train, rest) => new ComparisonRow(k, s, alpha, deploy, ret, train, rest.Item1, rest.Item2, rest.Item3, rest.Item4));
        var options = Gen.Select(Gen.Int[1, 4096], Gen.Double[0, 1], Gen.Double[0.01, 1], Gen.Int[1, 20]).Select((buffer, replay, temperature, edits) =>
            new CurriculumOptions { BufferSize = buffer, ReplayProbability = replay, Temperature = temperature, EditsPerChild = edits });
        var set = Gen.OneOf(Gen.Const((IReadOnlyDictionary<string, string>?)null), Gen.Int[5, 13].Select(size => (IReadOnlyDictionary<string, string>?)new Dictionary<string, string> { ["size"] = $"{size}", ["corner_size"] = "1" }));
        return Gen.Select(row.List[1, 6], options, set, Gen.Int[1, 5], Gen.Long[1, 1_000_000], Gen.Bool).Select((rows, curriculum, parameters, seeds, steps, overrides) =>
        {
            var spec = new ComparisonSpec(
                "CheeseInTheCorner-v0",
                [.. rows.Select(r => r.Kind).Distinct()],
                [.. rows.Select(r => r.Score).Distinct()],
                [.. rows.Select(r => r.Alpha).Distinct()],
                seeds,
                steps,
                32,
                parameters,
                "small",
                overrides ? ["num-envs=4", "reward-scale=0.1"] : [],
                curriculum);
            return new ComparisonTable(spec, "CheeseInTheCorner-v0", steps - (steps % 64), rows);
        });
    }

    private static void SameEstimate(Estimate expected, Estimate actual)
    {
        Same(expected.Mean, actual.Mean);
        Same(expected.Low, actual.Low);
        Same(expected.High, actual.High);
        Assert.Equal(expected.N, actual.N);
    }

    private static void Same(double expected, double actual)
    {
        Assert.Equal(double.IsNaN(expected), double.IsNaN(actual));
        if (!double.IsNaN(expected))
        {
            Assert.Equal(expected, actual, 1e-12);
        }
    }
}
