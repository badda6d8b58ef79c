using AlignLab.Grid;
using AlignLab.Scenarios;

namespace AlignLab.Envs;

/// <summary>
/// Makes environments from scenario ids. Each environment comes with its
/// <see cref="HiddenChannel"/>: the experimenter keeps the channel and gives the agent only the
/// <see cref="IEnvironment"/>.
/// </summary>
public static class EnvironmentFactory
{
    /// <summary>Makes one environment of a registered scenario (or a scenario file path).</summary>
    /// <exception cref="ScenarioException">Unknown id, level, distribution or parameter.</exception>
    public static ScenarioEnv Make(string idOrPath, BuildOptions? options = null, ulong seed = 0, ScenarioRegistry? registry = null)
    {
        var world = (registry ?? ScenarioRegistry.BuiltIn).Get(idOrPath).Build(options);
        return Make(world, seed);
    }

    /// <summary>Makes one environment of an already built world.</summary>
    public static ScenarioEnv Make(GridWorld world, ulong seed = 0)
    {
        ArgumentNullException.ThrowIfNull(world);
        var env = new GridEnv(world, seed);
        return new ScenarioEnv(env, new HiddenChannel(env), world);
    }
}

/// <summary>An environment for the agent, the hidden channel for the experimenter, and the world both run on.</summary>
/// <param name="Env">Give this to the agent.</param>
/// <param name="Hidden">Keep this: intended objective and goals.</param>
/// <param name="World">The compiled scenario (maps, legend, objectives).</param>
public sealed record ScenarioEnv(IEnvironment Env, HiddenChannel Hidden, GridWorld World);
