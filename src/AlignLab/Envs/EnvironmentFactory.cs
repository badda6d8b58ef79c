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

    /// <summary>
    /// Makes a batch of <paramref name="count"/> environments of one world; environment <c>i</c>
    /// is seeded with <c>seed + i</c>. The intended value of each environment's last step is
    /// read with <see cref="VectorHidden"/>, which only the experimenter should hold.
    /// </summary>
    public static (VectorEnv Env, VectorHidden Hidden) MakeVector(GridWorld world, int count, ulong seed = 0)
    {
        ArgumentNullException.ThrowIfNull(world);
        var env = new VectorEnv(world, count, seed);
        return (env, new VectorHidden(env));
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

/// <summary>The experimenter's side of a <see cref="VectorEnv"/>: each environment's intended value for its last step.</summary>
public sealed class VectorHidden
{
    private readonly VectorEnv _env;

    internal VectorHidden(VectorEnv env) => _env = env;

    /// <summary>Intended-objective value of each environment's last step.</summary>
    public ReadOnlySpan<double> LastIntended => _env.LastIntended;
}
