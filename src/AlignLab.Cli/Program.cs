using System.CommandLine;
using AlignLab.Cli.Commands;

namespace AlignLab.Cli;

/// <summary>The <c>alignlab</c> command: a thin layer that validates input and calls the library.</summary>
internal static class Program
{
    private static int Main(string[] args)
    {
        var root = new RootCommand("AlignLab: measure outer alignment (specification gaming) and inner alignment (goal misgeneralisation) in gridworlds.");
        root.Subcommands.Add(DemoCommand.Create());
        root.Subcommands.Add(ListCommand.Create());
        root.Subcommands.Add(ShowCommand.Create());
        root.Subcommands.Add(PlayCommand.Create());
        root.Subcommands.Add(CheckCommand.Create());
        root.Subcommands.Add(SolveCommand.Create());
        root.Subcommands.Add(TrainCommand.Create());
        root.Subcommands.Add(DiagnoseCommand.Create());
        root.Subcommands.Add(SweepCommand.Create());
        root.Subcommands.Add(BenchCommand.Create());
        root.Subcommands.Add(RunsCommand.Create());
        root.Subcommands.Add(ReportCommand.Create());
        return root.Parse(args).Invoke();
    }
}
