using AlignLab.Runs;
using Microsoft.Extensions.Configuration;
using Orleans.TestingHost;

namespace AlignLab.Cluster.Tests;

/// <summary>
/// Three workers (an Orleans in-process test cluster, membership in a real PostgreSQL) run a six-run sweep; one worker
/// is killed in the middle of a run. Every run completes, and each ends bit-identical to the same run on one machine.
/// </summary>
public sealed class ClusterSweepTests : IDisposable
{
    private readonly Postgres _postgres = new();
    private readonly string _dir = Directory.CreateTempSubdirectory("alignlab-cluster-").FullName;

    public void Dispose()
    {
        _postgres.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task ASixRunSweepOnThreeWorkersSurvivesAKilledWorkerAndEqualsTheSweepOnOneMachine()
    {
        var database = _postgres.CreateDatabase();
        var connection = ClusterDatabase.Ensure(database);
        var builder = new TestClusterBuilder(3);
        builder.Options.UseTestClusterMembership = false;
        builder.Options.ClusterId = ClusterDatabase.ClusterId;
        builder.Options.ServiceId = ClusterDatabase.ClusterId;
        builder.ConfigureHostConfiguration(c => c.AddInMemoryCollection(new Dictionary<string, string?> { [MembershipKey] = connection, [StoreKey] = database }));
        builder.AddSiloBuilderConfigurator<Worker>();
        builder.AddClientBuilderConfigurator<Submitter>();
        var cluster = builder.Build();
        await cluster.DeployAsync(TestContext.Current.CancellationToken);
        try
        {
            var specs = Sweeps.Six();
            var requests = specs.Select((s, i) => JobRequest.For("six", i, s)).ToList();
            var killed = 0;
            var kill = new TaskCompletionSource<string>();
            var progress = new Progress(p =>
            {
                // The first worker seen past its first curve point is killed there, with its run half done.
                if (p.State is { Phase: JobPhase.Running, Step: > 0 })
                {
                    kill.TrySetResult(p.State.Worker);
                }
            });
            var sweep = ClusterSweep.RunAsync(cluster.Client, database, requests, progress, TestContext.Current.CancellationToken);
            var victim = await kill.Task.WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);
            var silo = cluster.Silos.Single(s => victim.EndsWith($"/{s.SiloAddress.Endpoint.Port}", StringComparison.Ordinal));
            await cluster.KillSiloAsync(silo, TestContext.Current.CancellationToken);
            killed++;
            var results = await sweep.WaitAsync(TimeSpan.FromSeconds(100), TestContext.Current.CancellationToken);

            Assert.Equal(1, killed);
            Assert.Equal(6, results.Count);
            Assert.Contains(results, r => r.Resumed);
            Assert.DoesNotContain(results, r => r.Worker == victim);
            Assert.True(results.Select(r => r.Worker).Distinct().Count() >= 2, string.Join(", ", results.Select(r => r.Worker)));

            // The same sweep on one machine, in an SQLite store: every run equals its cluster twin, bit for bit.
            var local = Sweeps.RunLocally(Path.Combine(_dir, "local.db"), specs);
            using var clusterStore = RunStore.OpenReadOnly(database);
            using var localStore = RunStore.OpenReadOnly(Path.Combine(_dir, "local.db"));
            Assert.Equal("ok", clusterStore.IntegrityCheck());
            for (var i = 0; i < specs.Count; i++)
            {
                Assert.Equal(DiagnosisJson.Write(local[i].Result.Diagnosis), DiagnosisJson.Write(results[i].Diagnosis!));
                Assert.Equal(Sweeps.Snapshot(localStore, local[i].RunId), Sweeps.Snapshot(clusterStore, results[i].RunId));
                Assert.Equal(RunStatus.Finished, clusterStore.GetRun(results[i].RunId).Status);
            }
        }
        finally
        {
            await cluster.StopAllSilosAsync(TestContext.Current.CancellationToken);
            await cluster.DisposeAsync();
        }
    }

    /// <summary>Configuration key of the membership connection string given to the test silos and client.</summary>
    private const string MembershipKey = "AlignLab:Membership";

    /// <summary>Configuration key of the run store given to the test silos.</summary>
    private const string StoreKey = "AlignLab:Store";

    /// <summary>Each test silo is an AlignLab worker, as <c>alignlab worker</c> configures one.</summary>
    public sealed class Worker : ISiloConfigurator
    {
        public void Configure(ISiloBuilder siloBuilder) =>
            WorkerHost.Configure(siloBuilder, siloBuilder.Configuration[MembershipKey]!, new WorkerOptions(siloBuilder.Configuration[StoreKey]!));
    }

    /// <summary>The test client submits as <c>sweep --cluster</c> does.</summary>
    public sealed class Submitter : IClientBuilderConfigurator
    {
        public void Configure(IConfiguration configuration, IClientBuilder clientBuilder) =>
            ClusterSweep.ConfigureClient(clientBuilder, configuration[MembershipKey]!);
    }

    private sealed class Progress(Action<ClusterProgress> report) : IProgress<ClusterProgress>
    {
        public void Report(ClusterProgress value) => report(value);
    }
}
