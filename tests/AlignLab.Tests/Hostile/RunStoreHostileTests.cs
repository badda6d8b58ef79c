using System.Diagnostics;
using AlignLab.Runs;
using Microsoft.Data.Sqlite;

namespace AlignLab.Tests.Hostile;

/// <summary>
/// Hostile input to the run store (issue 17): damaged and truncated checkpoints, a scenario file edited or out of
/// reach after training, several processes creating one store, a read-only store, an oversized network, two
/// resumes of one run, and a curve point with a missing row. Each gets one clear line and the right exit code.
/// </summary>
public sealed class RunStoreHostileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("alignlab-hostile-store-").FullName;

    public void Dispose()
    {
        foreach (var dir in Directory.GetDirectories(_dir, "*", SearchOption.AllDirectories).Append(_dir))
        {
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
        }

        Directory.Delete(_dir, recursive: true);
    }

    /// <summary>Item 17: a byte flipped in a stored checkpoint fails its checksum; the resume exits 2 and the run is marked failed.</summary>
    [Fact]
    public void ABitFlippedInAStoredCheckpointFailsItsChecksum()
    {
        var store = TrainedStore("flip.db");
        var step = Sql<long>(store, "SELECT max(step) FROM checkpoints");
        Sql<long>(store, "UPDATE runs SET status = 'failed'");
        Damage(store, step, weights => weights[weights.Length / 2] ^= 1, rehash: false);

        var (code, _, error) = Cli(null, "train", "--resume", "1", "--store", store);
        Assert.Equal(2, code);
        Assert.Equal($"error: {store} is corrupt: run 1's checkpoint at step {step} fails its checksum (SHA-256); restore the store from a backup, or start the run again.", error.Trim());
        using var s = RunStore.OpenReadOnly(store);
        Assert.Equal(RunStatus.Failed, s.GetRun(1).Status);
        Assert.Contains("fails its checksum", Assert.Throws<RunStoreException>(() => s.OpenLatestCheckpoint(1)).Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// Item 20: a run trained from a relative scenario file keeps the file's text: diagnose from another directory
    /// works after the file is gone, and the report shows the title it was trained with, not a later edit.
    /// </summary>
    [Fact]
    public void AScenarioFileRunIsRebuiltFromItsStoredText()
    {
        var work = Directory.CreateDirectory(Path.Combine(_dir, "work")).FullName;
        var elsewhere = Directory.CreateDirectory(Path.Combine(_dir, "elsewhere")).FullName;
        var yaml = File.ReadAllText(Path.Combine(Support.Repo.Root, "scenarios", "BoatRace-v0.yaml"));
        File.WriteAllText(Path.Combine(work, "race.yaml"), yaml.Replace("title: Boat race", "title: Trained title", StringComparison.Ordinal));
        var store = Path.Combine(_dir, "file.db");
        var (code, _, error) = Cli(work, "train", "race.yaml", "--agent", "q", "--steps", "2000", "--store", store);
        Assert.True(code == 0, error);

        File.WriteAllText(Path.Combine(work, "race.yaml"), yaml.Replace("title: Boat race", "title: Edited title", StringComparison.Ordinal));
        var report = Path.Combine(_dir, "report.html");
        (code, _, error) = Cli(elsewhere, "report", "1", "--store", store, "--out", report);
        Assert.True(code == 0, error);
        var html = File.ReadAllText(report);
        Assert.Contains("Trained title", html, StringComparison.Ordinal);
        Assert.DoesNotContain("Edited title", html, StringComparison.Ordinal);

        File.Delete(Path.Combine(work, "race.yaml"));
        (code, var output, error) = Cli(elsewhere, "diagnose", "1", "--store", store, "--levels", "2", "--episodes", "5");
        Assert.True(code == 0, error);
        Assert.Contains("attributed goal", output, StringComparison.Ordinal);

        using var s = RunStore.OpenReadOnly(store);
        Assert.Contains("title: Trained title", s.GetRun(1).Config.ScenarioText, StringComparison.Ordinal);
    }

    /// <summary>Item 20, migration: a schema-2 store is brought to schema 3; its checkpoints get checksums, and a flip is then caught.</summary>
    [Fact]
    public void AStoreOfSchema2IsMigratedAndItsCheckpointsGetChecksums()
    {
        var store = Path.Combine(_dir, "v2.db");
        using (var raw = new SqliteConnection($"Data Source={store};Pooling=False"))
        {
            raw.Open();
            using var command = raw.CreateCommand();
            command.CommandText = """
                CREATE TABLE runs(id INTEGER PRIMARY KEY AUTOINCREMENT, scenario TEXT NOT NULL, distribution TEXT NOT NULL, agent TEXT NOT NULL,
                    parameters TEXT NOT NULL, hyperparameters TEXT NOT NULL, settings TEXT NOT NULL DEFAULT '{}', seed TEXT NOT NULL,
                    code_version TEXT NOT NULL, status TEXT NOT NULL CHECK (status IN ('running', 'finished', 'failed')), result TEXT,
                    created TEXT NOT NULL, updated TEXT NOT NULL);
                CREATE TABLE metrics(run INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE, name TEXT NOT NULL, step INTEGER NOT NULL,
                    value REAL, PRIMARY KEY (run, name, step)) WITHOUT ROWID;
                CREATE TABLE episodes(run INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE, distribution TEXT NOT NULL, level INTEGER NOT NULL,
                    episode INTEGER NOT NULL, reward REAL, intended REAL, goal_returns TEXT NOT NULL, achieved TEXT NOT NULL, actions TEXT NOT NULL,
                    seed TEXT, PRIMARY KEY (run, distribution, level, episode));
                CREATE TABLE checkpoints(run INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE, step INTEGER NOT NULL, weights BLOB NOT NULL,
                    rng BLOB NOT NULL, created TEXT NOT NULL, PRIMARY KEY (run, step));
                INSERT INTO runs VALUES (1, 'BoatRace-v0', 'train', 'q', '{}', '{}', '{}', '0', 'old', 'running', NULL, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z');
                INSERT INTO checkpoints VALUES (1, 100, x'0102030405', x'0607', '2026-01-01T00:00:00Z');
                PRAGMA application_id = 1095516482;
                PRAGMA user_version = 2;
                """;
            command.ExecuteNonQuery();
        }

        using (var readOnly = RunStore.OpenReadOnly(store))
        {
            // Read-only, an older store is read as it is.
            Assert.Null(readOnly.GetRun(1).Config.ScenarioText);
            Assert.Equal([1, 2, 3, 4, 5], readOnly.LatestCheckpoint(1)!.Weights);
        }

        using (var s = RunStore.Open(store))
        {
            Assert.Equal((long)RunStore.SchemaVersion, Sql<long>(store, "PRAGMA user_version"));
            Assert.Equal([1, 2, 3, 4, 5], s.LatestCheckpoint(1)!.Weights);
        }

        Damage(store, 100, weights => weights[0] ^= 1, rehash: false);
        using var damaged = RunStore.Open(store);
        Assert.Contains("fails its checksum", Assert.Throws<RunStoreException>(() => damaged.LatestCheckpoint(1)).Message, StringComparison.Ordinal);
    }

    /// <summary>Item 22: processes and threads creating one new store at once all get a sound store.</summary>
    [Fact]
    public void ManyOpenersOfANewStoreAtOnceAllSucceed()
    {
        for (var round = 0; round < 40; round++)
        {
            var path = Path.Combine(_dir, $"race{round}.db");
            using var start = new Barrier(6);
            var errors = new System.Collections.Concurrent.ConcurrentBag<string>();
            var threads = Enumerable.Range(0, 6).Select(_ => new Thread(() =>
            {
                start.SignalAndWait();
                try
                {
                    using var s = RunStore.Open(path);
                    s.ListRuns();
                }
                catch (RunStoreException e)
                {
                    errors.Add(e.Message);
                }
            })).ToList();
            threads.ForEach(t => t.Start());
            threads.ForEach(t => t.Join());
            Assert.Empty(errors);
        }

        // Four processes, as in the audit: each records a run in the same new store.
        var shared = Path.Combine(_dir, "shared.db");
        var processes = Enumerable.Range(0, 4).Select(_ => Start(null, "train", "BoatRace-v0", "--agent", "random", "--steps", "200", "--store", shared, "--json")).ToList();
        foreach (var p in processes)
        {
            _ = p.StandardOutput.ReadToEnd();
            var error = p.StandardError.ReadToEnd();
            p.WaitForExit();
            Assert.True(p.ExitCode == 0, error);
            p.Dispose();
        }

        using var store = RunStore.OpenReadOnly(shared);
        Assert.Equal(4, store.ListRuns().Count(r => r.Status == RunStatus.Finished));
    }

    /// <summary>
    /// Item 23: runs list, show, compare, report and diagnose read a store in a read-only file, and in a read-only
    /// directory. When the tests run as root (who may write anything), the commands run as user nobody.
    /// </summary>
    [Fact]
    public void AReadOnlyStoreCanBeListedShownAndReported()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var dir = Directory.CreateDirectory(Path.Combine(_dir, "ro")).FullName;
        var store = TrainedStore(Path.Combine("ro", "ro.db"));
        var open = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;
        File.SetUnixFileMode(_dir, open);
        File.SetUnixFileMode(store, UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        var output = Path.Combine(Path.GetTempPath(), $"alignlab-ro-{Guid.NewGuid():N}.html");
        try
        {
            foreach (var readOnlyDirectory in new[] { false, true })
            {
                // A store closed cleanly has no -wal or -shm file (a reader may have left them).
                File.Delete(store + "-wal");
                File.Delete(store + "-shm");
                File.SetUnixFileMode(dir, readOnlyDirectory ? open & ~UnixFileMode.UserWrite : open | UnixFileMode.OtherWrite);
                string[][] commands =
                [
                    ["runs", "list", "--store", store],
                    ["runs", "show", "1", "--store", store],
                    ["runs", "compare", "1", "1", "--store", store],
                    ["report", "1", "--store", store, "--out", output],
                    ["diagnose", "1", "--store", store, "--levels", "2", "--episodes", "5"],
                ];
                foreach (var args in commands)
                {
                    var (code, _, error) = Cli(null, AsReader(args));
                    Assert.True(code == 0, $"{string.Join(' ', args)} (read-only directory: {readOnlyDirectory}): {error}");
                }
            }

            // The library refuses to write through a read-only store, in one line.
            using var s = RunStore.OpenReadOnly(store);
            Assert.Single(s.ListRuns());
            Assert.Contains("opened read-only", Assert.Throws<RunStoreException>(() => s.CreateRun(new RunConfig("BoatRace-v0", "q", 0))).Message, StringComparison.Ordinal);
            Assert.Contains("no run store", Assert.Throws<RunStoreException>(() => RunStore.OpenReadOnly(Path.Combine(_dir, "missing.db"))).Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(output);
        }
    }

    /// <summary>
    /// Item 24: a network too large for a checkpoint is refused before anything is written (no 35-second wait, no run
    /// left "running"); a run that fails during training is marked failed.
    /// </summary>
    [Fact]
    public void AnOversizedNetworkIsRefusedUpFrontAndAFailedRunIsMarkedFailed()
    {
        var store = Path.Combine(_dir, "big.db");
        var (code, output, error) = Cli(null, "train", "BoatRace-v0", "--agent", "ppo", "--ppo", "hidden=100000", "--steps", "1000", "--store", store);
        Assert.Equal(2, code);
        Assert.Equal(string.Empty, output);
        Assert.StartsWith("error: ppo: hidden layers [100000] on BoatRace-v0 make networks of ", error, StringComparison.Ordinal);
        Assert.Contains("a checkpoint holds at most 8,000,000", error, StringComparison.Ordinal);
        Assert.False(File.Exists(store)); // refused before the store, let alone a network, was made

        // A DQN replay buffer too large for a checkpoint is refused the same way.
        (code, _, error) = Cli(null, "train", "BoatRace-v0", "--agent", "dqn", "--agent-option", "buffer-size=100000000", "--steps", "1000", "--store", store);
        Assert.Equal(2, code);
        Assert.Contains("the limit is 900 MB", error, StringComparison.Ordinal);

        // A run whose resume fails (here: its step-0 checkpoint is damaged) is marked failed, and its lease ends.
        var trained = TrainedStore("fail.db");
        Sql<long>(trained, "UPDATE runs SET status = 'running', result = NULL");
        Damage(trained, Sql<long>(trained, "SELECT max(step) FROM checkpoints"), weights => weights[^1] ^= 0xFF, rehash: false);
        (code, _, _) = Cli(null, "train", "--resume", "1", "--store", trained);
        Assert.Equal(2, code);
        Assert.Equal("failed", Sql<string>(trained, "SELECT status FROM runs WHERE id = 1"));
        Assert.Equal(0, Sql<long>(trained, "SELECT count(*) FROM runs WHERE lease IS NOT NULL"));
    }

    /// <summary>
    /// Item 27: a truncated checkpoint says it is truncated (in the store, and as a file); two resumes of one run do
    /// not both proceed, and the lease of a process killed with SIGKILL does not block the run.
    /// </summary>
    [Fact]
    public void ATruncatedCheckpointIsNamedAndARunIsResumedByOneProcessAtATime()
    {
        var store = TrainedStore("cut.db");
        var step = Sql<long>(store, "SELECT max(step) FROM checkpoints");
        Sql<long>(store, "UPDATE runs SET status = 'failed'");
        Damage(store, step, weights => weights[..300], rehash: true);
        var (code, _, error) = Cli(null, "train", "--resume", "1", "--store", store);
        Assert.Equal(2, code);
        Assert.StartsWith($"error: {store} is corrupt: run 1's checkpoint at step {step} is truncated or damaged (", error, StringComparison.Ordinal);
        Assert.DoesNotContain("Unable to read beyond the end of the stream", error, StringComparison.Ordinal);

        // The same checkpoint cut short as a file, as diagnose reads one.
        var file = Path.Combine(_dir, "cut.safetensors");
        Damage(store, step, weights =>
        {
            File.WriteAllBytes(file, weights[..100]);
            return weights;
        }, rehash: true);
        (code, _, error) = Cli(null, "diagnose", file, "--scenario", "BoatRace-v0");
        Assert.Equal(2, code);
        Assert.StartsWith($"error: '{file}' is not a usable AlignLab checkpoint: ", error, StringComparison.Ordinal);
        Assert.Contains("ends before its header does", error, StringComparison.Ordinal);

        // A long run, killed (SIGKILL) after its first checkpoint: its lease names a dead process.
        var runs = Path.Combine(_dir, "lease.db");
        using (var first = Start(null, "train", "BoatRace-v0", "--agent", "q", "--steps", "50000000", "--store", runs))
        {
            WaitFor(first, "checkpoint at step 0");
            first.Kill(entireProcessTree: true);
            first.WaitForExit();
        }

        using (var resuming = Start(null, "train", "--resume", "1", "--store", runs))
        {
            WaitFor(resuming, "resuming run 1");
            var (second, _, secondError) = Cli(null, "train", "--resume", "1", "--store", runs);
            Assert.Equal(2, second);
            Assert.StartsWith($"error: run 1 is being trained or resumed by another process (pid {resuming.Id}, since ", secondError, StringComparison.Ordinal);
            resuming.Kill(entireProcessTree: true);
            resuming.WaitForExit();
        }

        // The killed resume's lease is taken over; while this process holds it, a resume is refused.
        using var s = RunStore.Open(runs);
        s.ClaimRun(1);
        (code, _, error) = Cli(null, "train", "--resume", "1", "--store", runs);
        Assert.Equal(2, code);
        Assert.Contains($"(pid {Environment.ProcessId}, since ", error, StringComparison.Ordinal);
        using (var other = RunStore.Open(runs))
        {
            Assert.Throws<RunStoreException>(() => other.ClaimRun(1));
        }

        s.ReleaseRun(1);
        s.ClaimRun(1);
        s.SetStatus(1, RunStatus.Failed);
        Assert.Equal(0, Sql<long>(runs, "SELECT count(*) FROM runs WHERE lease IS NOT NULL"));
    }

    /// <summary>Item 6: a store missing one eval/intended row makes the resume say the store is corrupt, naming the step.</summary>
    [Fact]
    public void AStoreMissingOneIntendedRowIsCorruptOnResume()
    {
        var store = TrainedStore("curve.db");
        var step = Sql<long>(store, "SELECT min(step) FROM metrics WHERE name = 'eval/intended'");
        Sql<long>(store, "UPDATE runs SET status = 'failed'");
        Sql<long>(store, $"DELETE FROM metrics WHERE name = 'eval/intended' AND step = {step}");
        var (code, _, error) = Cli(null, "train", "--resume", "1", "--store", store);
        Assert.Equal(2, code);
        Assert.Equal($"error: {store} is corrupt: run 1's curve point at step {step} lacks 'eval/intended'.", error.Trim());
    }

    /// <summary>A finished run of q on BoatRace-v0 (2,000 steps) in a new store; returns the store's path.</summary>
    private string TrainedStore(string name)
    {
        var store = Path.Combine(_dir, name);
        var (code, _, error) = Cli(null, "train", "BoatRace-v0", "--agent", "q", "--steps", "2000", "--store", store);
        Assert.True(code == 0, error);
        return store;
    }

    /// <summary>Changes the weights of the run-1 checkpoint at <paramref name="step"/>; with <paramref name="rehash"/>, its checksum is made to match.</summary>
    private static void Damage(string store, long step, Func<byte[], byte[]> change, bool rehash)
    {
        using var raw = new SqliteConnection($"Data Source={store};Pooling=False");
        raw.Open();
        using var read = raw.CreateCommand();
        read.CommandText = $"SELECT weights, rng FROM checkpoints WHERE run = 1 AND step = {step}";
        byte[] weights, rng;
        using (var reader = read.ExecuteReader())
        {
            Assert.True(reader.Read());
            weights = change((byte[])reader.GetValue(0));
            rng = (byte[])reader.GetValue(1);
        }

        using var write = raw.CreateCommand();
        write.CommandText = $"UPDATE checkpoints SET weights = $w{(rehash ? ", sha256 = $h" : string.Empty)} WHERE run = 1 AND step = {step}";
        write.Parameters.AddWithValue("$w", weights);
        write.Parameters.AddWithValue("$h", System.Security.Cryptography.SHA256.HashData([.. weights, .. rng]));
        write.ExecuteNonQuery();
    }

    private static void Damage(string store, long step, Action<byte[]> change, bool rehash) =>
        Damage(store, step, w =>
        {
            change(w);
            return w;
        }, rehash);

    private static T Sql<T>(string store, string sql)
    {
        using var raw = new SqliteConnection($"Data Source={store};Pooling=False");
        raw.Open();
        using var command = raw.CreateCommand();
        command.CommandText = sql;
        var value = command.ExecuteScalar();
        return value is null or DBNull ? default! : (T)Convert.ChangeType(value, typeof(T), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>The command as user nobody when this process is root (so that file modes bind), else as it is.</summary>
    private static string[] AsReader(string[] args) =>
        Environment.UserName == "root" && File.Exists("/usr/bin/setpriv")
            ? ["--as-nobody", .. args]
            : args;

    private static Process Start(string? workDir, params string[] args)
    {
        var asNobody = args.Length > 0 && args[0] == "--as-nobody";
        var info = new ProcessStartInfo(asNobody ? "/usr/bin/setpriv" : "dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (asNobody)
        {
            foreach (var a in new[] { "--reuid=65534", "--regid=65534", "--clear-groups", "dotnet" })
            {
                info.ArgumentList.Add(a);
            }

            info.Environment["HOME"] = Path.GetTempPath();
            info.Environment["DOTNET_CLI_HOME"] = Path.GetTempPath();
            args = args[1..];
        }

        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "AlignLab.Cli.dll"));
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        if (workDir is not null)
        {
            info.WorkingDirectory = workDir;
        }

        return Process.Start(info)!;
    }

    private static (int Code, string Out, string Err) Cli(string? workDir, params string[] args)
    {
        using var process = Start(workDir, args);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        return (process.ExitCode, stdout.Result, stderr.Result);
    }

    private static void WaitFor(Process process, string prefix)
    {
        while (process.StandardOutput.ReadLine() is { } line)
        {
            if (line.StartsWith(prefix, StringComparison.Ordinal))
            {
                return;
            }
        }

        Assert.Fail($"the process ended before printing '{prefix}': {process.StandardError.ReadToEnd()}");
    }
}
