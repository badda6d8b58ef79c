namespace AlignLab.Solve;

/// <summary>
/// A transition reward evaluated exactly on every transition of an <see cref="ExactSolution"/>'s
/// model: its expected value per state-action pair, Σ_o p_o·r(o, a, o′_o). Its bytes count
/// against the solution's memory limit until it is disposed.
/// </summary>
public sealed class TransitionRewardTable : IDisposable
{
    private readonly double[] _values;
    private readonly long _bytes;
    private bool _disposed;

    internal TransitionRewardTable(ExactSolution solution, string name, double[] values, long bytes, TimeSpan tabulateTime)
    {
        Solution = solution;
        Name = name;
        _values = values;
        _bytes = bytes;
        TabulateTime = tabulateTime;
    }

    /// <summary>The reward's name in reports.</summary>
    public string Name { get; }

    /// <summary>Time spent evaluating the reward on every transition.</summary>
    public TimeSpan TabulateTime { get; }

    /// <summary>Number of state-action pairs (states × actions).</summary>
    public int PairCount => _values.Length;

    /// <summary>The expected reward of state-action pair s·A + a.</summary>
    public ReadOnlySpan<double> PairRewards => Values;

    /// <summary>
    /// The backup sweep of this reward: q[s·A + a] = E[r(o, a, o′) + vNext(s′)], terminal
    /// transitions contributing no next value. Each get makes a new delegate: take it once and
    /// call it per sweep, which allocates nothing.
    /// </summary>
    public QBackup Backup
    {
        get
        {
            var values = Values;
            var model = Solution.Model;
            return (vNext, q) => model.Backup(values, vNext, q);
        }
    }

    internal ExactSolution Solution { get; }

    internal double[] Values
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _values;
        }
    }

    /// <summary>Uncounts the table's bytes from the solution's memory budget; the table cannot be used afterwards.</summary>
    public void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            Solution.Release(_bytes);
        }
    }
}
