using System.Globalization;
using System.Net;
using System.Text;
using AlignLab.GoalInference;
using AlignLab.Grid;
using AlignLab.TestDesign;

namespace AlignLab.Reports;

/// <summary>
/// The report's section on designed tests and red-teaming, as an HTML fragment of inline SVG (hand-drawn, like the
/// heatmaps): the table of evaluations-to-failure and episodes-to-posterior per strategy, the goal posterior against
/// episodes, and the designed levels drawn as small grids.
/// </summary>
public static class TestDesignCharts
{
    private static readonly string[] Palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd"];

    /// <summary>The whole section: a heading, the summary table, and per strategy the first seed's posterior path and its first <paramref name="levels"/> suite levels.</summary>
    public static string Section(RedTeamReport report, int levels = 3)
    {
        ArgumentNullException.ThrowIfNull(report);
        return $"<section><h2>Designed tests and red-teaming: {E(report.Id)}</h2>{Body(report, levels, "h3")}</section>";
    }

    /// <summary>
    /// The section's content without its heading: the summary table, and per strategy (headed with
    /// <paramref name="heading"/>) the first seed's posterior path and its first <paramref name="levels"/> suite levels.
    /// </summary>
    internal static string Body(RedTeamReport report, int levels, string heading)
    {
        ArgumentNullException.ThrowIfNull(report);
        var html = new StringBuilder();
        var o = report.Options;
        html.Append(CultureInfo.InvariantCulture, $"<p>On {E(o.Distribution)}, {o.Seeds} seed(s), budget {o.Budget} levels; a level fails when the exact normalised intended score is below {N(o.Threshold)}; posterior target {N(o.PosteriorTarget)} over {o.Suite} suite episodes.</p>");
        html.Append("<table><tr><th>strategy</th><th>policy evaluations to failure (median)</th><th>seeds failed</th><th>episodes to posterior (median)</th><th>speed-up vs random</th></tr>");
        foreach (var s in report.Summary)
        {
            html.Append(CultureInfo.InvariantCulture, $"<tr><td>{Name(s.Strategy)}</td><td>{(s.MedianEvaluationsToFailure is { } m ? N(m) : $"&gt; {o.Budget}")}</td><td>{s.FailuresFound}/{o.Seeds}</td><td>{(s.MedianEpisodesToPosterior is { } p ? N(p) : "never")}</td><td>{(report.SpeedUp(s.Strategy) is { } x ? N(x) : "-")}</td></tr>");
        }

        html.Append("</table>");
        foreach (var strategy in report.Summary.Select(s => s.Strategy))
        {
            var run = report.Runs.First(r => r.Strategy == strategy);
            html.Append(CultureInfo.InvariantCulture, $"<{heading}>{Name(strategy)} (seed {run.Seed})</{heading}>");
            html.Append(Posterior(run.Path, report.Goals));
            html.Append("<div>");
            foreach (var level in run.Suite.Take(levels))
            {
                var caption = FormattableString.Invariant($"divergence {N(level.Divergence)}, score {(level.IntendedScore is { } sc ? N(sc) : "-")}");
                html.Append(CultureInfo.InvariantCulture, $"<figure style=\"display:inline-block;margin:4px\">{Level(level.Level)}<figcaption>{E(caption)}</figcaption></figure>");
            }

            html.Append("</div>");
        }

        return html.ToString();
    }

    /// <summary>A level as a small grid: walls dark, floor white, the agent a blue disc, every other object its map letter on a coloured cell.</summary>
    public static string Level(GridLevel level, int cell = 14)
    {
        ArgumentNullException.ThrowIfNull(level);
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<svg width=\"{level.Width * cell}\" height=\"{level.Height * cell}\" viewBox=\"0 0 {level.Width * cell} {level.Height * cell}\">");
        for (var i = 0; i < level.CellsView.Count; i++)
        {
            var (x, y) = (i % level.Width * cell, i / level.Width * cell);
            var c = (char)level.CellsView[i];
            var fill = c == '#' ? "#333333" : c == ' ' ? "#ffffff" : "#ffd54f";
            svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{x}\" y=\"{y}\" width=\"{cell}\" height=\"{cell}\" fill=\"{fill}\" stroke=\"#cccccc\" stroke-width=\"0.5\"/>");
            if (c != '#' && c != ' ')
            {
                svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{x + (cell / 2)}\" y=\"{y + cell - 3}\" font-size=\"{cell - 3}\" text-anchor=\"middle\">{E(c.ToString())}</text>");
            }

            if (i == level.AgentStart)
            {
                svg.Append(CultureInfo.InvariantCulture, $"<circle cx=\"{x + (cell / 2.0)}\" cy=\"{y + (cell / 2.0)}\" r=\"{cell / 3.0}\" fill=\"#1f77b4\"/>");
            }
        }

        svg.Append("</svg>");
        return svg.ToString();
    }

    /// <summary>The posterior of each goal against episodes seen, with the 0.95 line dashed.</summary>
    public static string Posterior(IReadOnlyList<PosteriorStep> path, IReadOnlyList<string> goals, int width = 360, int height = 160)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(goals);
        const int left = 36, bottom = 22, top = 8, right = 8;
        var (w, h) = (width - left - right, height - top - bottom);
        var n = Math.Max(1, path.Count);
        double X(int episode) => left + (n == 1 ? w / 2.0 : (episode - 1) * w / (double)(n - 1));
        double Y(double p) => top + ((1 - p) * h);
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<svg width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\">");
        svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{left}\" y=\"{top}\" width=\"{w}\" height=\"{h}\" fill=\"none\" stroke=\"#999999\"/>");
        svg.Append(FormattableString.Invariant($"<line x1=\"{left}\" x2=\"{left + w}\" y1=\"{Y(0.95):0.#}\" y2=\"{Y(0.95):0.#}\" stroke=\"#999999\" stroke-dasharray=\"4 3\"/>"));
        svg.Append(FormattableString.Invariant($"<text x=\"{left - 4}\" y=\"{top + 8}\" font-size=\"10\" text-anchor=\"end\">1</text><text x=\"{left - 4}\" y=\"{top + h}\" font-size=\"10\" text-anchor=\"end\">0</text>"));
        svg.Append(FormattableString.Invariant($"<text x=\"{left + (w / 2)}\" y=\"{height - 6}\" font-size=\"10\" text-anchor=\"middle\">episodes (1–{path.Count})</text>"));
        for (var g = 0; g < goals.Count; g++)
        {
            var points = string.Join(" ", path.Select(step => FormattableString.Invariant($"{X(step.Episodes):0.#},{Y(step.Posterior[goals[g]]):0.#}")));
            var color = Palette[g % Palette.Length];
            svg.Append(CultureInfo.InvariantCulture, $"<polyline points=\"{points}\" fill=\"none\" stroke=\"{color}\" stroke-width=\"2\"/>");
            svg.Append(FormattableString.Invariant($"<text x=\"{left + 4 + (g * 90)}\" y=\"{top + h - 4}\" font-size=\"10\" fill=\"{color}\">P({E(goals[g])})</text>"));
        }

        svg.Append("</svg>");
        return svg.ToString();
    }

    private static string Name(TestStrategy strategy) => strategy.ToString().ToLowerInvariant();

    private static string N(double value) => Numbers.Format(value);

    private static string E(string text) => WebUtility.HtmlEncode(text);
}
