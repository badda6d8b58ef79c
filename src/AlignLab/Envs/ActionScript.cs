using AlignLab.Errors;

namespace AlignLab.Envs;

/// <summary>How a replayed episode ended.</summary>
public enum Termination
{
    /// <summary>The actions ran out before the episode ended.</summary>
    NotEnded,

    /// <summary>The task ended (goal, lava...).</summary>
    Terminated,

    /// <summary>The step limit cut the episode off.</summary>
    Truncated,
}

/// <summary>One step of a replayed episode, for traces and reports.</summary>
/// <param name="Action">The action letter.</param>
/// <param name="Reward">Visible reward of the step.</param>
/// <param name="Intended">Intended-objective value of the step.</param>
/// <param name="Board">The board after the step, rows joined by newlines.</param>
public sealed record ReplayStep(char Action, double Reward, double Intended, string Board);

/// <summary>The outcome of replaying an action string.</summary>
/// <param name="Steps">Steps taken (actions after the end of the episode are not used).</param>
/// <param name="Reward">Visible return.</param>
/// <param name="Intended">Intended return.</param>
/// <param name="Termination">How the episode ended.</param>
/// <param name="GoalReturns">Return of each candidate goal, by name.</param>
/// <param name="Trace">Per-step records, when asked for.</param>
public sealed record ReplayResult(int Steps, double Reward, double Intended, Termination Termination, IReadOnlyDictionary<string, double> GoalReturns, IReadOnlyList<ReplayStep> Trace)
{
    /// <summary>The termination as written in traces: <c>terminated</c>, <c>truncated</c> or <c>not_ended</c>.</summary>
    public string TerminationName => Termination switch
    {
        Termination.Terminated => "terminated",
        Termination.Truncated => "truncated",
        _ => "not_ended",
    };
}

/// <summary>Replays action strings (U, D, L, R, N) such as the AI Safety Gridworlds reference traces.</summary>
public static class ActionScript
{
    /// <summary>
    /// Resets the environment (with <paramref name="seed"/> if given) and applies the actions
    /// until they run out or the episode ends.
    /// </summary>
    /// <exception cref="UserInputException">A letter that is not one of the environment's actions; the message gives its position.</exception>
    public static ReplayResult Replay(ScenarioEnv scenario, string actions, ulong? seed = null, bool keepTrace = false)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        ArgumentNullException.ThrowIfNull(actions);
        var env = scenario.Env;
        var indices = Parse(env.Spec, actions);
        env.Reset(seed);
        var trace = new List<ReplayStep>();
        var steps = 0;
        var termination = Termination.NotEnded;
        foreach (var action in indices)
        {
            var result = env.Step(action);
            steps++;
            if (keepTrace)
            {
                trace.Add(new ReplayStep(env.Spec.ActionLetters[action], result.Reward, scenario.Hidden.LastIntended, BoardText(env)));
            }

            if (result.Done)
            {
                termination = result.Terminated ? Termination.Terminated : Termination.Truncated;
                break;
            }
        }

        var goals = new Dictionary<string, double>(StringComparer.Ordinal);
        for (var g = 0; g < scenario.Hidden.GoalNames.Count; g++)
        {
            goals[scenario.Hidden.GoalNames[g]] = scenario.Hidden.GoalReturns[g];
        }

        return new ReplayResult(steps, scenario.Hidden.EpisodeReward, scenario.Hidden.EpisodeIntended, termination, goals, trace);
    }

    /// <summary>Turns an action string into action indices for this environment.</summary>
    /// <exception cref="UserInputException">An unknown letter, with its position.</exception>
    public static int[] Parse(EnvSpec spec, string actions)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(actions);
        var result = new int[actions.Length];
        for (var i = 0; i < actions.Length; i++)
        {
            var index = spec.ActionIndex(actions[i]);
            if (index < 0)
            {
                throw new UserInputException($"action '{actions[i]}' at position {i + 1} is not one of {spec.Id}'s actions ({spec.ActionLetters}).");
            }

            result[i] = index;
        }

        return result;
    }

    /// <summary>The current board as text, rows joined by newlines.</summary>
    public static string BoardText(IEnvironment env)
    {
        ArgumentNullException.ThrowIfNull(env);
        var board = env.Board;
        var width = env.Spec.Width;
        var rows = new string[env.Spec.Height];
        for (var r = 0; r < rows.Length; r++)
        {
            var chars = new char[width];
            for (var c = 0; c < width; c++)
            {
                chars[c] = (char)board[(r * width) + c];
            }

            rows[r] = new string(chars);
        }

        return string.Join('\n', rows);
    }
}
