using System.Diagnostics;
using AlignLab.Runs;
using Npgsql;

namespace AlignLab.Cluster.Tests;

/// <summary>
/// A worker process (<c>alignlab worker</c>) is killed with SIGKILL in the middle of writing a checkpoint: the store
/// stays consistent (the half-written checkpoint is not there, every other one passes its checksum), and a second
/// worker resumes the run, which ends bit-identical to the same run uninterrupted on one machine.
/// </summary>
public sealed class KilledWorkerTests : IDisposable
{
    private readonly Postgres _postgres = new();
    private readonly string _dir = Directory.CreateTempSubdirectory("alignlab-kill-").FullName;
    private readonly WorkerProcesses _workers = new();

    public void Dispose()
    {
        _workers.Dispose();
        _postgres.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private Process StartWorker(string cluster, string name) => _workers.Start(cluster, name);

    [Fact]
    public async Task AWorkerKilledWhileWritingACheckpointLeavesTheStoreConsistentAndItsRunResumesElsewhere()
    {
        var database = _postgres.CreateDatabase();
        var url = Postgres.Url(database);
        var spec = Sweeps.Six(steps: 30_000)[0] with { CurvePoints = 20 };
        var first = StartWorker(url, "first");
        var sweep = ClusterSweep.RunAsync(url, "killed", [spec], cancellationToken: TestContext.Current.CancellationToken);

        // Once the run has a checkpoint past step 0, the checkpoints table is locked: the worker's next checkpoint
        // write blocks inside its transaction, and the worker is killed there.
        using var admin = new NpgsqlConnection(database);
        await admin.OpenAsync(TestContext.Current.CancellationToken);
        var started = DateTime.UtcNow;
        while (Postgres.Scalar(database, "SELECT to_regclass('checkpoints') IS NOT NULL AND EXISTS (SELECT 1 FROM checkpoints WHERE step > 0)") is not true)
        {
            Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(60), "the run wrote no checkpoint past step 0 within 60 s");
            await Task.Delay(10, TestContext.Current.CancellationToken);
        }

        await using (var tx = await admin.BeginTransactionAsync(TestContext.Current.CancellationToken))
        {
            await using (var lockTable = new NpgsqlCommand("LOCK TABLE checkpoints IN EXCLUSIVE MODE", admin, tx))
            {
                await lockTable.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
            }

            while (Postgres.Scalar(database, "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE 'INSERT INTO checkpoints%'") is not 1L)
            {
                Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(90), "the worker never reached its next checkpoint write");
                await Task.Delay(10, TestContext.Current.CancellationToken);
            }

            first.Kill();
            await first.WaitForExitAsync(TestContext.Current.CancellationToken);
            await tx.RollbackAsync(TestContext.Current.CancellationToken);
        }

        // The killed transaction never committed: wait until its server process has gone, then look at the store.
        while (Postgres.Scalar(database, "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'INSERT INTO checkpoints%'") is not 0L)
        {
            await Task.Delay(20, TestContext.Current.CancellationToken);
        }

        long runId;
        using (var store = RunStore.OpenReadOnly(database))
        {
            Assert.Equal("ok", store.IntegrityCheck());
            var run = Assert.Single(store.ListRuns());
            runId = run.Id;
            Assert.Equal(RunStatus.Running, run.Status);
            var kept = store.LatestCheckpointStep(runId)!.Value;
            Assert.InRange(kept, 1, spec.Steps - 1);
            Assert.NotNull(store.LatestCheckpoint(runId));
        }

        StartWorker(url, "second");
        var result = Assert.Single(await sweep.WaitAsync(TimeSpan.FromSeconds(120), TestContext.Current.CancellationToken));
        Assert.Equal(runId, result.RunId);
        Assert.True(result.Resumed);
        Assert.Equal("second", result.Worker);
        Assert.NotNull(result.Diagnosis);

        var local = Sweeps.RunLocally(Path.Combine(_dir, "local.db"), [spec]);
        using var clusterStore = RunStore.OpenReadOnly(database);
        using var localStore = RunStore.OpenReadOnly(Path.Combine(_dir, "local.db"));
        Assert.Equal(Sweeps.Snapshot(localStore, local[0].RunId), Sweeps.Snapshot(clusterStore, runId));
        Assert.Equal("ok", clusterStore.IntegrityCheck());
    }
}
