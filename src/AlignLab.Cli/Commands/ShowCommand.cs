using System.CommandLine;
using AlignLab.Scenarios;

namespace AlignLab.Cli.Commands;

/// <summary><c>alignlab show ID</c>: maps, legend, objectives, distributions and goals of a scenario.</summary>
internal static class ShowCommand
{
    public static Command Create()
    {
        var id = new Argument<string>("id") { Description = "Scenario id (Name-vN) or a path to a scenario .yaml file." };
        var command = new Command("show", "Show a scenario: maps, legend, objectives, distributions, goals.") { id };
        command.SetAction(parse => CliErrors.Run(() =>
        {
            var s = ScenarioRegistry.BuiltIn.Get(parse.GetValue(id)!);
            Console.WriteLine($"{s.Id}: {s.Title}");
            if (s.Description.Length > 0)
            {
                Console.WriteLine(s.Description);
            }

            Console.WriteLine();
            Console.WriteLine($"actions: {s.Actions}    max_steps: {s.MaxSteps}    components: {(s.ComponentNames.Count == 0 ? "none" : string.Join(", ", s.ComponentNames))}");
            Console.WriteLine("legend:");
            foreach (var tile in s.Legend.Values)
            {
                var traits = new List<string>();
                if (tile.Symbol == s.AgentSymbol)
                {
                    traits.Add("agent");
                }

                if (tile.Blocks)
                {
                    traits.Add("blocks");
                }

                if (tile.TouchEvent is not null)
                {
                    traits.Add($"touch → {tile.TouchEvent}");
                }

                if (tile.Terminal)
                {
                    traits.Add("terminal");
                }

                if (tile.CollectInto is { } c)
                {
                    traits.Add($"collected into '{c}'");
                }

                Console.WriteLine($"  '{tile.Symbol}'  {tile.Name}{(traits.Count > 0 ? $"  ({string.Join(", ", traits)})" : string.Empty)}");
            }

            for (var level = 0; level < s.LevelCount; level++)
            {
                Console.WriteLine($"level {level}:");
                foreach (var row in s.LevelArt(level).TrimEnd('\n').Split('\n'))
                {
                    Console.WriteLine($"  {row}");
                }
            }

            Console.WriteLine("distributions:");
            foreach (var (name, levels) in s.Distributions)
            {
                Console.WriteLine($"  {name}: levels {string.Join(", ", levels)}");
            }

            Console.WriteLine($"reward   (specified, seen by the agent): {Terms(s.RewardTerms)}");
            Console.WriteLine($"intended (hidden from the agent):       {Terms(s.IntendedTerms)}");
            Console.WriteLine("goals (candidate objectives, hidden):");
            foreach (var (name, terms) in s.GoalTerms)
            {
                Console.WriteLine($"  {name}: {Terms(terms)}");
            }

            if (s.ParameterDefaults.Count > 0)
            {
                Console.WriteLine("parameters (--set key=value):");
                foreach (var (name, value) in s.ParameterDefaults)
                {
                    Console.WriteLine($"  {name} = {value}");
                }
            }

            return 0;
        }));
        return command;
    }

    private static string Terms(IEnumerable<(string Event, string Weight)> terms)
    {
        var list = terms.Select(t => $"{t.Weight}·{t.Event}").ToList();
        return list.Count == 0 ? "0" : string.Join(" + ", list);
    }
}
