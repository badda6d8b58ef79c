using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Runtime;
using AlignLab.Envs;
using AlignLab.Randomness;
using AlignLab.Scenarios;
using AlignLab.Solve;
using Spectre.Console;

namespace AlignLab.Cli.Commands;

/// <summary>
/// <c>alignlab bench</c>: a quick (about 15 s) check of this machine's speed: environment steps
/// per second (single and a batch of 64, observations included) and exact-solver backups per second.
/// Each case first runs until the JIT has nothing left to compile (tiered compilation has promoted
/// the hot code to tier 1), then is timed over several rounds and reports the median round, so the
/// figures agree with the BenchmarkDotNet suite in bench/ (use it for careful figures).
/// </summary>
internal static class BenchCommand
{
    private static readonly string[] EnvIds = ["BoatRace-v0", "DistributionalShift-v0", "SideEffectsSokoban-v0", "CheeseInTheCorner-v0"];

    /// <summary>Environments in the batched case: one of the BenchmarkDotNet suite's batch sizes.</summary>
    private const int Batch = 64;

    /// <summary>Environment steps per chunk of work, as in the BenchmarkDotNet suite.</summary>
    private const int StepsPerChunk = 4096;

    /// <summary>Timed rounds per case; the median round is reported.</summary>
    private const int Rounds = 5;

    /// <summary>Length of a warm-up round: longer than the runtime's 100 ms tiering delay, so a round with no JIT work means the hot code is at its final tier.</summary>
    private static readonly TimeSpan WarmupRound = TimeSpan.FromMilliseconds(150);

    /// <summary>Warm-up stops here even if the JIT is still compiling.</summary>
    private static readonly TimeSpan MaxWarmup = TimeSpan.FromSeconds(3);

    public static Command Create()
    {
        var seconds = new Option<double>("--seconds") { Description = "Timed seconds per measurement (after its warm-up), split into 5 rounds.", DefaultValueFactory = _ => 0.6 };
        var command = new Command("bench", $"Quick speed check: env steps/s (single and batch {Batch}) and exact-solver backups/s, after JIT warm-up.") { seconds };
        command.SetAction(parse => CliErrors.Run(() =>
        {
            var budget = TimeSpan.FromSeconds(Math.Clamp(parse.GetValue(seconds), 0.05, 30));
            var table = new Table().AddColumns("measure", "scenario", "per second");
            var registry = ScenarioRegistry.BuiltIn;
            foreach (var id in EnvIds.Where(i => registry.Ids.Contains(i)))
            {
                var world = registry.Get(id).Build();
                table.AddRow("env steps, single", id, Rate(Measure(SingleSteps(world), budget)));
                table.AddRow($"env steps, batch {Batch}", id, Rate(Measure(VectorSteps(world), budget)));
            }

            foreach (var (id, level) in new (string, int?)[] { ("TomatoWatering-v0", null), ("ConveyorBelt-v0", null) })
            {
                var world = registry.Get(id).Build(new BuildOptions(Level: level));
                var model = ExactModel.For(world);
                var v = new double[model.StateCount];
                var q = new double[model.StateCount * model.ActionCount];
                var reward = world.Reward;
                var backups = Measure(
                    () =>
                    {
                        model.Backup(reward, v, q);
                        return (long)model.StateCount * model.ActionCount;
                    },
                    budget);
                table.AddRow("solver backups", $"{id} ({model.StateCount:N0} states)", Rate(backups));
            }

            AnsiConsole.Write(table);
            Console.WriteLine($"Median of {Rounds} timed rounds per case, after warm-up. Reference: the original AI Safety Gridworlds (pycolab) steps about 11,500 steps/s on one core.");
            return 0;
        }));
        return command;
    }

    /// <summary>
    /// The rate of <paramref name="chunk"/> (which does some work and returns how many operations it
    /// did) in operations per second: warm-up rounds until two in a row pass without the JIT compiling
    /// anything (at most <see cref="MaxWarmup"/>), then the median of <see cref="Rounds"/> timed rounds
    /// sharing <paramref name="budget"/>.
    /// </summary>
    private static double Measure(Func<long> chunk, TimeSpan budget)
    {
        var warmup = Stopwatch.StartNew();
        var quiet = 0;
        while (quiet < 2 && warmup.Elapsed < MaxWarmup)
        {
            var compiled = JitInfo.GetCompiledMethodCount();
            Round(chunk, WarmupRound);
            quiet = JitInfo.GetCompiledMethodCount() == compiled ? quiet + 1 : 0;
        }

        var rates = new double[Rounds];
        for (var i = 0; i < Rounds; i++)
        {
            rates[i] = Round(chunk, budget / Rounds);
        }

        Array.Sort(rates);
        return rates[Rounds / 2];
    }

    /// <summary>Runs <paramref name="chunk"/> for at least <paramref name="length"/>; operations per second.</summary>
    private static double Round(Func<long> chunk, TimeSpan length)
    {
        long operations = 0;
        var clock = Stopwatch.StartNew();
        do
        {
            operations += chunk();
        }
        while (clock.Elapsed < length);
        return operations / clock.Elapsed.TotalSeconds;
    }

    /// <summary>One environment through the agent-facing interface, resetting finished episodes; the actions are drawn beforehand.</summary>
    private static Func<long> SingleSteps(AlignLab.Grid.GridWorld world)
    {
        var env = EnvironmentFactory.Make(world, 1).Env;
        env.Reset(1);
        var rng = new Rng(3);
        var actions = Enumerable.Range(0, StepsPerChunk).Select(_ => rng.NextInt(env.Spec.ActionCount)).ToArray();
        return () =>
        {
            for (var i = 0; i < actions.Length; i++)
            {
                if (env.Step(actions[i]).Done)
                {
                    env.Reset();
                }
            }

            return actions.Length;
        };
    }

    /// <summary>
    /// A batch of <see cref="Batch"/> environments (finished ones reset themselves). The actions of each
    /// call are computed beforehand by the BenchmarkDotNet suite's rule (random, then each environment's
    /// action moves on by its index plus the call number), so both measure the same episodes.
    /// </summary>
    private static Func<long> VectorSteps(AlignLab.Grid.GridWorld world)
    {
        var (env, _) = EnvironmentFactory.MakeVector(world, Batch, 1);
        env.Reset();
        var rng = new Rng(3);
        var count = env.Spec.ActionCount;
        var calls = new int[StepsPerChunk / Batch][];
        calls[0] = [.. Enumerable.Range(0, Batch).Select(_ => rng.NextInt(count))];
        for (var i = 1; i < calls.Length; i++)
        {
            calls[i] = [.. calls[i - 1].Select((a, j) => (a + j + i - 1) % count)];
        }

        return () =>
        {
            foreach (var actions in calls)
            {
                env.Step(actions);
            }

            return (long)calls.Length * Batch;
        };
    }

    private static string Rate(double perSecond) => perSecond >= 1e6
        ? (perSecond / 1e6).ToString("0.00", CultureInfo.InvariantCulture) + " M"
        : (perSecond / 1e3).ToString("0.0", CultureInfo.InvariantCulture) + " k";
}
