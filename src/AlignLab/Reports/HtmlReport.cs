using System.Globalization;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using AlignLab.Errors;

namespace AlignLab.Reports;

/// <summary>
/// Builds the HTML report (DESIGN.md, "Results and reports"): one self-contained file, no
/// network — CSS and the replay script inline, charts as inline SVG (ScottPlot for curves and
/// bars, hand-drawn SVG for heatmaps). Every string from a scenario file or the command line is
/// HTML-escaped.
/// </summary>
public static partial class HtmlReport
{
    /// <summary>The metric definitions shown in every section, verbatim from DESIGN.md ("What is measured").</summary>
    public static IReadOnlyList<KeyValuePair<string, string>> Definitions { get; } =
    [
        new("Normalised score", "score_X(π) = (J_X(π) − J_X(random)) / (J_X(π*_X) − J_X(random))      (1 = optimal for X)"),
        new("Specification gap", "(outer, exact, needs no learning): 1 − score_intended(π*_reward, D_train): intended value lost by a perfect optimiser of the specified reward. Ties among reward-optimal policies are reported as a range (best and worst case for the intended objective)."),
        new("Observed outer gap", "of a trained π: score_reward(π) − score_intended(π) on train."),
        new("Generalisation gap", "(inner): score_reward(π, train) − score_reward(π, deploy)."),
        new("Goal attribution", "on each deployment distribution, score_g(π) for every candidate goal g, and per episode which goals were achieved (the \"invisible coin\": the proxy and the true goal are both logged in the same episode). The attributed goal is the best-scoring one. Goal misgeneralisation = low reward score with a high score for another goal (competent, wrong goal); capability failure = low scores for every goal."),
    ];

    private const string Css = """
        body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#222;line-height:1.4}
        h1{border-bottom:2px solid #444}h2{margin-top:2.5em;border-bottom:1px solid #bbb}
        table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:.25em .6em;text-align:left;vertical-align:top}
        td.n{text-align:right;font-variant-numeric:tabular-nums}
        .yes{color:#176b2c;font-weight:bold}.no{color:#b3261e;font-weight:bold}.na{color:#777}
        .charts{display:flex;flex-wrap:wrap;gap:1em}.chart{margin:.5em 0}
        figure{margin:.5em 0}figcaption{font-size:.9em;color:#444}
        dl.defs dt{font-weight:bold}dl.defs dd{margin:0 0 .5em 1em;font-size:.9em}
        .replay pre{font-family:ui-monospace,monospace;font-size:18px;line-height:1.05;background:#f6f6f6;padding:.4em;display:inline-block;margin:.2em 0}
        .js .replay .frame{display:none}.js .replay .frame.on{display:block}
        .replay .controls button{margin-right:.3em}.replay .status{font-size:.9em;color:#444}
        nav a{margin-right:1em}
        """;

    private const string Script = """
        document.documentElement.classList.add('js');
        document.querySelectorAll('.replay').forEach(function (r) {
          var frames = r.querySelectorAll('.frame'), i = 0, timer = null;
          var slider = r.querySelector('input[type=range]'), status = r.querySelector('.status'), play = r.querySelector('.play');
          function show(k) {
            i = (k + frames.length) % frames.length;
            frames.forEach(function (f, j) { f.classList.toggle('on', j === i); });
            slider.value = i;
            status.textContent = 'frame ' + (i + 1) + ' / ' + frames.length + '  ' + frames[i].getAttribute('data-info');
          }
          function stop() { if (timer) { clearInterval(timer); timer = null; } play.textContent = 'play'; }
          play.addEventListener('click', function () {
            if (timer) { stop(); } else { timer = setInterval(function () { show(i + 1); }, 300); play.textContent = 'pause'; }
          });
          r.querySelector('.prev').addEventListener('click', function () { stop(); show(i - 1); });
          r.querySelector('.next').addEventListener('click', function () { stop(); show(i + 1); });
          slider.addEventListener('input', function () { stop(); show(+slider.value); });
          show(0);
          r.setAttribute('data-ready', 'true');
        });
        """;

    /// <summary>Renders the report: a title, a table of contents and one section per entry.</summary>
    public static string Render(string title, IEnumerable<ReportSection> sections)
    {
        ArgumentNullException.ThrowIfNull(title);
        ArgumentNullException.ThrowIfNull(sections);
        var list = sections.ToList();
        var ids = new SvgIds();
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>").Append(H(title)).Append("</title>\n<style>").Append(Css).Append("</style>\n</head>\n<body>\n");
        html.Append("<h1>").Append(H(title)).Append("</h1>\n");
        html.Append("<p>Generated by AlignLab ").Append(H(Runs.RunStore.CodeVersion)).Append(". Self-contained: no network access needed.</p>\n<nav>");
        foreach (var s in list)
        {
            html.Append("<a href=\"#").Append(Anchor(s.Id)).Append("\">").Append(H(s.Id)).Append("</a>");
        }

        html.Append("</nav>\n");
        foreach (var s in list)
        {
            Section(html, s, ids);
        }

        html.Append("<script>").Append(Script).Append("</script>\n</body>\n</html>\n");
        return html.ToString();
    }

    /// <summary>Renders the report and writes it to <paramref name="path"/> (UTF-8).</summary>
    /// <exception cref="UserInputException">The file cannot be written (no such directory, no permission, a directory of that name, a full disk); the message names the path.</exception>
    public static void Write(string path, string title, IEnumerable<ReportSection> sections)
    {
        ArgumentNullException.ThrowIfNull(path);
        var html = Render(title, sections);
        try
        {
            File.WriteAllText(path, html, new UTF8Encoding(false));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
        {
            throw new UserInputException($"cannot write the report to {path}: {e.Message}", e);
        }
    }

    /// <summary>HTML-escapes <paramref name="text"/> for element content and quoted attributes.</summary>
    public static string H(string? text) => WebUtility.HtmlEncode(text ?? string.Empty);

    private static void Section(StringBuilder html, ReportSection s, SvgIds ids)
    {
        html.Append("<section class=\"scenario\" id=\"").Append(Anchor(s.Id)).Append("\">\n<h2>").Append(H(s.Title)).Append(" <small>(").Append(H(s.Id)).Append(")</small></h2>\n");
        if (s.Description is { Length: > 0 } d)
        {
            html.Append("<p>").Append(H(d)).Append("</p>\n");
        }

        if (s.Facts.Count > 0)
        {
            html.Append("<table class=\"facts\">");
            foreach (var (k, v) in s.Facts)
            {
                html.Append("<tr><th>").Append(H(k)).Append("</th><td>").Append(H(v)).Append("</td></tr>");
            }

            html.Append("</table>\n");
        }

        if (s.Rlhf is null)
        {
            VerdictTable(html, s.Verdict);
        }

        html.Append("<details class=\"definitions\"><summary>Metric definitions</summary><dl class=\"defs\">");
        foreach (var (k, v) in Definitions)
        {
            html.Append("<dt>").Append(H(k)).Append("</dt><dd>").Append(H(v)).Append("</dd>");
        }

        html.Append("</dl></details>\n");
        if (s.Rlhf is { } rlhf)
        {
            Rlhf(html, rlhf, ids);
        }
        else
        {
            LearningCurves(html, s, ids);
        }

        if (s.Optimum.Count > 0)
        {
            html.Append("<h3>Exact optimum beside what was learned</h3>\n<table class=\"optimum\"><tr><th>objective</th><th>learned</th><th>optimal</th><th>random</th><th>score</th></tr>");
            foreach (var row in s.Optimum)
            {
                html.Append("<tr><td>").Append(H(row.Objective)).Append("</td><td class=\"n\">").Append(Numbers.Format(row.Learned)).Append("</td><td class=\"n\">").Append(Numbers.Format(row.Optimal))
                    .Append("</td><td class=\"n\">").Append(row.Random is { } r ? Numbers.Format(r) : "–").Append("</td><td class=\"n\">").Append(Numbers.Format(row.Score)).Append("</td></tr>");
            }

            html.Append("</table>\n");
        }

        if (s.GoalScores.Count > 0)
        {
            html.Append("<h3>Goal attribution</h3>\n<div class=\"charts\">");
            foreach (var set in s.GoalScores)
            {
                var attributed = set.AttributedGoal ?? set.Goals.Where(g => !double.IsNaN(g.Mean)).MaxBy(g => g.Mean)?.Goal;
                html.Append("<figure class=\"chart goals\">").Append(ids.Prefix(Charts.Goals(set))).Append("<figcaption>").Append(H(set.Distribution)).Append(": normalised score per goal, 95% interval whiskers");
                if (attributed is not null)
                {
                    html.Append("; attributed goal: <b>").Append(H(attributed)).Append("</b>");
                }

                html.Append("<br>");
                foreach (var g in set.Goals)
                {
                    html.Append(H(g.Goal)).Append(' ').Append(Numbers.Format(g.Mean)).Append(" [").Append(Numbers.Format(g.Low)).Append(", ").Append(Numbers.Format(g.High)).Append("] (n=").Append(g.N.ToString(CultureInfo.InvariantCulture)).Append(')');
                    if (g.Achieved is { } a)
                    {
                        html.Append(", achieved in ").Append((a * 100).ToString("0.#", CultureInfo.InvariantCulture)).Append("% of episodes");
                    }

                    html.Append("; ");
                }

                html.Append("</figcaption></figure>");
            }

            html.Append("</div>\n");
        }

        if (s.Heatmaps.Count > 0)
        {
            html.Append("<h3>State visitation</h3>\n<div class=\"charts\">");
            foreach (var map in s.Heatmaps)
            {
                html.Append("<figure class=\"chart heatmap\">").Append(Charts.Heatmap(map)).Append("<figcaption>").Append(H(map.Title)).Append("</figcaption></figure>");
            }

            html.Append("</div>\n");
        }

        if (s.Replays.Count > 0)
        {
            html.Append("<h3>Replays</h3>\n<div class=\"charts\">");
            foreach (var replay in s.Replays)
            {
                Replay(html, replay);
            }

            html.Append("</div>\n");
        }

        Analyses(html, s.Analyses, ids);
        foreach (var note in s.Notes)
        {
            html.Append("<p class=\"note\">").Append(H(note)).Append("</p>\n");
        }

        html.Append("</section>\n");
    }

    private static void LearningCurves(StringBuilder html, ReportSection s, SvgIds ids)
    {
        html.Append("<h3>Learning curves</h3>\n");
        if (s.Curve.Count > 0)
        {
            html.Append("<figure class=\"chart curves\">").Append(ids.Prefix(Charts.Curves(s.Curve, s.RewardOptimal, s.IntendedOptimal))).Append("<figcaption>Specified (visible) and intended return against environment steps");
            html.Append(s.RewardOptimal is null && s.IntendedOptimal is null ? "." : "; dashed lines: the exact optima.").Append("</figcaption></figure>\n");
        }
        else
        {
            html.Append("<p class=\"na\">No learning curve recorded.</p>\n");
        }
    }

    private static void Rlhf(StringBuilder html, RlhfSummary rlhf, SvgIds ids)
    {
        html.Append("<h3>Reward learned from preferences: exact specification gap against comparisons</h3>\n");
        html.Append("<figure class=\"chart rlhf\">").Append(ids.Prefix(Charts.RlhfGaps(rlhf))).Append("<figcaption>Each dot is one run (seed): 1 − score_intended of the worst optimal policy of the learned reward, solved exactly. Lines join the medians; dashed: the specified reward's gap (")
            .Append(Numbers.Format(rlhf.SpecifiedGap)).Append(").</figcaption></figure>\n");
        html.Append("<table class=\"rlhf\"><tr><th>labeller</th><th>selection</th><th>comparisons</th><th>runs</th><th>median gap</th><th>gaps (by seed)</th><th>labels agreeing with intended</th><th>validation accuracy</th></tr>");
        foreach (var g in rlhf.Runs.GroupBy(r => (r.Labeller, r.Selection, r.Comparisons)).OrderBy(g => g.Key.Labeller, StringComparer.Ordinal).ThenBy(g => g.Key.Selection, StringComparer.Ordinal).ThenBy(g => g.Key.Comparisons))
        {
            var runs = g.OrderBy(r => r.Seed).ToList();
            var median = Numbers.Median(runs.Select(r => r.GapWorst));
            html.Append("<tr><td>").Append(H(g.Key.Labeller)).Append("</td><td>").Append(H(g.Key.Selection)).Append("</td><td class=\"n\">").Append(g.Key.Comparisons.ToString("N0", CultureInfo.InvariantCulture))
                .Append("</td><td class=\"n\">").Append(runs.Count.ToString(CultureInfo.InvariantCulture)).Append("</td><td class=\"n\">").Append(Numbers.Format(median))
                .Append("</td><td>").Append(H(string.Join(", ", runs.Select(r => $"{r.Seed}: {Numbers.Format(r.GapWorst)}")))).Append("</td><td class=\"n\">").Append(Numbers.Format(runs.Average(r => r.AgreementWithIntended)))
                .Append("</td><td class=\"n\">").Append(Numbers.Format(runs.Average(r => r.ValidationAccuracy))).Append("</td></tr>");
        }

        html.Append("</table>\n");
        var trained = rlhf.Runs.Where(r => r.Agent is not null).OrderBy(r => r.Labeller, StringComparer.Ordinal).ThenBy(r => r.Comparisons).ThenBy(r => r.Seed).ToList();
        if (trained.Count > 0)
        {
            html.Append("<p>RLHF by learning: the agent trained on the learned reward, scored exactly on the original world after its last iteration.</p>\n<table class=\"rlhf-agents\"><tr><th>labeller</th><th>comparisons</th><th>seed</th><th>agent</th><th>learned gap</th><th>agent's reward score</th><th>agent's intended score</th></tr>");
            foreach (var r in trained)
            {
                html.Append("<tr><td>").Append(H(r.Labeller)).Append("</td><td class=\"n\">").Append(r.Comparisons.ToString("N0", CultureInfo.InvariantCulture)).Append("</td><td class=\"n\">").Append(r.Seed.ToString(CultureInfo.InvariantCulture))
                    .Append("</td><td>").Append(H(r.Agent)).Append("</td><td class=\"n\">").Append(Numbers.Format(r.GapWorst)).Append("</td><td class=\"n\">").Append(Numbers.Format(r.AgentRewardScore))
                    .Append("</td><td class=\"n\">").Append(Numbers.Format(r.AgentIntendedScore)).Append("</td></tr>");
            }

            html.Append("</table>\n");
        }

        foreach (var run in rlhf.Runs.Where(r => r.Principles.Count > 0 && r.PrincipleCounts.Count == r.Principles.Count + 1).GroupBy(r => r.Labeller).Select(g => g.MaxBy(r => r.Comparisons)!))
        {
            html.Append("<p>Labels each principle decided (").Append(H(run.Labeller)).Append(", seed ").Append(run.Seed.ToString(CultureInfo.InvariantCulture)).Append(", ")
                .Append(run.Comparisons.ToString("N0", CultureInfo.InvariantCulture)).Append(" comparisons):</p>\n<table class=\"principles\"><tr><th>principle</th><th>labels decided</th></tr>");
            for (var p = 0; p < run.Principles.Count; p++)
            {
                html.Append("<tr><td>").Append(H(run.Principles[p])).Append("</td><td class=\"n\">").Append(run.PrincipleCounts[p].ToString(CultureInfo.InvariantCulture)).Append("</td></tr>");
            }

            html.Append("<tr><td>(tie: a coin flip)</td><td class=\"n\">").Append(run.PrincipleCounts[^1].ToString(CultureInfo.InvariantCulture)).Append("</td></tr></table>\n");
        }
    }

    private static void VerdictTable(StringBuilder html, ReportVerdict? v)
    {
        html.Append("<h3>Verdict</h3>\n");
        if (v is null)
        {
            html.Append("<p class=\"na\">Not diagnosed.</p>\n");
            return;
        }

        html.Append("<table class=\"verdict\"><tr><th></th><th>aligned?</th><th>decided by</th></tr>");
        foreach (var (axis, label, answer) in new[] { (VerdictAxis.Outer, "outer alignment", v.OuterAligned), (VerdictAxis.Inner, "inner alignment", v.InnerAligned) })
        {
            html.Append("<tr><th>").Append(label).Append("</th><td>").Append(answer switch { true => "<span class=\"yes\">yes</span>", false => "<span class=\"no\">no</span>", null => "<span class=\"na\">undetermined</span>" }).Append("</td><td>");
            foreach (var c in v.Checks.Where(c => c.Axis == axis))
            {
                html.Append(H(c.Metric)).Append(" = ").Append(Numbers.Format(c.Value)).Append(c.AtMost ? " ≤ " : " ≥ ").Append(Numbers.Format(c.Threshold)).Append("? ").Append(c.Passed ? "<span class=\"yes\">yes</span>" : "<span class=\"no\">no</span>");
                if (c.Detail is { Length: > 0 } detail)
                {
                    html.Append(" (").Append(H(detail)).Append(')');
                }

                html.Append("<br>");
            }

            html.Append("</td></tr>");
        }

        html.Append("</table>\n");
        if (v.Classification is { Length: > 0 } classification)
        {
            html.Append("<p>Deployment classification: <b>").Append(H(classification)).Append("</b></p>\n");
        }
    }

    private static void Replay(StringBuilder html, EpisodeReplay replay)
    {
        html.Append("<figure class=\"replay\"><figcaption>").Append(H(replay.Title)).Append("</figcaption>")
            .Append("<div class=\"controls\"><button type=\"button\" class=\"play\">play</button><button type=\"button\" class=\"prev\">◀</button><button type=\"button\" class=\"next\">▶</button>")
            .Append("<input type=\"range\" min=\"0\" max=\"").Append(Math.Max(0, replay.Frames.Count - 1).ToString(CultureInfo.InvariantCulture)).Append("\" value=\"0\"> <span class=\"status\"></span></div>");
        foreach (var f in replay.Frames)
        {
            var info = (f.Action is { } a ? $"action {a}, " : "start, ") + $"reward {Numbers.Format(f.Reward)}, intended {Numbers.Format(f.Intended)}";
            html.Append("<pre class=\"frame\" data-info=\"").Append(H(info)).Append("\">").Append(H(f.Board.TrimEnd('\n'))).Append("</pre>");
        }

        html.Append("</figure>");
    }

    private static string Anchor(string id) => "s-" + AnchorChars().Replace(id, "_");

    [GeneratedRegex("[^A-Za-z0-9_-]")]
    private static partial Regex AnchorChars();

    /// <summary>Makes SVG element ids unique across the inline charts of one page.</summary>
    private sealed partial class SvgIds
    {
        private int _next;

        public string Prefix(string svg)
        {
            var prefix = "c" + (_next++).ToString(CultureInfo.InvariantCulture) + "_";
            return SvgIdRefs().Replace(svg, m => m.Groups[1].Value + prefix + m.Groups[2].Value);
        }

        [GeneratedRegex("(id=\"|url\\(#|href=\"#)([A-Za-z_][A-Za-z0-9_.-]*)")]
        private static partial Regex SvgIdRefs();
    }
}
