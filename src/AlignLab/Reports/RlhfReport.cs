using System.Globalization;
using AlignLab.Rlhf;
using AlignLab.Runs;
using AlignLab.Scenarios;

namespace AlignLab.Reports;

/// <summary>Builds the report sections of stored RLHF runs: one per scenario, level and parameters, with every seed's learned-reward gap.</summary>
public static class RlhfReport
{
    /// <summary>Whether run <paramref name="run"/> is an RLHF run (its result is read by <see cref="Sections"/>).</summary>
    public static bool IsRlhf(RunInfo run)
    {
        ArgumentNullException.ThrowIfNull(run);
        return run.Config.Agent == RlhfRecord.AgentName;
    }

    /// <summary>The sections of the RLHF runs <paramref name="runIds"/> of <paramref name="store"/>, grouped by scenario, distribution and parameters, in order of first appearance.</summary>
    /// <exception cref="RunStoreException">No such run, or the store cannot be read.</exception>
    public static IReadOnlyList<ReportSection> Sections(RunStore store, IEnumerable<long> runIds)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(runIds);
        var runs = runIds.Select(store.GetRun).ToList();
        var sections = new List<ReportSection>();
        foreach (var group in runs.GroupBy(r => (r.Config.ScenarioId, r.Config.Distribution, Parameters: string.Join(", ", (r.Config.Parameters ?? new Dictionary<string, string>()).OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={p.Value}")))))
        {
            var notes = new List<string>();
            var records = new List<RlhfRecord>();
            foreach (var run in group)
            {
                if (RlhfRecord.FromJson(run.ResultJson) is { } record)
                {
                    records.Add(record);
                }
                else
                {
                    notes.Add($"Run {run.Id.ToString(CultureInfo.InvariantCulture)} has no RLHF result ({run.Status.ToString().ToLowerInvariant()}).");
                }
            }

            var (scenarioId, distribution, parameters) = group.Key;
            string? title = null;
            string? description = null;
            try
            {
                var scenario = ScenarioRegistry.BuiltIn.Get(scenarioId, group.First().Config.ScenarioText);
                title = scenario.Title;
                description = scenario.Description;
            }
            catch (ScenarioException e)
            {
                notes.Add($"Scenario {scenarioId} could not be loaded ({e.Message}).");
            }

            notes.AddRange(Explanations(records));
            var ids = string.Join(", ", group.Select(r => r.Id.ToString(CultureInfo.InvariantCulture)));
            sections.Add(new ReportSection
            {
                Id = $"{scenarioId} rlhf {group.First().Id.ToString(CultureInfo.InvariantCulture)}",
                Title = $"{title ?? scenarioId}: reward learned from preferences",
                Description = description,
                Facts =
                [
                    new("runs", ids),
                    new("scenario", scenarioId),
                    new("distribution", distribution),
                    new("parameters", parameters),
                    new("hyper-parameters (first run)", group.First().Config.HyperParameters?.ToJsonString() ?? "{}"),
                    new("code version", group.First().CodeVersion),
                ],
                Rlhf = new RlhfSummary(records.Select(r => r.SpecifiedGap).FirstOrDefault(double.NaN), records),
                Notes = notes,
            });
        }

        return sections;
    }

    /// <summary>One sentence per labeller whose learned reward stays near the specified reward's gap, saying why from its measured label agreement.</summary>
    internal static IEnumerable<string> Explanations(IReadOnlyList<RlhfRecord> records)
    {
        foreach (var g in records.GroupBy(r => r.Labeller))
        {
            var largest = g.Max(r => r.Comparisons);
            var final = g.Where(r => r.Comparisons == largest).ToList();
            var specified = final[0].SpecifiedGap;
            var median = Numbers.Median(final.Select(r => r.GapWorst));
            if (!(specified > 0) || !(median >= 0.5 * specified))
            {
                continue;
            }

            var agreement = final.Average(r => r.AgreementWithIntended);
            yield return g.Key == "observed"
                ? FormattableString.Invariant($"The observed labeller's learned reward keeps a gap of {median:0.###} at {largest:N0} comparisons (specified reward: {specified:0.###}): it judges by what the board shows, so whatever fools the reward's sensor fools it too, and its labels agree with the intended return on only {agreement:P0} of pairs; learning from it reproduces the specified reward's blind spot instead of removing it.")
                : FormattableString.Invariant($"The {g.Key} labeller's learned reward keeps a gap of {median:0.###} at {largest:N0} comparisons (specified reward: {specified:0.###}); its labels agree with the intended return on {agreement:P0} of pairs.");
        }
    }
}
