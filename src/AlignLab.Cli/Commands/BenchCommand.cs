using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using AlignLab.Envs;
using AlignLab.Randomness;
using AlignLab.Scenarios;
using AlignLab.Solve;
using Spectre.Console;

namespace AlignLab.Cli.Commands;

/// <summary>
/// <c>alignlab bench</c>: a quick (about 10 s) check of this machine's speed: environment steps
/// per second (single and batched, observations included) and exact-solver backups per second.
/// For careful figures use the BenchmarkDotNet suite in bench/.
/// </summary>
internal static class BenchCommand
{
    private static readonly string[] EnvIds = ["BoatRace-v0", "DistributionalShift-v0", "SideEffectsSokoban-v0", "CheeseInTheCorner-v0"];

    public static Command Create()
    {
        var seconds = new Option<double>("--seconds") { Description = "Time per measurement.", DefaultValueFactory = _ => 0.6 };
        var command = new Command("bench", "Quick speed check: env steps/s (single and batch 256) and exact-solver backups/s.") { seconds };
        command.SetAction(parse => CliErrors.Run(() =>
        {
            var budget = TimeSpan.FromSeconds(Math.Clamp(parse.GetValue(seconds), 0.05, 30));
            var table = new Table().AddColumns("measure", "scenario", "per second");
            var registry = ScenarioRegistry.BuiltIn;
            foreach (var id in EnvIds.Where(i => registry.Ids.Contains(i)))
            {
                var world = registry.Get(id).Build();
                table.AddRow("env steps, single", id, Rate(SingleSteps(world, budget)));
                table.AddRow("env steps, batch 256", id, Rate(VectorSteps(world, budget)));
            }

            foreach (var (id, level) in new (string, int?)[] { ("TomatoWatering-v0", null), ("ConveyorBelt-v0", null) })
            {
                var model = ExactModel.For(registry.Get(id).Build(new BuildOptions(Level: level)));
                var v = new double[model.StateCount];
                var q = new double[model.StateCount * model.ActionCount];
                var reward = registry.Get(id).Build(new BuildOptions(Level: level)).Reward;
                var clock = Stopwatch.StartNew();
                long backups = 0;
                while (clock.Elapsed < budget)
                {
                    model.Backup(reward, v, q);
                    backups += (long)model.StateCount * model.ActionCount;
                }

                table.AddRow("solver backups", $"{id} ({model.StateCount:N0} states)", Rate(backups / clock.Elapsed.TotalSeconds));
            }

            AnsiConsole.Write(table);
            Console.WriteLine("Reference: the original AI Safety Gridworlds (pycolab) steps about 11,500 steps/s on one core.");
            return 0;
        }));
        return command;
    }

    private static double SingleSteps(AlignLab.Grid.GridWorld world, TimeSpan budget)
    {
        var env = EnvironmentFactory.Make(world, 1).Env;
        env.Reset(1);
        var rng = new Rng(3);
        var clock = Stopwatch.StartNew();
        long steps = 0;
        while (clock.Elapsed < budget)
        {
            for (var i = 0; i < 4096; i++)
            {
                if (env.Step(rng.NextInt(env.Spec.ActionCount)).Done)
                {
                    env.Reset();
                }
            }

            steps += 4096;
        }

        return steps / clock.Elapsed.TotalSeconds;
    }

    private static double VectorSteps(AlignLab.Grid.GridWorld world, TimeSpan budget)
    {
        var (env, _) = EnvironmentFactory.MakeVector(world, 256, 1);
        env.Reset();
        var rng = new Rng(3);
        var actions = new int[256];
        var clock = Stopwatch.StartNew();
        long steps = 0;
        while (clock.Elapsed < budget)
        {
            for (var i = 0; i < 16; i++)
            {
                for (var j = 0; j < actions.Length; j++)
                {
                    actions[j] = rng.NextInt(env.Spec.ActionCount);
                }

                env.Step(actions);
            }

            steps += 16 * 256;
        }

        return steps / clock.Elapsed.TotalSeconds;
    }

    private static string Rate(double perSecond) => perSecond >= 1e6
        ? (perSecond / 1e6).ToString("0.00", CultureInfo.InvariantCulture) + " M"
        : (perSecond / 1e3).ToString("0.0", CultureInfo.InvariantCulture) + " k";
}
