using AlignLab.Envs;
using AlignLab.Randomness;
using AlignLab.Scenarios;
using AlignLab.Solve;

namespace AlignLab.Experiments;

/// <summary>One sampled episode of a policy, with every board, for replays and visitation heatmaps.</summary>
/// <param name="Distribution">Distribution it was played on.</param>
/// <param name="Index">Episode number.</param>
/// <param name="Actions">Action letters taken.</param>
/// <param name="Boards">The board before the first action and after every action.</param>
/// <param name="Rewards">Visible reward of each step.</param>
/// <param name="Intended">Intended value of each step.</param>
/// <param name="GoalReturns">Return of each candidate goal.</param>
/// <param name="AgentCells">The agent's cell on each board (also where the board hides it).</param>
public sealed record SampledEpisode(string Distribution, int Index, string Actions, IReadOnlyList<string> Boards, IReadOnlyList<double> Rewards, IReadOnlyList<double> Intended, IReadOnlyDictionary<string, double> GoalReturns, IReadOnlyList<int> AgentCells);

/// <summary>Plays a policy on a distribution and records its episodes.</summary>
public static class EpisodeSampler
{
    /// <summary>Samples <paramref name="episodes"/> episodes of <paramref name="policy"/> on a distribution, actions drawn with a seeded generator.</summary>
    public static IReadOnlyList<SampledEpisode> Sample(ScenarioDefinition scenario, string distribution, IReadOnlyDictionary<string, string>? set, BoardPolicy policy, int episodes, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        ArgumentNullException.ThrowIfNull(policy);
        var made = EnvironmentFactory.Make(scenario.Build(new BuildOptions(Distribution: distribution, Set: set)), seed);
        var env = (GridEnv)made.Env;
        var rng = new Rng(seed ^ 0x5A3D_1E5UL);
        var probabilities = new double[env.Spec.ActionCount];
        var result = new List<SampledEpisode>();
        env.Reset(seed);
        for (var e = 0; e < episodes; e++)
        {
            if (e > 0)
            {
                env.Reset();
            }

            var boards = new List<string> { ActionScript.BoardText(env) };
            var cells = new List<int> { env.Agent };
            var rewards = new List<double>();
            var intended = new List<double>();
            var actions = new System.Text.StringBuilder();
            while (true)
            {
                policy(env.Board, env.Extras, probabilities);
                var u = rng.NextDouble();
                var action = probabilities.Length - 1;
                for (var a = 0; a < probabilities.Length; a++)
                {
                    u -= probabilities[a];
                    if (u < 0)
                    {
                        action = a;
                        break;
                    }
                }

                var step = env.Step(action);
                actions.Append(env.Spec.ActionLetters[action]);
                boards.Add(ActionScript.BoardText(env));
                cells.Add(env.Agent);
                rewards.Add(step.Reward);
                intended.Add(made.Hidden.LastIntended);
                if (step.Done)
                {
                    break;
                }
            }

            var goals = made.Hidden.GoalNames.Select((g, i) => (g, i)).ToDictionary(x => x.g, x => made.Hidden.GoalReturns[x.i], StringComparer.Ordinal);
            result.Add(new SampledEpisode(distribution, e, actions.ToString(), boards, rewards, intended, goals, cells));
        }

        return result;
    }
}
