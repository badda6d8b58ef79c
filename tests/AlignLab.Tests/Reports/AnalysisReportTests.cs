using System.Globalization;
using System.Text.RegularExpressions;
using AlignLab.Interpretability;
using AlignLab.Reports;
using AlignLab.Runs;
using AlignLab.Tests.Cli;

namespace AlignLab.Tests.Reports;

/// <summary>
/// End to end: a tiny run is trained, analysed by steer, audit, redteam, mesa and a probe fitted through the library,
/// every analysis is kept in the store, and <c>alignlab report</c> draws them with the stored numbers.
/// </summary>
public sealed partial class AnalysisReportTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("alignlab-analyses-report-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void AnalysedRunsReportTheirStoredAnalyses()
    {
        var store = Path.Combine(_dir, "runs.db");
        Ok("train", "CheeseInTheCorner-v0", "--agent", "ppo", "--preset", "cnn", "--set", "size=5", "--steps", "1024", "--curve-points", "1", "--store", store);
        Ok("steer", "1", "--levels", "4", "--store", store);
        var printed = Ok("audit", "1", "--episodes", "4", "--json", "--store", store);
        Ok("redteam", "1", "--budget", "10", "--seeds", "1", "--suite", "3", "--store", store);

        // --no-store prints the same and keeps nothing.
        Assert.Equal(printed, Ok("audit", "1", "--episodes", "4", "--json", "--no-store", "--store", store));
        using (var s = RunStore.OpenReadOnly(store))
        {
            Assert.Equal([AnalysisKinds.Steer, AnalysisKinds.Audit, AnalysisKinds.RedTeam], s.Analyses(1).Select(a => a.Kind));
            Assert.Equal("alignlab steer 1 --levels 4 --store " + store, AnalysisJson.Read<SteeringAnalysis>(s.Analyses(1, AnalysisKinds.Steer)[0]).Analysis.Command);
        }

        Assert.Matches(@"\n  analyses      1 steer \(.*\), 2 audit \(.*\), 3 redteam \(.*\)\n", Ok("runs", "show", "1", "--store", store).ReplaceLineEndings("\n"));

        // A probe fitted through the library, with a probe map at a convolutional layer.
        using (var s = RunStore.Open(store))
        {
            var probe = Probe(TrainedNetwork.Load(s, 1));
            Assert.Contains(probe.Layers, l => l.Map is not null);
            AnalysisJson.Save(s, 1, probe);
        }

        var page = CheckReport(store, _dir, 1);
        Assert.Contains("Reading the goal: linear probes for cheese", page, StringComparison.Ordinal);
    }

    /// <summary>Writes the report of <paramref name="runs"/> and checks that every stored analysis is drawn with its stored numbers; returns the page.</summary>
    internal static string CheckReport(string store, string dir, params long[] runs)
    {
        var html = Path.Combine(dir, "report.html");
        Ok(["report", .. runs.Select(r => r.ToString(CultureInfo.InvariantCulture)), "--store", store, "--out", html]);
        var page = File.ReadAllText(html);
        using var stored = RunStore.OpenReadOnly(store);
        foreach (var record in runs.SelectMany(r => stored.Analyses(r)))
        {
            var block = Block(page, record.Id);
            Assert.Contains("Produced by <code>alignlab ", block, StringComparison.Ordinal);
            switch (record.Kind)
            {
                case AnalysisKinds.Probe:
                    CheckProbe(block, Same<ProbeAnalysis>(record));
                    break;
                case AnalysisKinds.Steer:
                    CheckSteering(block, Same<SteeringAnalysis>(record));
                    break;
                case AnalysisKinds.Audit:
                    CheckAudit(block, Same<AuditAnalysis>(record));
                    break;
                case AnalysisKinds.RedTeam:
                    Assert.Contains(TestDesignCharts.Body(Same<RedTeamAnalysis>(record).Report, 3, "h4"), block, StringComparison.Ordinal);
                    break;
                default:
                    CheckMesa(block, Same<MesaAnalysisRecord>(record));
                    break;
            }
        }

        return page;
    }

    [Fact]
    public void AnAnalysisOfTheWrongKindOrShapeIsRefusedClearly()
    {
        var store = Path.Combine(_dir, "bad.db");
        long run, audit, broken;
        using (var s = RunStore.Open(store))
        {
            run = s.CreateRun(new RunConfig("CheeseInTheCorner-v0", "ppo", 0));
            audit = s.SaveAnalysis(run, AnalysisKinds.Audit, """{"command":"alignlab audit 1","audit":{"id":"x","distribution":"deploy","goals":["cheese"],"discount":0.99,"path":[{"episodes":1,"posterior":{"cheese":1},"temperature":{"cheese":1},"lapse":{"cheese":0}}],"episodes":[]}}""");
            broken = s.SaveAnalysis(run, AnalysisKinds.Mesa, """{"command":"alignlab mesa 1"}""");
        }

        using var reader = RunStore.OpenReadOnly(store);
        var records = reader.Analyses(run);
        Assert.Equal("x", AnalysisJson.Read<AuditAnalysis>(records[0]).Analysis.Audit.Id);
        var wrong = Assert.Throws<RunStoreException>(() => AnalysisJson.Read<MesaAnalysisRecord>(records[0]));
        Assert.Equal($"analysis {audit} of run {run} is of kind audit, not mesa.", wrong.Message);
        var shape = Assert.Throws<RunStoreException>(() => AnalysisJson.Read<MesaAnalysisRecord>(records[1]));
        Assert.StartsWith($"analysis {broken} of run {run} (mesa) cannot be read: ", shape.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', shape.Message);

        // The report draws what it can read and says which analysis it could not.
        var problems = new List<string>();
        var analyses = RunAnalyses.From(records, problems);
        Assert.Single(analyses.Audits);
        Assert.Empty(analyses.Mesa);
        Assert.Equal(shape.Message, Assert.Single(problems));
        var page = HtmlReport.Render("bad", [RunReport.Section(reader, run)]);
        Assert.Contains(HtmlReport.H(shape.Message), page, StringComparison.Ordinal);
        Assert.Contains("data-analysis=\"" + audit.ToString(CultureInfo.InvariantCulture) + "\"", page, StringComparison.Ordinal);
    }

    private static ProbeAnalysis Probe(TrainedNetwork trained)
    {
        var observations = ObservationSet.Draw(trained.Scenario, new ObservationSetOptions { Levels = 60, Set = trained.Parameters, Seed = 3 });
        var target = ProbeTargets.Compute(observations, "cheese");
        var options = new ProbeOptions { Iterations = 20, Seed = 3 };
        var layers = new List<ProbeLayerRecord> { new("input", [.. trained.Network.InputShape], LinearProbe.FitWithControl(observations.Observations, observations.Count, target.Labels, options)) };
        var mapped = false;
        foreach (var index in Activations.ProbeLayers(trained.Network))
        {
            var activations = Activations.Record(trained.Network, observations.Observations, observations.Count, index);
            var map = !mapped && activations.Shape.Count == 3 ? ProbeMaps.PerPosition(activations, target.Labels, options) : null;
            mapped |= map is not null;
            layers.Add(new ProbeLayerRecord(activations.Layer, activations.Shape, LinearProbe.FitWithControl(activations.Values, activations.Count, target.Labels, options), map));
        }

        return new ProbeAnalysis("alignlab probe 1 --target cheese --levels 60", trained.Scenario.Id, observations.Distribution, observations.Count, target.Name, target.Description, options.Kind, layers, ProbeMaps.Maze(observations));
    }

    private static void CheckProbe(string block, ProbeAnalysis probe)
    {
        static string Interval(global::AlignLab.Diagnostics.Estimate e) => $"{Numbers.Format(e.Mean)} [{Numbers.Format(e.Low)}, {Numbers.Format(e.High)}]";
        var expected = probe.Layers.SelectMany(l => new[] { Interval(l.Report.Probe.Accuracy), Interval(l.Report.Control.Accuracy), Numbers.Format(l.Report.Probe.Chance), l.Report.Probe.Classes.ToString(CultureInfo.InvariantCulture), l.Report.Probe.Accuracy.N.ToString(CultureInfo.InvariantCulture), l.Report.Probe.Train.ToString(CultureInfo.InvariantCulture) });
        Assert.Equal(expected, Cells(Table(block, "probe")));
        foreach (var layer in probe.Layers.Where(l => l.Map is not null))
        {
            var cols = layer.Shape[2];
            Assert.All(layer.Map!, v => Assert.InRange(v, 0, 1));
            var best = Enumerable.Range(0, layer.Map!.Count).MaxBy(i => layer.Map[i]);
            Assert.Contains($"{layer.Layer}: most accurate at row {best / cols}, column {best % cols} ({Numbers.Format(layer.Map[best])})", block, StringComparison.Ordinal);
            Assert.Equal(layer.Map.Count, Regex.Count(block, ": accuracy "));
        }
    }

    private static void CheckSteering(string block, SteeringAnalysis steering)
    {
        var r = steering.Result;
        var expected = new[]
        {
            r.Levels.Average(l => l.Before.ReachGoal), r.Levels.Average(l => l.After.ReachGoal),
            r.Levels.Average(l => l.Before.ReachLandmark), r.Levels.Average(l => l.After.ReachLandmark),
            r.MedianDecisionBefore, r.MedianDecisionAfter,
        }.Select(v => Numbers.Format(v));
        Assert.Equal(expected, Cells(Table(block, "steer")));
        Assert.NotEmpty(r.Visits);
        for (var i = 0; i < r.Visits.Count; i++)
        {
            Assert.Contains(SteeringCharts.Visits(r, i), block, StringComparison.Ordinal);
        }
    }

    private static void CheckAudit(string block, AuditAnalysis audit)
    {
        var a = audit.Audit;
        var expected = a.Path.SelectMany(step => a.Goals.Select(g => Numbers.Format(step.Posterior[g])).Prepend(step.Episodes.ToString(CultureInfo.InvariantCulture)));
        Assert.Equal(expected, Cells(Table(block, "posterior")));
        Assert.Contains(HtmlReport.H(a.Summary), block, StringComparison.Ordinal);
        Assert.Contains(TestDesignCharts.Posterior(a.Path, a.Goals), block, StringComparison.Ordinal);
    }

    private static void CheckMesa(string block, MesaAnalysisRecord mesa)
    {
        var s = mesa.Summary;
        Assert.Contains($"f_R's maximum {Numbers.Format(s.Agreement)}, the goal f_R rates highest {Numbers.Format(s.PreferredAgreement)} ({s.Compared} levels); where neither goal lies on the way to the other {Numbers.Format(s.SeparatedAgreement.Maximum)} and {Numbers.Format(s.SeparatedAgreement.Preferred)} ({s.Separated} levels)", block, StringComparison.Ordinal);
        Assert.Contains(HtmlReport.H(string.Join(", ", s.Readings.Select(r => $"{r.Key} {r.Value}"))), block, StringComparison.Ordinal);
        var shown = s.Levels[mesa.Shown];
        var cols = shown.Map[0].Length;
        Assert.Contains($"level {shown.Level}: f_R's maximum {Numbers.Format(shown.Rewards[shown.MaxCell])} at row {shown.MaxCell / cols}, column {shown.MaxCell % cols} (on {shown.Reading})", block, StringComparison.Ordinal);
        Assert.Equal(s.Edits > 0, block.Contains("edits of f_R", StringComparison.Ordinal));
        if (s.Edits > 0)
        {
            Assert.Contains($"{s.Edits} edits: the agent then enters the cell with mean exact probability {Numbers.Format(s.MeanReachAfter)} (unedited {Numbers.Format(s.MeanReachBefore)})", block, StringComparison.Ordinal);
        }
    }

    /// <summary>Reads a stored analysis and checks that writing it again gives the stored JSON exactly.</summary>
    private static T Same<T>(AnalysisRecord record)
        where T : class
    {
        var analysis = AnalysisJson.Read<T>(record).Analysis;
        Assert.Equal(record.Json, AnalysisJson.ToJson(analysis));
        return analysis;
    }

    internal static string Ok(params string[] args)
    {
        var (code, output, error) = CliTests.Run(args);
        Assert.True(code == 0, $"{string.Join(' ', args)}: exit {code}, {error}");
        return output;
    }

    private static string Block(string page, long id)
    {
        var start = page.IndexOf("data-analysis=\"" + id.ToString(CultureInfo.InvariantCulture) + "\"", StringComparison.Ordinal);
        Assert.True(start >= 0, $"analysis {id} is not in the report");
        var end = page.IndexOf("<div class=\"analysis ", start, StringComparison.Ordinal);
        return page[start..(end < 0 ? page.Length : end)];
    }

    private static string Table(string block, string css)
    {
        var match = Regex.Match(block, $"<table class=\"{css}\">(.*?)</table>", RegexOptions.Singleline);
        Assert.True(match.Success, $"no {css} table");
        return match.Groups[1].Value;
    }

    private static IEnumerable<string> Cells(string table) => NumberCells().Matches(table).Select(m => m.Groups[1].Value);

    [GeneratedRegex("<td class=\"n\">(.*?)</td>")]
    private static partial Regex NumberCells();
}

/// <summary>End to end for a value-iteration-network run: <c>mesa</c> on training and deployment levels, kept and reported.</summary>
public sealed class MesaReportTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("alignlab-mesa-report-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void TheMesaObjectiveOnTrainingAndDeploymentLevelsIsReported()
    {
        var store = Path.Combine(_dir, "runs.db");
        AnalysisReportTests.Ok("train", "CheeseInTheCorner-v0", "--agent", "ppo", "--network", "vin", "--ppo", "vin-iterations=8", "--ppo", "conv-channels=4", "--set", "size=5", "--steps", "1024", "--curve-points", "1", "--store", store);
        AnalysisReportTests.Ok("mesa", "1", "--levels", "3", "--edit-all", "--level", "1", "--store", store);
        AnalysisReportTests.Ok("mesa", "1", "--levels", "2", "--distribution", "train", "--store", store);
        using (var s = RunStore.OpenReadOnly(store))
        {
            Assert.Equal([AnalysisKinds.Mesa, AnalysisKinds.Mesa], s.Analyses(1).Select(a => a.Kind));
        }

        var page = AnalysisReportTests.CheckReport(store, _dir, 1);
        Assert.Contains("The mesa-objective f_R on train levels", page, StringComparison.Ordinal);
        Assert.Contains("The mesa-objective f_R on deploy levels", page, StringComparison.Ordinal);
    }
}
