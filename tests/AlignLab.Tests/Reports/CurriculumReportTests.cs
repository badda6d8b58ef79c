using System.Globalization;
using System.Text.RegularExpressions;
using AlignLab.Curricula;
using AlignLab.Diagnostics;
using AlignLab.Reports;
using AlignLab.Runs;
using AlignLab.Tests.Cli;
using AlignLab.Tests.Curricula;

namespace AlignLab.Tests.Reports;

/// <summary>The report's curriculum section: a stored comparison drawn as its tables and its chart, with the stored numbers.</summary>
public sealed partial class CurriculumReportTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("alignlab-curricula-report-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void AStoredComparisonIsReportedWithItsNumbers()
    {
        var store = Path.Combine(_dir, "runs.db");
        var (code, _, error) = CliTests.Run([.. CurriculaCliTests.Tiny, "--store", store]);
        Assert.True(code == 0, error);
        var html = Path.Combine(_dir, "report.html");
        (code, var output, error) = CliTests.Run("report", "1", "--store", store, "--out", html);
        Assert.True(code == 0, error);
        Assert.Contains("1 run, 1 section", output, StringComparison.Ordinal);

        StoredAnalysis<CurriculumAnalysis> stored;
        using (var runs = RunStore.OpenReadOnly(store))
        {
            stored = AnalysisJson.Read<CurriculumAnalysis>(Assert.Single(runs.Analyses(1)));
        }

        var block = Block(File.ReadAllText(html), stored.Id);
        CheckBlock(block, stored.Analysis);
        Assert.Contains("Produced by <code>" + HtmlReport.H(stored.Analysis.Command) + "</code>", block, StringComparison.Ordinal);
        Assert.StartsWith("alignlab curricula CheeseInTheCorner-v0 --set size=7", stored.Analysis.Command, StringComparison.Ordinal);
        Assert.Equal(["PLR⊥ (exact regret)"], Headers(Table(block, "curricula-grid")).Skip(3));
    }

    [Fact]
    public void EveryMethodIsARowAndEveryAlphaAColumnInOrder()
    {
        var table = CurriculumStoreTests.Example();
        var stored = new StoredAnalysis<CurriculumAnalysis>(7, new DateTimeOffset(2026, 11, 30, 12, 0, 0, TimeSpan.Zero), new CurriculumAnalysis("alignlab curricula CheeseInTheCorner-v0 --alphas 0.1,0", table));
        var page = HtmlReport.Render("curricula", [new ReportSection { Id = "c", Title = "c", Analyses = new RunAnalyses { Curricula = [stored] } }]);
        var block = Block(page, 7);
        CheckBlock(block, stored.Analysis);

        // α ascending whatever order it was given in; methods in the order they ran, each score its own row.
        var grid = Table(block, "curricula-grid");
        Assert.Equal(["method", "α = 0", "α = 0.1", "DR", "PLR⊥ (PVL)", "ACCEL (MaxMC)"], Headers(grid));
        Assert.Equal(["-0.875 [-1.125, -0.625]", "-0.25 [-0.75, 0.25]", "-0.5 [-1.25, 0.25]", "0.125 [-0.25, 0.5]", "-0.625 [-0.625, -0.625]"], Cells(grid));
        Assert.Contains("<th>ACCEL (MaxMC)</th><td class=\"n\">-0.625 [-0.625, -0.625]</td><td></td></tr>", grid, StringComparison.Ordinal);

        // A value not measured is n/a, not 0.
        Assert.Contains("<td class=\"n\">-0.375</td><td class=\"n\">n/a</td><td class=\"n\">0.75</td>", Table(block, "curricula"), StringComparison.Ordinal);
        Assert.Contains("2 seeds per cell", block, StringComparison.Ordinal);
        Assert.Contains("4,096 environment steps per run", block, StringComparison.Ordinal);
    }

    [Fact]
    public void AComparisonThatCannotBeReadIsANoteNotAFailure()
    {
        var store = Path.Combine(_dir, "bad.db");
        long run, broken;
        using (var s = RunStore.Open(store))
        {
            run = s.CreateRun(new RunConfig("CheeseInTheCorner-v0", "ppo", 0));
            broken = s.SaveAnalysis(run, AnalysisKinds.Curricula, """{"command":"alignlab curricula CheeseInTheCorner-v0","table":{"scenario_id":"CheeseInTheCorner-v0"}}""");
        }

        using var reader = RunStore.OpenReadOnly(store);
        var problems = new List<string>();
        var analyses = RunAnalyses.From(reader.Analyses(run), problems);
        Assert.Empty(analyses.Curricula);
        var problem = Assert.Single(problems);
        Assert.StartsWith($"analysis {broken} of run {run} (curricula) cannot be read: ", problem, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', problem);
        Assert.Contains(HtmlReport.H(problem), HtmlReport.Render("bad", [RunReport.Section(reader, run)]), StringComparison.Ordinal);
    }

    /// <summary>Checks that the section draws every stored number: the method × α grid, every row of the detail table and the chart.</summary>
    private static void CheckBlock(string block, CurriculumAnalysis analysis)
    {
        static string Interval(Estimate e) => $"{Numbers.Format(e.Mean)} [{Numbers.Format(e.Low)}, {Numbers.Format(e.High)}]";
        var t = analysis.Table;
        var alphas = t.Rows.Select(r => r.Alpha).Distinct().Order().ToList();
        var methods = t.Rows.Select(r => (r.Kind, Score: r.Kind == CurriculumKind.Dr ? LevelScoreKind.Exact : r.Score)).Distinct().ToList();
        var grid = methods.SelectMany(m => alphas.SelectMany(a => t.Rows.Where(r => r.Alpha == a && (r.Kind, r.Kind == CurriculumKind.Dr ? LevelScoreKind.Exact : r.Score) == m).Select(r => Interval(r.Deploy))));
        Assert.Equal(grid, Cells(Table(block, "curricula-grid")));
        var detail = methods.SelectMany(m => t.Rows.Where(r => (r.Kind, r.Kind == CurriculumKind.Dr ? LevelScoreKind.Exact : r.Score) == m).OrderBy(r => r.Alpha)).SelectMany(r => new[]
        {
            r.Alpha.ToString("G", CultureInfo.InvariantCulture), Interval(r.Deploy), string.Join(", ", r.PerSeed.Select(v => Numbers.Format(v))), Interval(r.DeployReturn), Interval(r.Train),
            Numbers.Format(r.PvlCorrelation), Numbers.Format(r.MaxMcCorrelation), Numbers.Format(r.ExactRegret),
        });
        Assert.Equal(detail, Cells(Table(block, "curricula")));
        Assert.Matches(new Regex("<figure class=\"chart curricula\"><svg[^>]*>.*</svg><figcaption>Deployment intended score against α", RegexOptions.Singleline), block);
        Assert.Contains(t.Spec.EvalLevels.ToString(CultureInfo.InvariantCulture) + " 'deploy' levels", block, StringComparison.Ordinal);
    }

    private static string Block(string page, long id)
    {
        var start = page.IndexOf("<div class=\"analysis curricula\" data-analysis=\"" + id.ToString(CultureInfo.InvariantCulture) + "\"", StringComparison.Ordinal);
        Assert.True(start >= 0, $"analysis {id} is not in the report");
        var end = page.IndexOf("</table>\n</div>", start, StringComparison.Ordinal);
        Assert.True(end >= 0, $"analysis {id} does not end");
        return page[start..end];
    }

    private static string Table(string block, string css)
    {
        var match = Regex.Match(block, $"<table class=\"{css}\">(.*?)(</table>|$)", RegexOptions.Singleline);
        Assert.True(match.Success, $"no {css} table");
        return match.Groups[1].Value;
    }

    private static List<string> Cells(string table) => [.. NumberCells().Matches(table).Select(m => m.Groups[1].Value)];

    private static List<string> Headers(string table) => [.. HeaderCells().Matches(table).Select(m => m.Groups[1].Value)];

    [GeneratedRegex("<td class=\"n\">(.*?)</td>")]
    private static partial Regex NumberCells();

    [GeneratedRegex("<th>(.*?)</th>")]
    private static partial Regex HeaderCells();
}
