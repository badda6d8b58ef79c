using System.CommandLine;
using AlignLab.Envs;
using AlignLab.Scenarios;

namespace AlignLab.Cli.Commands;

/// <summary><c>alignlab check FILE.yaml</c>: validates a scenario file and runs the environment checker on it.</summary>
internal static class CheckCommand
{
    public static Command Create()
    {
        var file = new Argument<string>("file") { Description = "Scenario file to validate." };
        var command = new Command("check", "Validate a scenario file: syntax, legend, maps, components, objectives, then the env checker on every level.") { file };
        command.SetAction(parse => CliErrors.Run(() =>
        {
            var path = parse.GetValue(file)!;
            if (!File.Exists(path))
            {
                throw new UsageException($"no such file: {path}");
            }

            var scenario = ScenarioParser.ParseFile(path);
            var problems = EnvChecker.CheckScenario(scenario);
            foreach (var problem in problems)
            {
                Console.Error.WriteLine($"{path}: {problem}");
            }

            if (problems.Count > 0)
            {
                return CliErrors.BadInput;
            }

            Console.WriteLine($"ok: {scenario.Id} ({scenario.LevelCount} level{(scenario.LevelCount == 1 ? string.Empty : "s")}, distributions {string.Join(", ", scenario.DistributionNames)}); env checker passed");
            return 0;
        }));
        return command;
    }
}
