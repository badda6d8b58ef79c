using System.CommandLine;
using AlignLab.Cli.Commands;
using Spectre.Console;

namespace AlignLab.Cli;

/// <summary>The <c>alignlab</c> command: a thin layer that validates input and calls the library.</summary>
internal static class Program
{
    /// <summary>
    /// The console width tables are laid out for when stdout is redirected (a pipe or a file): wider than
    /// any table's rows, so each row stays on one line instead of wrapping at the 80 columns Spectre.Console
    /// assumes when there is no terminal. Tables are not expanded, so they keep their natural width.
    /// </summary>
    internal const int RedirectedWidth = 10_000;

    private static int Main(string[] args)
    {
        if (Console.IsOutputRedirected)
        {
            AnsiConsole.Profile.Width = RedirectedWidth;
        }

        var root = new RootCommand("AlignLab: measure outer alignment (specification gaming) and inner alignment (goal misgeneralisation) in gridworlds.");
        root.Subcommands.Add(DemoCommand.Create());
        root.Subcommands.Add(ListCommand.Create());
        root.Subcommands.Add(ShowCommand.Create());
        root.Subcommands.Add(PlayCommand.Create());
        root.Subcommands.Add(CheckCommand.Create());
        root.Subcommands.Add(SolveCommand.Create());
        root.Subcommands.Add(OveroptCommand.Create());
        root.Subcommands.Add(RlhfCommand.Create());
        root.Subcommands.Add(TrainCommand.Create());
        root.Subcommands.Add(DiagnoseCommand.Create());
        root.Subcommands.Add(AuditCommand.Create());
        root.Subcommands.Add(RedTeamCommand.Create());
        root.Subcommands.Add(ActivationsCommand.Create());
        root.Subcommands.Add(ProbeCommand.Create());
        root.Subcommands.Add(MesaCommand.Create());
        root.Subcommands.Add(SweepCommand.Create());
        root.Subcommands.Add(BenchCommand.Create());
        root.Subcommands.Add(RunsCommand.Create());
        root.Subcommands.Add(ReportCommand.Create());
        root.Subcommands.Add(WorkerCommand.Create());
        root.Subcommands.Add(SteerCommand.Create());
        root.Subcommands.Add(CurriculaCommand.Create());
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            Console.Error.WriteLine($"error: {ParseErrors.Describe(parse)}");
            return CliErrors.BadInput;
        }

        return parse.Invoke();
    }
}
