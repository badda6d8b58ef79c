using Microsoft.Extensions.Hosting;

namespace AlignLab.Cluster;

/// <summary>What a worker runs: its store, how many runs at once, and its name in progress reports.</summary>
/// <param name="Store">The shared PostgreSQL run store (<c>postgres://...</c> or an Npgsql connection string).</param>
/// <param name="Jobs">Runs trained at the same time on this worker (each on its own thread).</param>
/// <param name="Name">The worker's name in progress reports (default: host name, process id and silo port).</param>
public sealed record WorkerOptions(string Store, int Jobs = 1, string? Name = null);

/// <summary>
/// A worker's run slots (<see cref="WorkerOptions.Jobs"/> at a time) and its stop signal: when the worker's host
/// stops, every run on it stops at its next checkpoint, so its lease ends and another worker can resume it.
/// </summary>
internal sealed class WorkerSlots : IDisposable
{
    private readonly SemaphoreSlim _slots;
    private readonly CancellationTokenSource _stopping = new();
    private readonly CancellationTokenRegistration _registration;

    public WorkerSlots(WorkerOptions options, IHostApplicationLifetime lifetime, ILocalSiloDetails silo)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(lifetime);
        ArgumentNullException.ThrowIfNull(silo);
        Name = options.Name ?? $"{Environment.MachineName}/{Environment.ProcessId}/{silo.SiloAddress.Endpoint.Port}";
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Jobs, 1);
        Options = options;
        _slots = new SemaphoreSlim(options.Jobs, options.Jobs);
        _registration = lifetime.ApplicationStopping.Register(_stopping.Cancel);
    }

    /// <summary>The name progress reports give this worker.</summary>
    public string Name { get; }

    /// <summary>The worker's options.</summary>
    public WorkerOptions Options { get; }

    /// <summary>Cancelled when the worker stops.</summary>
    public CancellationToken Stopping => _stopping.Token;

    /// <summary>Waits for a free slot.</summary>
    public Task WaitAsync() => _slots.WaitAsync(Stopping);

    /// <summary>Frees a slot.</summary>
    public void Release() => _slots.Release();

    public void Dispose()
    {
        _registration.Dispose();
        _stopping.Cancel();
        _stopping.Dispose();
        _slots.Dispose();
    }
}
