using System.Globalization;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using ScottPlot;

namespace AlignLab.Reports;

/// <summary>The report's charts as inline SVG: ScottPlot 5 for curves and bars, hand-drawn SVG for heatmaps.</summary>
internal static partial class Charts
{
    /// <summary>ScottPlot renders one plot at a time: every chart class of the report takes this lock.</summary>
    internal static readonly object Gate = new();

    /// <summary>Specified and intended return against steps, with optional optimum lines.</summary>
    public static string Curves(IReadOnlyList<CurvePoint> curve, double? rewardOptimal, double? intendedOptimal)
    {
        var plot = new Plot();
        var xs = curve.Select(p => (double)p.Step).ToArray();
        var reward = plot.Add.ScatterLine(xs, curve.Select(p => p.Reward).ToArray());
        reward.LegendText = "specified reward";
        reward.LineWidth = 2;
        reward.Color = Colors.C0;
        var intended = plot.Add.ScatterLine(xs, curve.Select(p => p.Intended).ToArray());
        intended.LegendText = "intended";
        intended.LineWidth = 2;
        intended.Color = Colors.C1;
        if (rewardOptimal is { } r && double.IsFinite(r))
        {
            var line = plot.Add.HorizontalLine(r, 1, Colors.C0, LinePattern.Dashed);
            line.LegendText = "reward optimum";
        }

        if (intendedOptimal is { } i && double.IsFinite(i))
        {
            var line = plot.Add.HorizontalLine(i, 1, Colors.C1, LinePattern.Dashed);
            line.LegendText = "intended optimum";
        }

        plot.XLabel("environment steps");
        plot.YLabel("return");
        plot.ShowLegend(Alignment.LowerRight);
        return Svg(plot, 640, 360);
    }

    /// <summary>Bars of the goal scores on one distribution with 95% interval whiskers.</summary>
    public static string Goals(GoalScoreSet set)
    {
        var plot = new Plot();
        var goals = set.Goals;
        var positions = Enumerable.Range(0, goals.Count).Select(i => (double)i).ToArray();
        var means = goals.Select(g => Finite(g.Mean)).ToArray();
        var bars = plot.Add.Bars(positions, means);
        foreach (var bar in bars.Bars)
        {
            bar.FillColor = Colors.C0.WithAlpha(.7);
        }

        var errors = new ScottPlot.Plottables.ErrorBar(
            positions,
            means,
            null,
            null,
            goals.Select(g => Math.Max(0, Finite(g.Mean) - Finite(g.Low))).ToArray(),
            goals.Select(g => Math.Max(0, Finite(g.High) - Finite(g.Mean))).ToArray());
        plot.Add.Plottable(errors);
        errors.Color = Colors.Black;
        errors.LineWidth = 1.5f;

        // Goal names come from scenario files: angle brackets become look-alikes here, and Svg() escapes the rest.
        plot.Axes.Bottom.SetTicks(positions, [.. goals.Select(g => g.Goal.Replace('<', '‹').Replace('>', '›'))]);
        plot.Axes.Margins(bottom: 0);
        plot.YLabel("normalised score");
        plot.Axes.SetLimitsY(Math.Min(0, means.DefaultIfEmpty(0).Min() - .1), Math.Max(1.1, goals.Select(g => Finite(g.High)).DefaultIfEmpty(0).Max() + .05));
        return Svg(plot, 420, 300);
    }

    /// <summary>Learned-reward gap against comparisons (log scale): one dot per run, the median per labeller and selection joined.</summary>
    public static string RlhfGaps(RlhfSummary summary)
    {
        var plot = new Plot();
        var palette = new[] { Colors.C0, Colors.C1, Colors.C2, Colors.C3, Colors.C4, Colors.C5, Colors.C6, Colors.C7 };
        var series = summary.Runs.GroupBy(r => (r.Labeller, r.Selection)).OrderBy(g => g.Key.Labeller, StringComparer.Ordinal).ThenBy(g => g.Key.Selection, StringComparer.Ordinal).ToList();
        for (var k = 0; k < series.Count; k++)
        {
            var color = palette[k % palette.Length];
            var runs = series[k].Where(r => double.IsFinite(r.GapWorst)).ToList();
            var dots = plot.Add.ScatterPoints(runs.Select(r => Math.Log10(r.Comparisons)).ToArray(), runs.Select(r => r.GapWorst).ToArray());
            dots.Color = color.WithAlpha(.5);
            dots.MarkerSize = 6;
            var medians = runs.GroupBy(r => r.Comparisons).OrderBy(g => g.Key).Select(g => (X: Math.Log10(g.Key), Y: Numbers.Median(g.Select(r => r.GapWorst)))).ToList();
            var line = plot.Add.ScatterLine(medians.Select(m => m.X).ToArray(), medians.Select(m => m.Y).ToArray());
            line.Color = color;
            line.LineWidth = 2;
            line.LegendText = $"{series[k].Key.Labeller.Replace('<', '‹').Replace('>', '›')}, {series[k].Key.Selection} (median)";
        }

        if (double.IsFinite(summary.SpecifiedGap))
        {
            var specified = plot.Add.HorizontalLine(summary.SpecifiedGap, 1, Colors.Black, LinePattern.Dashed);
            specified.LegendText = "specified reward";
        }

        var ticks = summary.Runs.Select(r => r.Comparisons).Distinct().Order().ToArray();
        plot.Axes.Bottom.SetTicks([.. ticks.Select(t => Math.Log10(t))], [.. ticks.Select(t => t.ToString("N0", CultureInfo.InvariantCulture))]);
        plot.XLabel("comparisons (log scale)");
        plot.YLabel("learned reward's specification gap");
        plot.ShowLegend(Alignment.UpperRight);
        return Svg(plot, 640, 380);
    }

    /// <summary>The map with each cell coloured by visit frequency and the map characters on top.</summary>
    public static string Heatmap(VisitHeatmap map)
    {
        const int cell = 26;
        var rows = map.Map.Count;
        var cols = map.Map.Count == 0 ? 0 : map.Map.Max(r => r.Length);
        var max = map.Visits.SelectMany(r => r).DefaultIfEmpty(0).Max();
        var total = map.Visits.SelectMany(r => r).Sum();
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<svg class=\"heatmap\" width=\"{(cols * cell) + 2}\" height=\"{(rows * cell) + 2}\" viewBox=\"-1 -1 {(cols * cell) + 2} {(rows * cell) + 2}\" role=\"img\">");
        for (var y = 0; y < rows; y++)
        {
            for (var x = 0; x < cols; x++)
            {
                var ch = x < map.Map[y].Length ? map.Map[y][x] : ' ';
                var visits = y < map.Visits.Count && x < map.Visits[y].Count ? map.Visits[y][x] : 0;
                var fill = visits > 0 && max > 0 ? Heat(Math.Log(1 + visits) / Math.Log(1 + max)) : ch == '#' ? "#9a9a9a" : "#ffffff";
                var share = total > 0 ? visits / total : 0;
                svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{x * cell}\" y=\"{y * cell}\" width=\"{cell}\" height=\"{cell}\" fill=\"{fill}\" stroke=\"#ddd\"><title>row {y}, column {x}: {visits:0.##} visits ({share:P1})</title></rect>");
                if (ch != ' ')
                {
                    svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{(x * cell) + (cell / 2)}\" y=\"{(y * cell) + (cell * 0.72)}\" text-anchor=\"middle\" font-family=\"monospace\" font-size=\"{cell * 0.7}\">{WebUtility.HtmlEncode(ch.ToString())}</text>");
                }
            }
        }

        svg.Append("</svg>");
        return svg.ToString();
    }

    /// <summary>White → yellow → red for t in [0, 1].</summary>
    internal static string Heat(double t)
    {
        t = Math.Clamp(t, 0, 1);
        var (r, g, b) = t < .5 ? (255, 255, (int)(255 - (t * 2 * 200))) : (255, (int)(255 - ((t - .5) * 2 * 200)), 55);
        return FormattableString.Invariant($"#{r:x2}{g:x2}{b:x2}");
    }

    internal static double Finite(double value) => double.IsFinite(value) ? value : 0;

    /// <summary>ScottPlot's SVG made fit to inline in HTML: no XML declaration, no namespace URLs, text escaped.</summary>
    internal static string Svg(Plot plot, int width, int height)
    {
        string svg;
        lock (Gate)
        {
            svg = plot.GetSvgXml(width, height);
        }

        svg = XmlDeclaration().Replace(svg, string.Empty);
        svg = Namespaces().Replace(svg, string.Empty);
        svg = TextContent().Replace(svg, m => m.Groups[1].Value + WebUtility.HtmlEncode(WebUtility.HtmlDecode(m.Groups[2].Value)) + m.Groups[3].Value);
        return svg.Trim();
    }

    [GeneratedRegex(@"<\?xml[^>]*\?>")]
    private static partial Regex XmlDeclaration();

    [GeneratedRegex(@"\s+xmlns(:\w+)?=""[^""]*""")]
    private static partial Regex Namespaces();

    [GeneratedRegex(@"(<text[^>]*>)(.*?)(</text>)", RegexOptions.Singleline)]
    private static partial Regex TextContent();
}
