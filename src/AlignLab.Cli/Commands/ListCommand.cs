using System.CommandLine;
using AlignLab.Scenarios;

namespace AlignLab.Cli.Commands;

/// <summary><c>alignlab list</c>: every registered scenario.</summary>
internal static class ListCommand
{
    public static Command Create()
    {
        var command = new Command("list", "List the registered scenarios.");
        command.SetAction(_ => CliErrors.Run(() =>
        {
            var registry = ScenarioRegistry.BuiltIn;
            var width = registry.Ids.Max(i => i.Length);
            foreach (var id in registry.Ids)
            {
                var s = registry.Get(id);
                Console.WriteLine($"{id.PadRight(width)}  {s.Title} ({s.LevelCount} level{(s.LevelCount == 1 ? string.Empty : "s")}; distributions: {string.Join(", ", s.Distributions.Keys)})");
            }

            return 0;
        }));
        return command;
    }
}
