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
            // Runs long enough to have many checkpoints: a run is killed between two of them.
            var specs = Sweeps.Six(steps: 30_000).Select(s => s with { CurvePoints = 20 }).ToList();
            var requests = specs.Select((s, i) => JobRequest.For("six", i, s)).ToList();
            var killed = 0;
            var states = new System.Collections.Concurrent.ConcurrentDictionary<int, JobState>();
            var progress = new Progress(p => states[p.Index] = p.State);
            var sweep = ClusterSweep.RunAsync(cluster.Client, database, requests, progress, TestContext.Current.CancellationToken);

            // Tabular runs take milliseconds, so the kill is made to land mid-run: once a run has a checkpoint past
            // step 0, the checkpoints table is locked, so no running job can write its next checkpoint (and none can
            // finish, since a run's last curve point writes one). A job then reported running, past step 0 and short
            // of its last step, is stuck mid-run: its worker is killed, then the lock is released.
            var started = DateTime.UtcNow;
            while (Postgres.Scalar(database, "SELECT to_regclass('checkpoints') IS NOT NULL AND EXISTS (SELECT 1 FROM checkpoints WHERE step > 0)") is not true)
            {
                Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(60), "no run wrote a checkpoint past step 0 within 60 s");
                await Task.Delay(5, TestContext.Current.CancellationToken);
            }

            using var admin = new Npgsql.NpgsqlConnection(database);
            await admin.OpenAsync(TestContext.Current.CancellationToken);
            string victim;
            await using (var tx = await admin.BeginTransactionAsync(TestContext.Current.CancellationToken))
            {
                await using (var lockTable = new Npgsql.NpgsqlCommand("LOCK TABLE checkpoints IN EXCLUSIVE MODE", admin, tx))
                {
                    await lockTable.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
                }

                JobState? stuck;
                while ((stuck = states.Values.FirstOrDefault(j => j is { Phase: JobPhase.Running, Step: > 0 } && j.Step < specs[0].Steps)) is null)
                {
                    Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(90), "no job was seen mid-run while the checkpoints were locked");
                    await Task.Delay(20, TestContext.Current.CancellationToken);
                }

                victim = stuck.Worker;
                var silo = cluster.Silos.Single(s => victim.EndsWith($"/{s.SiloAddress.Endpoint.Port}", StringComparison.Ordinal));
                await cluster.KillSiloAsync(silo, TestContext.Current.CancellationToken);
                killed++;
                await tx.RollbackAsync(TestContext.Current.CancellationToken);
            }

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
