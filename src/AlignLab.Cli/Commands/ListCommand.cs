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
                var levels = s.LevelCount > 0 ? $"{s.LevelCount} level{(s.LevelCount == 1 ? string.Empty : "s")}" : "procedural";
                Console.WriteLine($"{id.PadRight(width)}  {s.Title} ({levels}; distributions: {string.Join(", ", s.DistributionNames)})");
            }

            return 0;
        }));
        return command;
    }
}
