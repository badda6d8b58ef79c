using System.Globalization;
using AlignLab.Mesa;
using ScottPlot;

namespace AlignLab.Reports;

/// <summary>
/// The report's pictures of a mesa-objective: f_R of a value-iteration-network policy over one level's map, as a
/// ScottPlot heatmap (walls blank) with the map's characters on top and a colour bar, inline SVG.
/// </summary>
internal static class MesaCharts
{

    /// <summary>f_R over the level's open cells, with the map drawn on top and the maximum ringed.</summary>
    /// <param name="level">A level read by <see cref="MesaAnalysis.Run"/>.</param>
    /// <param name="title">The chart's title (e.g. "run 3, deploy level 0").</param>
    /// <returns>Inline SVG.</returns>
    public static string RewardMap(MesaLevel level, string title)
    {
        ArgumentNullException.ThrowIfNull(level);
        return Charts.Svg(Plot(level, title), 520, 420);
    }

    /// <summary>The same chart as PNG bytes (for files and checks by eye).</summary>
    public static byte[] RewardMapPng(MesaLevel level, string title)
    {
        ArgumentNullException.ThrowIfNull(level);
        var plot = Plot(level, title);
        lock (Charts.Gate)
        {
            return plot.GetImageBytes(520, 420, ImageFormat.Png);
        }
    }

    private static Plot Plot(MesaLevel level, string title)
    {
        int rows = level.Map.Count, cols = level.Map[0].Length;
        var values = new double[rows, cols];
        for (var r = 0; r < rows; r++)
        {
            for (var c = 0; c < cols; c++)
            {
                values[r, c] = level.Map[r][c] == '#' ? double.NaN : level.Rewards[(r * cols) + c];
            }
        }

        var plot = new Plot();
        var heatmap = plot.Add.Heatmap(values);
        heatmap.Colormap = new ScottPlot.Colormaps.Viridis();
        heatmap.NaNCellColor = Colors.Gray;
        heatmap.Position = new CoordinateRect(0.5, cols - 0.5, 0.5, rows - 0.5); // the centres of the corner cells
        plot.Add.ColorBar(heatmap).Label = "f_R";
        for (var r = 0; r < rows; r++)
        {
            for (var c = 0; c < cols; c++)
            {
                var symbol = level.Map[r][c];
                if (symbol is ' ' or '#')
                {
                    continue;
                }

                var text = plot.Add.Text(symbol.ToString(), c + 0.5, rows - r - 0.5);
                text.LabelFontSize = 16;
                text.LabelBold = true;
                text.LabelFontColor = Colors.White;
                text.LabelAlignment = Alignment.MiddleCenter;
            }
        }

        var max = level.MaxCell;
        var ring = plot.Add.Rectangle(max % cols, (max % cols) + 1, rows - (max / cols) - 1, rows - (max / cols));
        ring.FillStyle.Color = Colors.Transparent;
        ring.LineStyle.Color = Colors.Red;
        ring.LineStyle.Width = 3;
        plot.Title(string.Create(CultureInfo.InvariantCulture, $"{title}: f_R maximum {level.Reading}, behaviour {level.Behaviour}"), size: 12);
        plot.Axes.SetLimits(0, cols, 0, rows);
        plot.Axes.Left.TickLabelStyle.IsVisible = false;
        plot.Axes.Bottom.TickLabelStyle.IsVisible = false;
        return plot;
    }
}
