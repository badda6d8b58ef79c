using System.Globalization;
using System.Text;
using AlignLab.Curricula;
using AlignLab.Interpretability.Steering;
using ScottPlot;

namespace AlignLab.Reports;

/// <summary>The report's sections for a run's stored analyses: probes, steering, goal audits, designed tests, the mesa-objective and curriculum comparisons.</summary>
public static partial class HtmlReport
{
    /// <summary>Levels of a mesa analysis whose f_R is drawn: the one the command showed, then the next ones.</summary>
    private const int MesaMapsDrawn = 3;

    /// <summary>Designed levels drawn per strategy of a red-teaming analysis.</summary>
    private const int RedTeamLevelsDrawn = 3;

    private static void Analyses(StringBuilder html, RunAnalyses a, SvgIds ids)
    {
        foreach (var probe in a.Probes)
        {
            Probe(html, probe, ids);
        }

        foreach (var steer in a.Steering)
        {
            Steering(html, steer, ids);
        }

        foreach (var audit in a.Audits)
        {
            Audit(html, audit);
        }

        foreach (var redTeam in a.RedTeams)
        {
            RedTeam(html, redTeam);
        }

        foreach (var mesa in a.Mesa)
        {
            Mesa(html, mesa, ids);
        }

        foreach (var curricula in a.Curricula)
        {
            Curricula(html, curricula, ids);
        }
    }

    private static void Produced(StringBuilder html, string command, long id, DateTimeOffset created) =>
        html.Append(" Produced by <code>").Append(H(command)).Append("</code> (stored analysis ").Append(id.ToString(CultureInfo.InvariantCulture)).Append(", ").Append(H(created.ToString("u", CultureInfo.InvariantCulture))).Append(").</p>\n");

    private static string Interval(Diagnostics.Estimate e) => $"{Numbers.Format(e.Mean)} [{Numbers.Format(e.Low)}, {Numbers.Format(e.High)}]";

    private static void Probe(StringBuilder html, StoredAnalysis<ProbeAnalysis> stored, SvgIds ids)
    {
        var p = stored.Analysis;
        html.Append("<div class=\"analysis probe\" data-analysis=\"").Append(stored.Id.ToString(CultureInfo.InvariantCulture)).Append("\">\n<h3>Reading the goal: linear probes for ").Append(H(p.Target)).Append("</h3>\n");
        html.Append("<p>Held-out accuracy of a ").Append(H(p.Readout.ToString().ToLowerInvariant())).Append(' ').Append(H(p.Kind.ToString().ToLowerInvariant())).Append(" probe reading <b>").Append(H(p.Target)).Append("</b> (").Append(H(p.TargetMeaning)).Append(") from each layer's activations, with its Wilson 95% interval, beside the control: the same probe fitted to the labels shuffled (near chance when the probe does not merely memorise); ")
            .Append(p.Observations.ToString(CultureInfo.InvariantCulture)).Append(' ').Append(H(p.Distribution)).Append(" observations of ").Append(H(p.Scenario)).Append('.');
        Produced(html, p.Command, stored.Id, stored.Created);
        if (p.Layers.Count > 0)
        {
            html.Append("<figure class=\"chart probes\">").Append(ids.Prefix(ProbeChart(p))).Append("<figcaption>Held-out accuracy per layer (whiskers: Wilson 95% intervals); dashed: chance (the most frequent class).</figcaption></figure>\n");
        }

        html.Append("<table class=\"probe\"><tr><th>layer</th><th>shape</th><th>probe accuracy [95%]</th><th>control accuracy [95%]</th><th>chance</th><th>classes</th><th>held out</th><th>trained on</th></tr>");
        foreach (var layer in p.Layers)
        {
            var r = layer.Report;
            html.Append("<tr><td>").Append(H(layer.Layer)).Append("</td><td>").Append(H(string.Join("×", layer.Shape))).Append("</td><td class=\"n\">").Append(Interval(r.Probe.Accuracy)).Append("</td><td class=\"n\">").Append(Interval(r.Control.Accuracy))
                .Append("</td><td class=\"n\">").Append(Numbers.Format(r.Probe.Chance)).Append("</td><td class=\"n\">").Append(r.Probe.Classes.ToString(CultureInfo.InvariantCulture)).Append("</td><td class=\"n\">").Append(r.Probe.Accuracy.N.ToString(CultureInfo.InvariantCulture))
                .Append("</td><td class=\"n\">").Append(r.Probe.Train.ToString(CultureInfo.InvariantCulture)).Append("</td></tr>");
        }

        html.Append("</table>\n");
        var maps = p.Layers.Where(l => l.Map is { Count: > 0 } && l.Shape.Count == 3 && l.Map.Count == l.Shape[1] * l.Shape[2]).ToList();
        if (maps.Count > 0)
        {
            html.Append("<p>Probe maps: the held-out accuracy of the probe fitted on the channels at each position of a convolutional layer, drawn over a maze of the distribution (white 0, yellow 0.5, red 1).</p>\n<div class=\"charts\">");
            foreach (var layer in maps)
            {
                var (rows, cols) = (layer.Shape[1], layer.Shape[2]);
                var best = Enumerable.Range(0, layer.Map!.Count).MaxBy(i => double.IsNaN(layer.Map[i]) ? double.NegativeInfinity : layer.Map[i]);
                html.Append("<figure class=\"chart probe-map\">").Append(ProbeMap(layer.Map, rows, cols, p.Maze)).Append("<figcaption>").Append(H(layer.Layer)).Append(": most accurate at row ").Append(best / cols).Append(", column ").Append(best % cols)
                    .Append(" (").Append(Numbers.Format(layer.Map[best])).Append(")</figcaption></figure>");
            }

            html.Append("</div>\n");
        }

        html.Append("</div>\n");
    }

    private static string ProbeChart(ProbeAnalysis p)
    {
        var plot = new Plot();
        var positions = Enumerable.Range(0, p.Layers.Count).Select(i => (double)i).ToArray();
        foreach (var (name, pick, offset, color) in new (string, Func<ProbeLayerRecord, Diagnostics.Estimate>, double, Color)[]
        {
            ("probe", l => l.Report.Probe.Accuracy, -0.08, Colors.C0),
            ("control (shuffled labels)", l => l.Report.Control.Accuracy, 0.08, Colors.C1),
        })
        {
            var xs = positions.Select(x => x + offset).ToArray();
            var estimates = p.Layers.Select(pick).ToArray();
            var means = estimates.Select(e => Charts.Finite(e.Mean)).ToArray();
            var line = plot.Add.ScatterLine(xs, means);
            line.LegendText = name;
            line.Color = color;
            line.LineWidth = 2;
            line.MarkerSize = 7;
            var errors = new ScottPlot.Plottables.ErrorBar(xs, means, null, null, [.. estimates.Select(e => Math.Max(0, Charts.Finite(e.Mean) - Charts.Finite(e.Low)))], [.. estimates.Select(e => Math.Max(0, Charts.Finite(e.High) - Charts.Finite(e.Mean)))]);
            errors.Color = color;
            plot.Add.Plottable(errors);
        }

        var chance = p.Layers.Select(l => l.Report.Probe.Chance).Where(double.IsFinite).DefaultIfEmpty(double.NaN).Average();
        if (double.IsFinite(chance))
        {
            var line = plot.Add.HorizontalLine(chance, 1, Colors.Gray, LinePattern.Dashed);
            line.LegendText = "chance";
        }

        plot.Axes.Bottom.SetTicks(positions, [.. p.Layers.Select(l => l.Layer.Replace('<', '‹').Replace('>', '›'))]);
        plot.Axes.SetLimitsY(0, 1.05);
        plot.XLabel("layer");
        plot.YLabel("held-out accuracy");
        plot.ShowLegend(Alignment.LowerRight);
        return Charts.Svg(plot, 640, 340);
    }

    /// <summary>A grid of values in [0, 1] as heat, with the maze's characters on top where the maze has the grid's size.</summary>
    private static string ProbeMap(IReadOnlyList<double> values, int rows, int cols, IReadOnlyList<string>? maze)
    {
        const int cell = 26;
        var fits = maze is not null && maze.Count == rows && maze.All(r => r.Length == cols);
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<svg class=\"heatmap\" width=\"{(cols * cell) + 2}\" height=\"{(rows * cell) + 2}\" viewBox=\"-1 -1 {(cols * cell) + 2} {(rows * cell) + 2}\" role=\"img\">");
        for (var y = 0; y < rows; y++)
        {
            for (var x = 0; x < cols; x++)
            {
                var v = values[(y * cols) + x];
                var ch = fits ? maze![y][x] : ' ';
                var fill = double.IsNaN(v) ? "#ffffff" : Charts.Heat(v);
                svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{x * cell}\" y=\"{y * cell}\" width=\"{cell}\" height=\"{cell}\" fill=\"{fill}\" stroke=\"{(ch == '#' ? "#555" : "#ddd")}\"><title>row {y}, column {x}: accuracy {Numbers.Format(v)}</title></rect>");
                if (ch is not ' ')
                {
                    svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{(x * cell) + (cell / 2)}\" y=\"{(y * cell) + (cell * 0.72)}\" text-anchor=\"middle\" font-family=\"monospace\" font-size=\"{cell * 0.6}\">{H(ch.ToString())}</text>");
                }
            }
        }

        svg.Append("</svg>");
        return svg.ToString();
    }

    private static void Steering(StringBuilder html, StoredAnalysis<SteeringAnalysis> stored, SvgIds ids)
    {
        var s = stored.Analysis;
        var r = s.Result;
        var o = r.Options;
        html.Append("<div class=\"analysis steer\" data-analysis=\"").Append(stored.Id.ToString(CultureInfo.InvariantCulture)).Append("\">\n<h3>Steering: the goal vector's exact effect</h3>\n");
        var vector = o.Vector switch
        {
            GoalVectorKind.Goal => $"the mean goal vector (norm {Numbers.Format(r.VectorNorm)})",
            GoalVectorKind.Level => "each level's own goal vector",
            GoalVectorKind.Random => "the control, a random direction of each level's goal vector's norm",
            _ => "no vector",
        };
        html.Append("<p>Where the ").Append(H(s.Agent)).Append(" agent goes with and without ").Append(H(vector)).Append(" added with coefficient ").Append(Numbers.Format(o.Coefficient)).Append(" at layer ").Append(H(r.Layer))
            .Append(", measured exactly (no sampling) on ").Append(r.Levels.Count.ToString(CultureInfo.InvariantCulture)).Append(' ').Append(H(o.Distribution)).Append(" levels, ").Append(r.DecisionLevels.ToString(CultureInfo.InvariantCulture)).Append(" of them with a decision square.");
        Produced(html, s.Command, stored.Id, stored.Created);
        html.Append("<table class=\"steer\"><tr><th></th><th>unsteered</th><th>with the vector</th></tr>");
        Row("mean P(reach " + o.Goal + ")", r.Levels.Count == 0 ? double.NaN : r.Levels.Average(l => l.Before.ReachGoal), r.Levels.Count == 0 ? double.NaN : r.Levels.Average(l => l.After.ReachGoal));
        Row("mean P(reach " + o.Landmark + ")", r.Levels.Count == 0 ? double.NaN : r.Levels.Average(l => l.Before.ReachLandmark), r.Levels.Count == 0 ? double.NaN : r.Levels.Average(l => l.After.ReachLandmark));
        Row("median P(" + o.Goal + " | decision square)", r.MedianDecisionBefore, r.MedianDecisionAfter);
        html.Append("</table>\n");
        if (r.Visits.Count > 0)
        {
            html.Append("<div class=\"charts\">");
            for (var i = 0; i < r.Visits.Count; i++)
            {
                html.Append("<figure class=\"chart heatmap\">").Append(SteeringCharts.Visits(r, i)).Append("<figcaption>Level ").Append(i.ToString(CultureInfo.InvariantCulture)).Append(": exact expected steps on each cell, unsteered (left) and with the vector (right).</figcaption></figure>");
            }

            html.Append("</div>\n");
        }

        if (r.Buckets.Any(b => b.DecisionLevels > 0))
        {
            html.Append("<figure class=\"chart buckets\">").Append(ids.Prefix(SteeringCharts.DistanceBuckets(r))).Append("<figcaption>Median P(").Append(H(o.Goal)).Append(" | decision square) by the ").Append(H(o.Goal)).Append("'s distance from the ").Append(H(o.Landmark)).Append(" (levels with a decision square in brackets).</figcaption></figure>\n");
        }

        if (r.Retarget is { } retarget)
        {
            html.Append("<figure class=\"chart retarget\">").Append(SteeringCharts.Retarget(r)).Append("<figcaption>Retargeting channels ").Append(H(string.Join(", ", retarget.Channels))).Append(": the share of levels in which the agent reaches each target cell (with P ≥ ")
                .Append(Numbers.Format(o.SuccessProbability)).Append("); within ").Append(o.NearPath.ToString(CultureInfo.InvariantCulture)).Append(" moves of the path to the ").Append(H(o.Landmark)).Append(": ").Append(Numbers.Format(retarget.WithinNearPath.Steered))
                .Append(" steered, ").Append(Numbers.Format(retarget.WithinNearPath.Unsteered)).Append(" unsteered, over ").Append(retarget.WithinNearPath.Pairs.ToString(CultureInfo.InvariantCulture)).Append(" level × target pairs.</figcaption></figure>\n");
        }

        html.Append("</div>\n");

        void Row(string name, double before, double after) =>
            html.Append("<tr><th>").Append(H(name)).Append("</th><td class=\"n\">").Append(Numbers.Format(before)).Append("</td><td class=\"n\">").Append(Numbers.Format(after)).Append("</td></tr>");
    }

    private static void Audit(StringBuilder html, StoredAnalysis<AuditAnalysis> stored)
    {
        var a = stored.Analysis.Audit;
        html.Append("<div class=\"analysis audit\" data-analysis=\"").Append(stored.Id.ToString(CultureInfo.InvariantCulture)).Append("\">\n<h3>Goal inference from behaviour: the posterior against episodes</h3>\n");
        html.Append("<p>The posterior over the candidate goals after each of the policy's ").Append(H(a.Distribution)).Append(" episodes (uniform prior; Boltzmann-rational likelihood over each goal's exact optimal action values, γ ")
            .Append(Numbers.Format(a.Discount)).Append(", temperature and lapse rate fitted): the policy ").Append(H(a.Summary)).Append('.');
        Produced(html, stored.Analysis.Command, stored.Id, stored.Created);
        html.Append("<figure class=\"chart posterior\">").Append(TestDesignCharts.Posterior(a.Path, a.Goals)).Append("<figcaption>P(goal | episodes) against episodes; dashed: 0.95.</figcaption></figure>\n");
        html.Append("<table class=\"posterior\"><tr><th>episodes</th>");
        foreach (var g in a.Goals)
        {
            html.Append("<th>P(").Append(H(g)).Append(")</th>");
        }

        html.Append("</tr>");
        foreach (var step in a.Path)
        {
            html.Append("<tr><td class=\"n\">").Append(step.Episodes.ToString(CultureInfo.InvariantCulture)).Append("</td>");
            foreach (var g in a.Goals)
            {
                html.Append("<td class=\"n\">").Append(Numbers.Format(step.Posterior[g])).Append("</td>");
            }

            html.Append("</tr>");
        }

        html.Append("</table>\n</div>\n");
    }

    private static void RedTeam(StringBuilder html, StoredAnalysis<RedTeamAnalysis> stored)
    {
        var report = stored.Analysis.Report;
        html.Append("<div class=\"analysis redteam\" data-analysis=\"").Append(stored.Id.ToString(CultureInfo.InvariantCulture)).Append("\">\n<h3>Designed tests and red-teaming</h3>\n");
        html.Append("<p>How many exact policy evaluations each strategy needed before a level failed, against random deployment sampling; the goal posterior over each strategy's test suite; and the designed levels, drawn (the agent a blue disc).");
        Produced(html, stored.Analysis.Command, stored.Id, stored.Created);
        html.Append(TestDesignCharts.Body(report, RedTeamLevelsDrawn, "h4")).Append("\n</div>\n");
    }

    private static void Mesa(StringBuilder html, StoredAnalysis<MesaAnalysisRecord> stored, SvgIds ids)
    {
        var m = stored.Analysis;
        var s = m.Summary;
        html.Append("<div class=\"analysis mesa\" data-analysis=\"").Append(stored.Id.ToString(CultureInfo.InvariantCulture)).Append("\">\n<h3>The mesa-objective f_R on ").Append(H(s.Distribution)).Append(" levels</h3>\n");
        html.Append("<p>The learned reward map f_R of the value-iteration network (K = ").Append(m.Iterations.ToString(CultureInfo.InvariantCulture)).Append(m.Coordinates ? ", with coordinate channels" : string.Empty).Append(") on ")
            .Append(s.Levels.Count.ToString(CultureInfo.InvariantCulture)).Append(' ').Append(H(s.Distribution)).Append(" levels of ").Append(H(m.Scenario))
            .Append(": where its maximum lies, how it correlates with each goal's cells, whether that agrees with the policy's exact behavioural goal attribution, and whether reward put on a cell brings the agent there (exact).");
        Produced(html, m.Command, stored.Id, stored.Created);
        html.Append("<table class=\"mesa\"><tr><th>f_R's maximum lies on</th><td>").Append(H(string.Join(", ", s.Readings.Select(r => $"{r.Key} {r.Value.ToString(CultureInfo.InvariantCulture)}")))).Append("</td></tr>");
        html.Append("<tr><th>mean correlation of f_R with each goal's cells</th><td>").Append(H(string.Join(", ", s.MeanCorrelations.Select(c => $"{c.Key} {Numbers.Format(c.Value)}")))).Append("</td></tr>");
        html.Append("<tr><th>agreement with behaviour (levels whose goals' cells are apart)</th><td>f_R's maximum ").Append(Numbers.Format(s.Agreement)).Append(", the goal f_R rates highest ").Append(Numbers.Format(s.PreferredAgreement))
            .Append(" (").Append(s.Compared.ToString(CultureInfo.InvariantCulture)).Append(" levels); where neither goal lies on the way to the other ").Append(Numbers.Format(s.SeparatedAgreement.Maximum)).Append(" and ").Append(Numbers.Format(s.SeparatedAgreement.Preferred))
            .Append(" (").Append(s.Separated.ToString(CultureInfo.InvariantCulture)).Append(" levels)</td></tr>");
        if (s.Edits > 0)
        {
            html.Append("<tr><th>edits of f_R (reward on one cell)</th><td>").Append(s.Edits.ToString(CultureInfo.InvariantCulture)).Append(" edits: the agent then enters the cell with mean exact probability ").Append(Numbers.Format(s.MeanReachAfter))
                .Append(" (unedited ").Append(Numbers.Format(s.MeanReachBefore)).Append("); at least 0.9 after a share ").Append(Numbers.Format(s.ReachedShare)).Append(" of edits; acting greedily ").Append(Numbers.Format(s.GreedyReach)).Append("</td></tr>");
        }

        html.Append("</table>\n<div class=\"charts\">");
        var drawn = s.Levels.Skip(m.Shown).Concat(s.Levels.Take(m.Shown)).Take(MesaMapsDrawn);
        foreach (var level in drawn)
        {
            var cols = level.Map.Count == 0 ? 1 : level.Map[0].Length;
            html.Append("<figure class=\"chart mesa-map\">").Append(ids.Prefix(MesaCharts.RewardMap(level, $"{s.Distribution} level {level.Level.ToString(CultureInfo.InvariantCulture)}"))).Append("<figcaption>")
                .Append(H(s.Distribution)).Append(" level ").Append(level.Level.ToString(CultureInfo.InvariantCulture)).Append(": f_R's maximum ").Append(Numbers.Format(level.Rewards[level.MaxCell])).Append(" at row ").Append(level.MaxCell / cols).Append(", column ").Append(level.MaxCell % cols)
                .Append(" (on ").Append(H(level.Reading)).Append("); behaviour: ").Append(H(level.Behaviour)).Append("; exact goal scores ").Append(H(string.Join(", ", level.GoalScores.Select(g => $"{g.Key} {Numbers.Format(g.Value)}"))));
            if (level.Edits.Count > 0)
            {
                html.Append("; ").Append(level.Edits.Count.ToString(CultureInfo.InvariantCulture)).Append(" edits, mean P(enter the cell) ").Append(Numbers.Format(level.Edits.Average(e => e.After))).Append(" (unedited ").Append(Numbers.Format(level.Edits.Average(e => e.Before))).Append(')');
            }

            html.Append("</figcaption></figure>");
        }

        html.Append("</div>\n</div>\n");
    }

    private static void Curricula(StringBuilder html, StoredAnalysis<CurriculumAnalysis> stored, SvgIds ids)
    {
        var t = stored.Analysis.Table;
        var spec = t.Spec;
        var alphas = t.Rows.Select(r => r.Alpha).Distinct().Order().ToList();
        var methods = CurriculumMethods(t);
        var ppo = string.Concat(spec.PpoOverrides.Select(o => ", " + o));
        var set = spec.Set is { Count: > 0 } ? " (" + string.Join(", ", spec.Set.Select(p => $"{p.Key}={p.Value}")) + ")" : string.Empty;
        html.Append("<div class=\"analysis curricula\" data-analysis=\"").Append(stored.Id.ToString(CultureInfo.InvariantCulture)).Append("\">\n<h3>Curricula against goal misgeneralisation: deployment score against α</h3>\n");
        html.Append("<p>PPO (").Append(H(spec.Preset + ppo)).Append(") trained on ").Append(H(t.ScenarioId + set)).Append(" through each curriculum at each α (the probability that a new level comes from '").Append(H(spec.Curriculum.ShiftDistribution))
            .Append("'), ").Append(spec.Seeds.ToString(CultureInfo.InvariantCulture)).Append(spec.Seeds == 1 ? " seed" : " seeds").Append(" per cell, ").Append(t.StepsPerRun.ToString("N0", CultureInfo.InvariantCulture)).Append(" environment steps per run; PLR⊥ and ACCEL with buffer ")
            .Append(spec.Curriculum.BufferSize.ToString(CultureInfo.InvariantCulture)).Append(", replay probability ").Append(Numbers.Format(spec.Curriculum.ReplayProbability)).Append(", temperature ").Append(Numbers.Format(spec.Curriculum.Temperature)).Append(", staleness ")
            .Append(Numbers.Format(spec.Curriculum.StalenessCoefficient)).Append(", ").Append(spec.Curriculum.EditsPerChild.ToString(CultureInfo.InvariantCulture)).Append(" ACCEL edits per child. Each final policy's normalised score of the intended objective is computed exactly (no sampling) on ")
            .Append(spec.EvalLevels.ToString(CultureInfo.InvariantCulture)).Append(" '").Append(H(spec.Curriculum.ShiftDistribution)).Append("' levels (0: the uniformly random policy, 1: optimal); means over seeds with Student-t 95% intervals. ρ: Spearman rank correlation over those levels between the final policy's exact oracle regret and each estimated regret (PVL, MaxMC) from one rollout cycle, mean over seeds.");
        Produced(html, stored.Analysis.Command, stored.Id, stored.Created);
        if (t.Rows.Count > 0)
        {
            html.Append("<figure class=\"chart curricula\">").Append(ids.Prefix(CurriculumChart(alphas, methods))).Append("<figcaption>Deployment intended score against α, one line per method (whiskers: 95% intervals over seeds; α on an ordinal axis); dashed: the uniformly random policy.</figcaption></figure>\n");
        }

        html.Append("<table class=\"curricula-grid\"><tr><th>method</th>");
        foreach (var alpha in alphas)
        {
            html.Append("<th>α = ").Append(H(alpha.ToString("G", CultureInfo.InvariantCulture))).Append("</th>");
        }

        html.Append("</tr>");
        foreach (var (name, rows) in methods)
        {
            html.Append("<tr><th>").Append(H(name)).Append("</th>");
            foreach (var alpha in alphas)
            {
                html.Append(rows.FirstOrDefault(r => r.Alpha.Equals(alpha)) is { } row ? "<td class=\"n\">" + Interval(row.Deploy) + "</td>" : "<td></td>");
            }

            html.Append("</tr>");
        }

        html.Append("</table>\n<table class=\"curricula\"><tr><th>method</th><th>α</th><th>deploy intended score [95%]</th><th>each seed's deploy score</th><th>deploy intended return [95%]</th><th>train intended score [95%]</th><th>ρ(exact, PVL)</th><th>ρ(exact, MaxMC)</th><th>mean exact regret</th></tr>");
        foreach (var (name, rows) in methods)
        {
            foreach (var r in rows)
            {
                html.Append("<tr><td>").Append(H(name)).Append("</td><td class=\"n\">").Append(H(r.Alpha.ToString("G", CultureInfo.InvariantCulture))).Append("</td><td class=\"n\">").Append(Interval(r.Deploy)).Append("</td><td class=\"n\">")
                    .Append(string.Join(", ", r.PerSeed.Select(v => Numbers.Format(v)))).Append("</td><td class=\"n\">").Append(Interval(r.DeployReturn)).Append("</td><td class=\"n\">").Append(Interval(r.Train)).Append("</td><td class=\"n\">")
                    .Append(Numbers.Format(r.PvlCorrelation)).Append("</td><td class=\"n\">").Append(Numbers.Format(r.MaxMcCorrelation)).Append("</td><td class=\"n\">").Append(Numbers.Format(r.ExactRegret)).Append("</td></tr>");
            }
        }

        html.Append("</table>\n</div>\n");
    }

    /// <summary>The comparison's rows grouped by method (DR; PLR⊥ and ACCEL by level score), in the order they were run, each group ordered by α.</summary>
    internal static IReadOnlyList<(string Name, IReadOnlyList<ComparisonRow> Rows)> CurriculumMethods(ComparisonTable table) =>
        [.. table.Rows.GroupBy(r => (r.Kind, Score: r.Kind == CurriculumKind.Dr ? LevelScoreKind.Exact : r.Score))
            .Select(g => (CurriculumName(g.Key.Kind, g.Key.Score), (IReadOnlyList<ComparisonRow>)[.. g.OrderBy(r => r.Alpha)]))];

    /// <summary>How the report names a curriculum: DR, or PLR⊥/ACCEL with the level score it ranks by.</summary>
    internal static string CurriculumName(CurriculumKind kind, LevelScoreKind score)
    {
        var scoreName = score switch
        {
            LevelScoreKind.Exact => "exact regret",
            LevelScoreKind.Pvl => "PVL",
            _ => "MaxMC",
        };
        return kind switch
        {
            CurriculumKind.Dr => "DR",
            CurriculumKind.Plr => $"PLR⊥ ({scoreName})",
            _ => $"ACCEL ({scoreName})",
        };
    }

    private static string CurriculumChart(List<double> alphas, IReadOnlyList<(string Name, IReadOnlyList<ComparisonRow> Rows)> methods)
    {
        var palette = new[] { Colors.C0, Colors.C1, Colors.C2, Colors.C3, Colors.C4, Colors.C5, Colors.C6, Colors.C7 };
        var position = alphas.Select((a, i) => (a, i)).ToDictionary(p => p.a, p => (double)p.i);
        var plot = new Plot();
        for (var m = 0; m < methods.Count; m++)
        {
            var (name, rows) = methods[m];
            var offset = (m - ((methods.Count - 1) / 2.0)) * 0.06;
            var xs = rows.Select(r => position[r.Alpha] + offset).ToArray();
            var means = rows.Select(r => Charts.Finite(r.Deploy.Mean)).ToArray();
            var color = palette[m % palette.Length];
            var line = plot.Add.ScatterLine(xs, means);
            line.LegendText = name;
            line.Color = color;
            line.LineWidth = 2;
            line.MarkerSize = 7;
            var errors = new ScottPlot.Plottables.ErrorBar(xs, means, null, null, [.. rows.Select(r => Math.Max(0, Charts.Finite(r.Deploy.Mean) - Charts.Finite(r.Deploy.Low)))], [.. rows.Select(r => Math.Max(0, Charts.Finite(r.Deploy.High) - Charts.Finite(r.Deploy.Mean)))]);
            errors.Color = color;
            plot.Add.Plottable(errors);
        }

        var random = plot.Add.HorizontalLine(0, 1, Colors.Gray, LinePattern.Dashed);
        random.LegendText = "uniformly random policy";
        plot.Axes.Bottom.SetTicks([.. Enumerable.Range(0, alphas.Count).Select(i => (double)i)], [.. alphas.Select(a => a.ToString("G", CultureInfo.InvariantCulture))]);
        plot.Axes.SetLimitsX(-0.5, alphas.Count - 0.5);
        plot.XLabel("α");
        plot.YLabel("deploy intended score");
        plot.ShowLegend(Alignment.UpperLeft);
        return Charts.Svg(plot, 640, 360);
    }
}
