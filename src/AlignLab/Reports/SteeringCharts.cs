using System.Globalization;
using System.Net;
using System.Text;
using AlignLab.Interpretability.Steering;
using ScottPlot;

namespace AlignLab.Reports;

/// <summary>
/// Figures of a steering experiment (<see cref="SteeringExperiment"/>) as inline SVG, in the style of <c>Charts</c>:
/// hand-drawn SVG for maps (where the agent goes with and without the goal vector; retargeting success per cell),
/// ScottPlot 5 for the distance buckets.
/// </summary>
internal static class SteeringCharts
{
    private const int Cell = 26;

    /// <summary>
    /// Where the agent goes on evaluated level <paramref name="index"/>: two maps side by side, each cell coloured by the
    /// exact expected steps spent on it, unsteered (left) and with the goal vector (right).
    /// </summary>
    public static string Visits(SteeringResult result, int index)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, result.Visits.Count);
        var visits = result.Visits[index];
        var width = result.Width * Cell;
        var gap = Cell;
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<svg class=\"heatmap\" width=\"{(2 * width) + gap + 2}\" height=\"{(result.Height * Cell) + 22}\" viewBox=\"-1 -20 {(2 * width) + gap + 2} {(result.Height * Cell) + 22}\" role=\"img\">");
        var max = visits.Before.Concat(visits.After).Where(v => v > 0).DefaultIfEmpty(1).Max();
        Panel(svg, 0, "unsteered", visits.Map, visits.Before, max, v => $"{v:0.##} expected steps");
        Panel(svg, width + gap, "with the goal vector", visits.Map, visits.After, max, v => $"{v:0.##} expected steps");
        svg.Append("</svg>");
        return svg.ToString();
    }

    /// <summary>
    /// Retargeting success per target cell: the fraction of levels (where the cell was a target) in which the
    /// retargeted agent reaches it; cells never a target are left white. Empty when the result has no retargeting.
    /// </summary>
    public static string Retarget(SteeringResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        if (result.Retarget is not { } retarget)
        {
            return string.Empty;
        }

        var rates = new double[result.Height * result.Width];
        Array.Fill(rates, double.NaN);
        foreach (var cell in retarget.Cells)
        {
            rates[cell.Cell] = (double)cell.Steered / cell.Levels;
        }

        var map = Enumerable.Range(0, result.Height).Select(_ => new string(' ', result.Width)).ToList();
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<svg class=\"heatmap\" width=\"{(result.Width * Cell) + 2}\" height=\"{(result.Height * Cell) + 22}\" viewBox=\"-1 -20 {(result.Width * Cell) + 2} {(result.Height * Cell) + 22}\" role=\"img\">");
        Panel(svg, 0, "retargeting success", map, rates, 1, v => $"reached in {v:P0} of levels", label: true);
        svg.Append("</svg>");
        return svg.ToString();
    }

    /// <summary>Median P(goal | decision square) unsteered and steered, by the goal object's distance from the landmark.</summary>
    public static string DistanceBuckets(SteeringResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var plot = new Plot();
        var buckets = result.Buckets.Where(b => b.DecisionLevels > 0).ToList();
        var positions = Enumerable.Range(0, buckets.Count).Select(i => (double)i).ToArray();
        var before = plot.Add.Bars(positions.Select(p => p - 0.2).ToArray(), buckets.Select(b => Charts.Finite(b.MedianBefore)).ToArray());
        before.LegendText = "unsteered";
        foreach (var bar in before.Bars)
        {
            bar.Size = 0.4;
            bar.FillColor = Colors.C0.WithAlpha(.8);
        }

        var after = plot.Add.Bars(positions.Select(p => p + 0.2).ToArray(), buckets.Select(b => Charts.Finite(b.MedianAfter)).ToArray());
        after.LegendText = "with the goal vector";
        foreach (var bar in after.Bars)
        {
            bar.Size = 0.4;
            bar.FillColor = Colors.C1.WithAlpha(.8);
        }

        plot.Axes.Bottom.SetTicks(positions, [.. buckets.Select(b => $"{b.Low}–{b.High} ({b.DecisionLevels})")]);
        plot.Axes.SetLimitsY(0, 1.05);
        plot.XLabel($"{result.Options.Goal}'s distance from the {result.Options.Landmark} (levels with a decision square)");
        plot.YLabel($"median P({result.Options.Goal} | decision square)");
        plot.ShowLegend(Alignment.UpperRight);
        return Charts.Svg(plot, 640, 360);
    }

    /// <summary>
    /// Writes every figure of <paramref name="result"/> into <paramref name="directory"/> (created if needed):
    /// <c>buckets.svg</c>, <c>visits-N.svg</c> per kept level, and <c>retarget.svg</c> with retargeting. Returns the paths.
    /// </summary>
    public static IReadOnlyList<string> WriteAll(SteeringResult result, string directory)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        Directory.CreateDirectory(directory);
        var files = new List<(string Name, string Svg)> { ("buckets.svg", DistanceBuckets(result)) };
        files.AddRange(Enumerable.Range(0, result.Visits.Count).Select(i => ($"visits-{i}.svg", Visits(result, i))));
        if (result.Retarget is not null)
        {
            files.Add(("retarget.svg", Retarget(result)));
        }

        var paths = new List<string>();
        foreach (var (name, svg) in files)
        {
            var path = Path.Combine(directory, name);
            File.WriteAllText(path, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" + svg.Replace("<svg ", "<svg xmlns=\"http://www.w3.org/2000/svg\" ", StringComparison.Ordinal));
            paths.Add(path);
        }

        return paths;
    }

    private static void Panel(StringBuilder svg, int left, string title, IReadOnlyList<string> map, IReadOnlyList<double> values, double max, Func<double, string> describe, bool label = false)
    {
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{left}\" y=\"-6\" font-family=\"sans-serif\" font-size=\"12\">{WebUtility.HtmlEncode(title)}</text>");
        var width = map.Count == 0 ? 0 : map.Max(r => r.Length);
        for (var y = 0; y < map.Count; y++)
        {
            for (var x = 0; x < width; x++)
            {
                var ch = x < map[y].Length ? map[y][x] : ' ';
                var v = values[(y * width) + x];
                var fill = ch == '#' ? "#9a9a9a" : double.IsNaN(v) || v <= 0 ? "#ffffff" : Charts.Heat(v / max);
                var tip = double.IsNaN(v) ? string.Empty : describe(v);
                svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{left + (x * Cell)}\" y=\"{y * Cell}\" width=\"{Cell}\" height=\"{Cell}\" fill=\"{fill}\" stroke=\"#ddd\"><title>row {y}, column {x}{(tip.Length > 0 ? ": " + WebUtility.HtmlEncode(tip) : string.Empty)}</title></rect>");
                var text = label && !double.IsNaN(v) ? ((int)Math.Round(v * 10)).ToString(CultureInfo.InvariantCulture) : ch is ' ' or '#' ? string.Empty : ch.ToString();
                if (text.Length > 0)
                {
                    svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{left + (x * Cell) + (Cell / 2)}\" y=\"{(y * Cell) + (Cell * 0.72)}\" text-anchor=\"middle\" font-family=\"monospace\" font-size=\"{Cell * 0.6}\">{WebUtility.HtmlEncode(text)}</text>");
                }
            }
        }
    }
}
