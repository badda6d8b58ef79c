using System.Reflection;
using AlignLab.Randomness;
using AlignLab.Scenarios;

namespace AlignLab.Envs;

/// <summary>
/// Checks that an environment keeps the contract, in the spirit of Gymnasium's
/// <c>check_env</c>: well-formed spaces, the reset/step order, truncation at the step limit,
/// identical episodes for the same seed and actions, observations that are exactly the one-hot
/// encoding of the board, and no hidden objective leaking into anything the agent sees.
/// Problems come back as readable lines; an empty list means the environment passed.
/// </summary>
public static class EnvChecker
{
    private static readonly string[] HiddenWords = ["intended", "goal", "hidden", "event", "performance"];

    /// <summary>Runs every check on every level and every distribution of a scenario, with default parameters.</summary>
    public static IReadOnlyList<string> CheckScenario(ScenarioDefinition scenario, int episodes = 4)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        var problems = new List<string>();
        var targets = Enumerable.Range(0, scenario.LevelCount).Select(l => new BuildOptions(Level: l))
            .Concat(scenario.DistributionNames.Select(d => new BuildOptions(Distribution: d)));
        foreach (var options in targets)
        {
            var where = options.Level is { } l ? $"level {l}" : $"distribution {options.Distribution}";
            problems.AddRange(Check(
                seed => EnvironmentFactory.Make(scenario.Build(options), seed),
                seed => EnvironmentFactory.Make(scenario.Build(options, null, scrambleHidden: true), seed),
                episodes).Select(p => $"{scenario.Id} {where}: {p}"));
        }

        return problems;
    }

    /// <summary>
    /// Runs the checks on environments made by <paramref name="make"/>. If given,
    /// <paramref name="makeScrambled"/> makes the same environment with different hidden
    /// objectives; everything the agent sees must then be identical.
    /// </summary>
    public static IReadOnlyList<string> Check(Func<ulong, ScenarioEnv> make, Func<ulong, ScenarioEnv>? makeScrambled = null, int episodes = 4)
    {
        ArgumentNullException.ThrowIfNull(make);
        var problems = new List<string>();
        var first = make(1);
        var spec = first.Env.Spec;
        CheckSpaces(spec, problems);
        CheckAgentSurface(problems);
        CheckOrder(first.Env, problems);
        var rng = new Rng(12345);
        for (var e = 0; e < episodes; e++)
        {
            var seed = (ulong)(e + 1);
            var actions = Enumerable.Range(0, spec.MaxSteps + 5).Select(_ => rng.NextInt(spec.ActionCount)).ToArray();
            var a = Record(make(seed).Env, seed, actions, problems);
            var b = Record(make(seed + 1000).Env, seed, actions, problems);
            if (!a.SequenceEqual(b))
            {
                problems.Add($"the same seed ({seed}) and actions gave different episodes.");
            }

            var again = make(seed);
            again.Env.Reset(seed + 77);
            Record(again.Env, null, [0, 0], problems);
            var c = Record(again.Env, seed, actions, problems);
            if (!a.SequenceEqual(c))
            {
                problems.Add($"reseeding an used environment with seed {seed} did not reproduce the episode.");
            }

            if (makeScrambled is not null)
            {
                var d = Record(makeScrambled(seed).Env, seed, actions, problems);
                if (!a.SequenceEqual(d))
                {
                    problems.Add("changing only the hidden objectives (intended, goals) changed what the agent sees: the hidden channel leaks.");
                }
            }
        }

        return [.. problems.Distinct()];
    }

    /// <summary>Whether some pair of seeds gives different episodes for the same actions (a stochastic environment).</summary>
    public static bool SeedsCanDiffer(Func<ulong, ScenarioEnv> make, int seeds = 8)
    {
        ArgumentNullException.ThrowIfNull(make);
        var env = make(0).Env;
        var rng = new Rng(99);
        var actions = Enumerable.Range(0, env.Spec.MaxSteps).Select(_ => rng.NextInt(env.Spec.ActionCount)).ToArray();
        var problems = new List<string>();
        var baseline = Record(make(0).Env, 0, actions, problems);
        for (var s = 1UL; s <= (ulong)seeds; s++)
        {
            if (!Record(make(s).Env, s, actions, problems).SequenceEqual(baseline))
            {
                return true;
            }
        }

        return false;
    }

    private static void CheckSpaces(EnvSpec spec, List<string> problems)
    {
        if (spec.Channels < 1 || spec.Height < 1 || spec.Width < 1)
        {
            problems.Add($"observation shape {spec.Channels}×{spec.Height}×{spec.Width} is empty.");
        }

        if (spec.ActionCount < 1 || spec.ActionLetters.Distinct().Count() != spec.ActionCount)
        {
            problems.Add($"action letters '{spec.ActionLetters}' must be distinct and non-empty.");
        }

        if (spec.ChannelNames.Distinct().Count() != spec.Channels)
        {
            problems.Add("two observation channels have the same name.");
        }

        if (spec.MaxSteps < 1)
        {
            problems.Add("max_steps must be positive.");
        }
    }

    private static void CheckAgentSurface(List<string> problems)
    {
        foreach (var type in new[] { typeof(IEnvironment), typeof(StepResult), typeof(EnvSpec) })
        {
            foreach (var member in type.GetMembers(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static))
            {
                if (HiddenWords.Any(w => member.Name.Contains(w, StringComparison.OrdinalIgnoreCase)))
                {
                    problems.Add($"the agent-facing type {type.Name} exposes '{member.Name}', which looks like hidden data.");
                }
            }
        }
    }

    private static void CheckOrder(IEnvironment env, List<string> problems)
    {
        if (!Throws<InvalidOperationException>(() => env.Step(0)))
        {
            problems.Add("Step before Reset did not throw InvalidOperationException.");
        }

        env.Reset(3);
        if (!Throws<ArgumentOutOfRangeException>(() => env.Step(env.Spec.ActionCount)))
        {
            problems.Add("an out-of-range action did not throw ArgumentOutOfRangeException.");
        }

        var steps = 0;
        StepResult result;
        do
        {
            result = env.Step(steps % env.Spec.ActionCount);
            steps++;
        }
        while (!result.Done && steps < env.Spec.MaxSteps + 10);

        if (!result.Done)
        {
            problems.Add($"the episode did not end within max_steps ({env.Spec.MaxSteps}).");
        }

        if (!Throws<InvalidOperationException>(() => env.Step(0)))
        {
            problems.Add("Step after the episode ended did not throw InvalidOperationException.");
        }
    }

    private static List<string> Record(IEnvironment env, ulong? seed, int[] actions, List<string> problems)
    {
        var spec = env.Spec;
        var log = new List<string>();
        env.Reset(seed);
        log.Add(Snapshot(env, spec, problems));
        for (var t = 0; t < actions.Length; t++)
        {
            var result = env.Step(actions[t]);
            if (!double.IsFinite(result.Reward))
            {
                problems.Add($"step {t + 1} returned a non-finite reward.");
            }

            if (result.Terminated && result.Truncated)
            {
                problems.Add($"step {t + 1} is both terminated and truncated.");
            }

            if (result.Truncated && t + 1 != spec.MaxSteps)
            {
                problems.Add($"truncated at step {t + 1}, not at max_steps {spec.MaxSteps}.");
            }

            if (!result.Done && t + 1 >= spec.MaxSteps)
            {
                problems.Add($"step {t + 1} reached max_steps without truncation.");
            }

            log.Add($"{actions[t]}|{result.Reward:R}|{result.Terminated}|{result.Truncated}|{Snapshot(env, spec, problems)}");
            if (result.Done)
            {
                break;
            }
        }

        return log;
    }

    private static string Snapshot(IEnvironment env, EnvSpec spec, List<string> problems)
    {
        var board = env.Board;
        var observation = env.Observation;
        var cells = spec.Height * spec.Width;
        if (board.Length != cells || observation.Length != spec.ObservationLength)
        {
            problems.Add($"board or observation has the wrong length ({board.Length}, {observation.Length}).");
            return string.Empty;
        }

        // The channel of each board symbol (−1: none), so that a cell is checked without building strings.
        Span<int> channelOf = stackalloc int[256];
        channelOf.Fill(-1);
        for (var c = spec.Channels - 1; c >= 0; c--)
        {
            if (spec.ChannelNames[c] is [var symbol] && symbol < 256)
            {
                channelOf[symbol] = c;
            }
        }

        for (var i = 0; i < cells; i++)
        {
            var expected = channelOf[board[i]];
            var hits = 0;
            for (var c = 0; c < spec.Channels; c++)
            {
                var value = observation[(c * cells) + i];
                if (value != (c == expected ? 1f : 0f))
                {
                    problems.Add($"observation channel '{spec.ChannelNames[c]}' at cell {i} is {value}, but the board shows '{(char)board[i]}': the observation must be exactly the one-hot board.");
                    return string.Empty;
                }

                hits += value == 1f ? 1 : 0;
            }

            if (hits != 1)
            {
                problems.Add($"board cell {i} shows '{(char)board[i]}', which has no observation channel.");
                return string.Empty;
            }
        }

        // Small boards are kept as text; large ones by their SHA-256, so that comparing episodes of a large generated
        // maze does not hold every board of every step.
        return cells <= 4096 ? System.Text.Encoding.ASCII.GetString(board) : Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(board));
    }

    private static bool Throws<T>(Action action)
        where T : Exception
    {
        try
        {
            action();
            return false;
        }
        catch (T)
        {
            return true;
        }
    }
}
