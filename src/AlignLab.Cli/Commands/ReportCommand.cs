using System.CommandLine;
using AlignLab.Reports;
using AlignLab.Runs;

namespace AlignLab.Cli.Commands;

/// <summary>
/// <c>alignlab report RUN... [--store PATH] [--out FILE]</c>: rebuilds the self-contained HTML
/// report of stored runs from the store alone (metrics as curves, episodes as heatmaps and
/// replays, the stored result as verdict).
/// </summary>
internal static class ReportCommand
{
    public static Command Create()
    {
        var ids = new Argument<long[]>("runs") { Description = "Run ids (see runs list).", Arity = ArgumentArity.OneOrMore };
        var store = RunsCommand.StoreOption();
        var output = new Option<string>("--out") { Description = "The HTML file to write.", DefaultValueFactory = _ => "alignlab-report.html" };
        var command = new Command("report", "Write the HTML report (one self-contained file) of stored runs.") { ids, store, output };
        command.SetAction(parse => CliErrors.Run(() =>
        {
            var path = CommonOptions.CheckWritable(parse.GetValue(output)!, "--out");
            using var s = RunStore.OpenReadOnly(parse.GetValue(store));
            var runIds = parse.GetValue(ids)!;
            var rlhf = runIds.Where(id => RlhfReport.IsRlhf(s.GetRun(id))).ToList();
            var sections = runIds.Except(rlhf).Select(id => RunReport.Section(s, id)).Concat(RlhfReport.Sections(s, rlhf)).ToList();
            HtmlReport.Write(path, "AlignLab report", sections);
            Console.WriteLine($"wrote {path} ({runIds.Length} run{(runIds.Length == 1 ? string.Empty : "s")}, {sections.Count} section{(sections.Count == 1 ? string.Empty : "s")})");
            return 0;
        }));
        return command;
    }
}
