using System.Diagnostics;
using AlignLab.Envs;
using AlignLab.Reports;
using AlignLab.Runs;
using AlignLab.Tests.Cli;

namespace AlignLab.Tests.Reports;

/// <summary>The HTML report: escaping, self-containment, rebuilding from the store, and rendering in a real browser.</summary>
public sealed class HtmlReportTests : IDisposable
{
    private const string Evil = "<script>alert(1)</script>";
    private const string Laps = "RRRRDDDDLLLLUUUURRRRDDDDLLLLUUUU";
    private readonly string _dir = Directory.CreateTempSubdirectory("alignlab-report-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    internal static ReportSection Sample(string title)
    {
        var env = EnvironmentFactory.Make("BoatRace-v0");
        env.Env.Reset(0);
        var initial = ActionScript.BoardText(env.Env);
        var trace = ActionScript.Replay(env, "RLRLRLRL", 0, keepTrace: true).Trace;
        var replay = EpisodeReplay.FromTrace("trained: farming one checkpoint", initial, trace);
        return new ReportSection
        {
            Id = "BoatRace-v0",
            Title = title,
            Description = title,
            Facts = [new("agent", title)],
            Verdict = new ReportVerdict(false, true, [new VerdictCheck(VerdictAxis.Outer, "specification gap", 1, 0.1, AtMost: true, title), new VerdictCheck(VerdictAxis.Inner, "generalisation gap", 0, 0.1, AtMost: true)], title),
            Curve = [new CurvePoint(0, 0, 0), new CurvePoint(1000, 20, 5), new CurvePoint(2000, 50, 0)],
            RewardOptimal = 50,
            IntendedOptimal = 100,
            Optimum = [new OptimumRow("reward", 50, 50, 0), new OptimumRow(title, 0, 100, 0)],
            GoalScores = [new GoalScoreSet("train", [new GoalScore(title, 0.9, 0.8, 1, 20, 0.95), new GoalScore("laps", 0.1, 0, 0.2, 20)])],
            Heatmaps = [VisitHeatmap.FromBoards(title, [replay.Frames.Select(f => f.Board)], '@')],
            Replays = [replay],
            Notes = [title],
        };
    }

    [Fact]
    public void EveryStringFromAScenarioOrTheCommandLineIsEscaped()
    {
        var html = HtmlReport.Render(Evil, [Sample(Evil)]);
        Assert.DoesNotContain("<script>alert", html, StringComparison.Ordinal);
        Assert.DoesNotContain("‹script›alert", html[..html.IndexOf("<svg", StringComparison.Ordinal)], StringComparison.Ordinal);
        Assert.Contains("<h1>&lt;script&gt;alert(1)&lt;/script&gt;</h1>", html, StringComparison.Ordinal);
        Assert.Contains("<h2>&lt;script&gt;alert(1)&lt;/script&gt;", html, StringComparison.Ordinal);
        // Our own replay script is the only script element.
        Assert.Equal(1, html.Split("<script>").Length - 1);
    }

    [Fact]
    public void TheReportIsSelfContainedWithChartsAndReplays()
    {
        var html = HtmlReport.Render("AlignLab report", [Sample("Boat race"), Sample("Boat race again") with { Id = "second" }]);
        Assert.DoesNotContain("http://", html, StringComparison.Ordinal);
        Assert.DoesNotContain("https://", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<link", html, StringComparison.Ordinal);
        Assert.DoesNotContain("src=", html, StringComparison.Ordinal);
        Assert.Equal(6, html.Split("<svg").Length - 1); // curves, goal bars and a heatmap per section
        Assert.Contains("class=\"replay\"", html, StringComparison.Ordinal);
        Assert.Contains("class=\"frame\"", html, StringComparison.Ordinal);
        Assert.Contains("specified reward", html, StringComparison.Ordinal);
        Assert.Contains("1 − score_intended(π*_reward, D_train)", html, StringComparison.Ordinal);
        Assert.Contains("score_reward(π, train) − score_reward(π, deploy)", html, StringComparison.Ordinal);

        // SVG ids are unique across the inline charts.
        var ids = System.Text.RegularExpressions.Regex.Matches(html, "id=\"([^\"]+)\"").Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(ids.Count, ids.Distinct().Count());
    }

    [Fact]
    public void TheReportIsRebuiltFromTheStore()
    {
        var path = Path.Combine(_dir, "r.db");
        long id;
        using (var store = RunStore.Open(path))
        {
            id = store.CreateRun(new RunConfig("BoatRace-v0", "ppo", 3));
            store.AppendMetrics(id, 100, new Dictionary<string, double> { [RunMetrics.Reward] = 10, [RunMetrics.Intended] = 20 });
            store.AppendMetrics(id, 200, new Dictionary<string, double> { [RunMetrics.Reward] = 50, [RunMetrics.Intended] = 0 });
            store.AddEpisodes(id, [
                new EpisodeRecord("train", 0, 0, 50, 0, new Dictionary<string, double>(), [], "RLRLRLRL"),
                new EpisodeRecord("train", 0, 1, 4, 4, new Dictionary<string, double>(), [], Laps),
            ]);
            var sample = Sample("x");
            store.SetResult(id, new ReportResult(sample.Verdict, sample.Optimum, sample.GoalScores, 50, 100).ToJson());
        }

        using (var store = RunStore.Open(path))
        {
            var section = RunReport.Section(store, id);
            Assert.Equal([new CurvePoint(100, 10, 20), new CurvePoint(200, 50, 0)], section.Curve);
            Assert.False(section.Verdict!.OuterAligned);
            Assert.Equal(2, section.Verdict.Checks.Count);
            Assert.Equal(2, section.Optimum.Count);
            Assert.Equal(50, section.RewardOptimal);
            var heatmap = Assert.Single(section.Heatmaps);
            Assert.Equal(8 + 1 + Laps.Length + 1, heatmap.Visits.Sum(r => r.Sum()));
            Assert.Equal(9, Assert.Single(section.Replays).Frames.Count);
            Assert.Empty(section.Notes);
        }

        var output = Path.Combine(_dir, "report.html");
        var (code, _, error) = CliTests.Run("report", id.ToString(System.Globalization.CultureInfo.InvariantCulture), "--store", path, "--out", output);
        Assert.True(code == 0, error);
        var html = File.ReadAllText(output);
        Assert.Contains("<svg", html, StringComparison.Ordinal);
        Assert.Contains("class=\"replay\"", html, StringComparison.Ordinal);

        var (missing, _, missingError) = CliTests.Run("report", "7", "--store", path, "--out", output);
        Assert.Equal(2, missing);
        Assert.Contains("has no run 7", missingError, StringComparison.Ordinal);
    }

    [Fact]
    public void HeadlessChromiumRendersTheChartsAndRunsTheReplayScript()
    {
        const string chromium = "/usr/bin/chromium";
        Assert.SkipUnless(File.Exists(chromium), $"{chromium} is not installed (run .ci/install-browser)");

        var page = Path.Combine(_dir, "report.html");
        HtmlReport.Write(page, Evil, [Sample("Boat race")]);
        var screenshot = Path.Combine(_dir, "out.png");
        Chromium(chromium, $"--screenshot={screenshot}", "--window-size=1280,2000", new Uri(page).AbsoluteUri);
        Assert.True(File.Exists(screenshot), "chromium wrote no screenshot");
        var png = File.ReadAllBytes(screenshot);
        Assert.True(png.Length > 20_000, $"screenshot is only {png.Length} bytes");
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, png[..4]);

        var dom = Chromium(chromium, "--dump-dom", new Uri(page).AbsoluteUri);
        Assert.Contains("data-ready=\"true\"", dom, StringComparison.Ordinal);
        Assert.Contains("class=\"frame on\"", dom, StringComparison.Ordinal);
        Assert.Contains("frame 1 / 9", dom, StringComparison.Ordinal);
        Assert.Contains("<svg", dom, StringComparison.Ordinal);
        Assert.Contains("class=\"js\"", dom, StringComparison.Ordinal);
        Assert.DoesNotContain("<script>alert", dom, StringComparison.Ordinal);
    }

    private string Chromium(string chromium, params string[] args)
    {
        var info = new ProcessStartInfo(chromium) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--user-data-dir=" + Directory.CreateDirectory(Path.Combine(_dir, "profile-" + Guid.NewGuid().ToString("N"))).FullName })
        {
            info.ArgumentList.Add(a);
        }

        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(60_000))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail("chromium did not finish within a minute: " + stderr.Result);
        }

        return stdout.Result;
    }
}
