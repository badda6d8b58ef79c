using AlignLab.Errors;
using AlignLab.Experiments;
using AlignLab.Runs;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;

namespace AlignLab.Cluster;

/// <summary>A job's state change, as <see cref="ClusterSweep.RunAsync(string, string, IReadOnlyList{ExperimentSpec}, IProgress{ClusterProgress}?, CancellationToken)"/> reports it.</summary>
/// <param name="Index">The job's index in the sweep.</param>
/// <param name="State">Its new state.</param>
/// <param name="Finished">Jobs finished so far.</param>
/// <param name="Total">Jobs in the sweep.</param>
public sealed record ClusterProgress(int Index, JobState State, int Finished, int Total);

/// <summary>One finished run of a cluster sweep.</summary>
/// <param name="Index">The job's index (the spec's position in the list given).</param>
/// <param name="RunId">The run's id in the cluster's store (<c>alignlab show RUN --store CLUSTER</c>).</param>
/// <param name="Worker">The worker that finished it.</param>
/// <param name="Resumed">Whether it was resumed from another worker's checkpoint.</param>
/// <param name="ResultJson">The stored result (the same document <c>train</c> stores).</param>
/// <param name="Diagnosis">
/// The run's goal attribution, as <see cref="ExperimentResult.Diagnosis"/> of the same run on one machine (what
/// <c>sweep</c>'s table is made of); null only if the worker died between storing the result and storing this.
/// </param>
public sealed record ClusterRunResult(int Index, long RunId, string Worker, bool Resumed, string? ResultJson, Diagnostics.Diagnosis? Diagnosis);

/// <summary>No worker can be reached, or the cluster lost every worker: one line, exit 2 on the command line.</summary>
public sealed class ClusterException : UserInputException
{
    /// <summary>Creates the exception with its one-line message.</summary>
    public ClusterException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with its one-line message and the error behind it.</summary>
    public ClusterException(string message, Exception inner)
        : base(message, inner)
    {
    }

    /// <summary>Creates the exception with a generic message.</summary>
    public ClusterException()
        : this("the cluster cannot be used")
    {
    }
}

/// <summary>
/// Submits the runs of a sweep to the workers of a cluster (<c>alignlab sweep ... --cluster CONN</c>) and waits for
/// them: each run is a job (<see cref="IRunJobGrain"/>) polled until it finishes; a job whose worker dies is
/// activated on another worker at the next poll, which resumes its run from its last checkpoint in the store.
/// </summary>
public static class ClusterSweep
{
    /// <summary>How often each unfinished job is polled.</summary>
    public static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(250);

    /// <summary>How long the submitter tries to connect to a worker's gateway.</summary>
    public static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(30);

    /// <summary>A worker whose last heartbeat in the membership table is older than this is not counted as running.</summary>
    private static readonly TimeSpan LiveWithin = TimeSpan.FromSeconds(60);

    /// <summary>How long the sweep waits without reaching any worker before it gives up.</summary>
    public static readonly TimeSpan NoWorkerTimeout = TimeSpan.FromSeconds(90);

    /// <summary>
    /// Runs <paramref name="specs"/> on the cluster in the PostgreSQL database <paramref name="cluster"/> (which is
    /// also the run store), as sweep <paramref name="sweep"/>: submitting the same key again returns the runs already
    /// finished and resumes the others. Returns one result per spec, in order.
    /// </summary>
    /// <exception cref="RunStoreException">The database is unreachable, refuses the login, or holds a newer schema.</exception>
    /// <exception cref="ClusterException">No worker is running, or every worker was lost; or a run failed (the line says which and why).</exception>
    /// <exception cref="UserInputException">A spec's agent or options do not validate.</exception>
    public static async Task<IReadOnlyList<ClusterRunResult>> RunAsync(string cluster, string sweep, IReadOnlyList<ExperimentSpec> specs, IProgress<ClusterProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(specs);
        ArgumentException.ThrowIfNullOrWhiteSpace(sweep);
        var requests = specs.Select((s, i) => JobRequest.For(sweep, i, s)).ToList();
        var connection = ClusterDatabase.Ensure(cluster);
        if (ClusterDatabase.LiveWorkers(connection, LiveWithin) == 0)
        {
            throw new ClusterException($"no AlignLab worker is running in the cluster at {Display(cluster)}; start one with: alignlab worker --cluster {Display(cluster)}");
        }

        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.UseOrleansClient(client => ConfigureClient(client, connection));
        using var host = builder.Build();
        using var connecting = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        connecting.CancelAfter(ConnectTimeout);
        try
        {
            await host.StartAsync(connecting.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new ClusterException($"no AlignLab worker is running in the cluster at {Display(cluster)}; start one with: alignlab worker --cluster {Display(cluster)} ({e.Message.ReplaceLineEndings(" ")})", e);
        }

        try
        {
            var client = host.Services.GetRequiredService<IClusterClient>();
            return await RunAsync(client, cluster, requests, progress, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await host.StopAsync(CancellationToken.None).ConfigureAwait(false);
        }
    }

    /// <summary>The client's membership view: the gateways listed in the cluster's database.</summary>
    internal static void ConfigureClient(IClientBuilder client, string connection)
    {
        client.UseAdoNetClustering(o =>
        {
            o.Invariant = ClusterDatabase.Invariant;
            o.ConnectionString = connection;
        });
        client.Configure<ClusterOptions>(o =>
        {
            o.ClusterId = ClusterDatabase.ClusterId;
            o.ServiceId = ClusterDatabase.ClusterId;
        });
        client.Configure<GatewayOptions>(o => o.GatewayListRefreshPeriod = TimeSpan.FromSeconds(5));
        client.Configure<ClientMessagingOptions>(o => o.ResponseTimeout = TimeSpan.FromSeconds(10));
    }

    /// <summary>Polls every job until all have finished; then reads their results from <paramref name="store"/>.</summary>
    internal static async Task<IReadOnlyList<ClusterRunResult>> RunAsync(IClusterClient client, string store, IReadOnlyList<JobRequest> requests, IProgress<ClusterProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(requests);
        var states = new JobState?[requests.Count];
        var resumed = new bool[requests.Count];
        var lastContact = DateTimeOffset.UtcNow;
        Exception? lastError = null;
        while (states.Any(s => s is not { Phase: JobPhase.Finished }))
        {
            for (var i = 0; i < requests.Count; i++)
            {
                if (states[i] is { Phase: JobPhase.Finished })
                {
                    continue;
                }

                JobState state;
                try
                {
                    state = await client.GetGrain<IRunJobGrain>(requests[i].GrainKey).Poll(requests[i]).ConfigureAwait(false);
                    lastContact = DateTimeOffset.UtcNow;
                }
                catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                {
                    // A worker died or is being declared dead: the job is activated elsewhere at a later poll.
                    lastError = e;
                    continue;
                }

                if (state.Phase == JobPhase.Failed)
                {
                    throw new ClusterException($"run {i} of the sweep ({requests[i].ScenarioId}, {requests[i].Agent}, seed {requests[i].Seed}) failed on worker {state.Worker}: {state.Message}");
                }

                resumed[i] |= state.Resumed;
                if (state != states[i])
                {
                    states[i] = state;
                    progress?.Report(new ClusterProgress(i, state, states.Count(s => s is { Phase: JobPhase.Finished }), requests.Count));
                }
            }

            if (DateTimeOffset.UtcNow - lastContact > NoWorkerTimeout)
            {
                throw new ClusterException($"no worker of the cluster answered for {NoWorkerTimeout.TotalSeconds:0} s ({lastError?.Message.ReplaceLineEndings(" ")}); the runs are kept: start a worker and submit the sweep again to resume them.", lastError!);
            }

            if (states.Any(s => s is not { Phase: JobPhase.Finished }))
            {
                await Task.Delay(PollInterval, cancellationToken).ConfigureAwait(false);
            }
        }

        using var runs = RunStore.OpenReadOnly(store);
        var jobs = runs as PostgresRunStore;
        return [.. states.Select((s, i) => new ClusterRunResult(
            i, s!.RunId!.Value, s.Worker, resumed[i], runs.GetRun(s.RunId.Value).ResultJson,
            jobs?.JobDiagnosis(requests[i].Sweep, requests[i].Index) is { } json ? DiagnosisJson.Read(json) : null))];
    }

    private static string Display(string cluster) => PostgresLocation.Display(PostgresLocation.Parse(cluster));
}
