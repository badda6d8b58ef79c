using AlignLab.Grid;
using AlignLab.Objectives;

namespace AlignLab.Solve;

/// <summary>The tabular model of a world that the exact solver runs on, for measuring single backup sweeps.</summary>
public sealed class ExactModel
{
    private readonly IExactModel _model;

    private ExactModel(IExactModel model) => _model = model;

    /// <summary>Number of states.</summary>
    public int StateCount => _model.StateCount;

    /// <summary>Number of actions.</summary>
    public int ActionCount => _model.ActionCount;

    /// <summary>The model itself, for benchmarks of the solver's other steps.</summary>
    internal IExactModel Model => _model;

    /// <summary>Builds the same model <see cref="ExactSolution"/> uses.</summary>
    public static ExactModel For(GridWorld world)
    {
        ArgumentNullException.ThrowIfNull(world);
        return new(TomatoModel.TryCreate(world, world.Components) as IExactModel ?? EnumeratedModel.Build(world));
    }

    /// <summary>q[s·A + a] = E[objective + vNext(s′)] for every pair.</summary>
    public void Backup(Objective objective, ReadOnlySpan<double> vNext, Span<double> q) => _model.Backup(objective, vNext, q);
}
