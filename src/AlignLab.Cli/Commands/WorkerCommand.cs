using System.CommandLine;
using System.Net;
using AlignLab.Cluster;
using AlignLab.Runs;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace AlignLab.Cli.Commands;

/// <summary>
/// <c>alignlab worker --cluster postgres://user:password@host:port/database</c>: joins the Orleans cluster kept in
/// that PostgreSQL database and trains the runs that <c>alignlab sweep ... --cluster</c> submits, into the run store
/// in the same database, until stopped (Ctrl+C or SIGTERM; a run under way then stops at its next checkpoint and
/// another worker resumes it).
/// </summary>
internal static class WorkerCommand
{
    public static Command Create()
    {
        var cluster = new Option<string>("--cluster") { Description = "The cluster's PostgreSQL database: postgres://user:password@host:port/database or an Npgsql connection string. It is also the run store.", Required = true };
        var jobs = new Option<int>("--jobs") { Description = "Runs trained at the same time on this worker.", DefaultValueFactory = _ => 1 };
        var name = new Option<string?>("--name") { Description = "This worker's name in progress reports. Default: host name/process id." };
        var port = new Option<int>("--port") { Description = "Port the other workers reach this one at (0: any free port).", DefaultValueFactory = _ => 0 };
        var gatewayPort = new Option<int>("--gateway-port") { Description = "Port submitters reach this worker at (0: any free port).", DefaultValueFactory = _ => 0 };
        var advertise = new Option<string?>("--advertise") { Description = "The IP address other machines reach this worker at. Default: this machine's first non-loopback IPv4 address." };
        var command = new Command("worker", "Join a cluster of workers (Orleans, membership in PostgreSQL) and train the runs of submitted sweeps.") { cluster, jobs, name, port, gatewayPort, advertise };
        command.Subcommands.Add(Throughput());
        command.SetAction(parse => CliErrors.Run(() =>
        {
            var location = parse.GetValue(cluster)!;
            if (parse.GetValue(jobs) < 1)
            {
                throw new UsageException("--jobs must be at least 1.");
            }

            foreach (var (option, value) in new[] { ("--port", parse.GetValue(port)), ("--gateway-port", parse.GetValue(gatewayPort)) })
            {
                if (value is < 0 or > 65535)
                {
                    throw new UsageException($"{option} must be a port number (0 to 65535), not {value}.");
                }
            }

            IPAddress? address = null;
            if (parse.GetValue(advertise) is { } text && !IPAddress.TryParse(text, out address))
            {
                throw new UsageException($"--advertise '{text}' is not an IP address.");
            }

            var options = new WorkerOptions(location, parse.GetValue(jobs), parse.GetValue(name));
            using var host = WorkerHost.Build(location, options, new WorkerEndpoints(parse.GetValue(port), parse.GetValue(gatewayPort), address));
            try
            {
                host.Start();
            }
            catch (Exception e) when (!CliErrors.IsUserError(e))
            {
                throw new ClusterException($"the worker could not join the cluster: {e.Message.ReplaceLineEndings(" ")}", e);
            }

            using (var store = RunStore.OpenReadOnly(location))
            {
                Console.WriteLine($"worker {host.Services.GetRequiredService<WorkerSlots>().Name} joined the cluster at {store.Path} ({options.Jobs} run{(options.Jobs == 1 ? string.Empty : "s")} at a time); Ctrl+C to stop.");
            }

            host.WaitForShutdown();
            return 0;
        }));
        return command;
    }

    /// <summary>
    /// <c>alignlab worker throughput --cluster CONN --workers 1,2,3</c>: for each count, starts that many local worker
    /// processes, submits one sweep of tabular Q-learning runs, and prints runs per minute (the wall clock from
    /// submission to the last result; the workers' start-up is not counted).
    /// </summary>
    private static Command Throughput()
    {
        var cluster = new Option<string>("--cluster") { Description = "The cluster's PostgreSQL database (an empty one is best: the measured sweeps stay in it).", Required = true };
        var workers = new Option<string>("--workers") { Description = "Worker counts to measure, comma-separated.", DefaultValueFactory = _ => "1,2,3" };
        var runs = new Option<int>("--runs") { Description = "Runs per sweep: CheeseInTheCorner-v0 (size=5) and BoatRace-v0, seeds 0, 1, ...", DefaultValueFactory = _ => 12 };
        var steps = new Option<long>("--steps") { Description = "Training steps per run (tabular Q-learning, 8 curve points).", DefaultValueFactory = _ => 20_000 };
        var command = new Command("throughput", "Measure sweep throughput (runs per minute) with 1, 2, 3... local worker processes.") { cluster, workers, runs, steps };
        command.SetAction(parse => CliErrors.Run(() =>
        {
            var counts = parse.GetValue(workers)!.Split(',').Select(t => int.TryParse(t, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var n) && n is >= 1 and <= 64 ? n : throw new UsageException($"--workers '{t}' is not a worker count from 1 to 64.")).ToList();
            if (parse.GetValue(runs) < 1 || parse.GetValue(steps) < 1)
            {
                throw new UsageException("--runs and --steps must be at least 1.");
            }

            var location = parse.GetValue(cluster)!;
            ClusterDatabase.Ensure(location);
            var specs = Enumerable.Range(0, parse.GetValue(runs)).Select(i => new Experiments.ExperimentSpec(
                i % 2 == 0 ? "CheeseInTheCorner-v0" : "BoatRace-v0", "q", parse.GetValue(steps), (ulong)(i / 2), i % 2 == 0 ? new Dictionary<string, string> { ["size"] = "5" } : null, CurvePoints: 8, EvalLevels: 4, Episodes: 10)).ToList();
            Console.WriteLine($"{specs.Count} runs of tabular Q-learning, {parse.GetValue(steps):N0} steps each, {Environment.ProcessorCount} cores");
            foreach (var count in counts)
            {
                var started = new List<System.Diagnostics.Process>();
                try
                {
                    for (var w = 0; w < count; w++)
                    {
                        started.Add(StartWorker(location, $"bench-{count}-{w}"));
                    }

                    var clock = System.Diagnostics.Stopwatch.StartNew();
                    var results = ClusterSweep.RunAsync(location, $"throughput-{DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()}-{count}", specs).GetAwaiter().GetResult();
                    var seconds = clock.Elapsed.TotalSeconds;
                    Console.WriteLine(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"  {count} worker{(count == 1 ? " " : "s")}: {results.Count} runs in {seconds:0.0} s = {results.Count * 60 / seconds:0.0} runs/minute; runs per worker: {string.Join(", ", results.GroupBy(r => r.Worker).Select(g => g.Count()).Order())}"));
                }
                finally
                {
                    foreach (var process in started)
                    {
                        if (!process.HasExited)
                        {
                            process.Kill();
                            process.WaitForExit();
                        }

                        process.Dispose();
                    }
                }
            }

            return 0;
        }));
        return command;
    }

    /// <summary>Starts <c>alignlab worker --cluster</c> as a process of its own and waits until it has joined.</summary>
    private static System.Diagnostics.Process StartWorker(string cluster, string name)
    {
        var path = Environment.ProcessPath ?? "dotnet";
        var info = new System.Diagnostics.ProcessStartInfo(path) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(path) == "dotnet")
        {
            info.ArgumentList.Add(typeof(WorkerCommand).Assembly.Location);
        }

        foreach (var arg in new[] { "worker", "--cluster", cluster, "--name", name })
        {
            info.ArgumentList.Add(arg);
        }

        var process = System.Diagnostics.Process.Start(info) ?? throw new ClusterException($"could not start a worker process ({path}).");
        var joined = new TaskCompletionSource();
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data?.Contains("joined the cluster", StringComparison.Ordinal) == true)
            {
                joined.TrySetResult();
            }
        };
        process.ErrorDataReceived += (_, _) => { };
        process.Exited += (_, _) => joined.TrySetException(new ClusterException($"worker {name} exited before it joined the cluster."));
        process.EnableRaisingEvents = true;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!joined.Task.Wait(TimeSpan.FromSeconds(120)))
        {
            process.Kill();
            throw new ClusterException($"worker {name} did not join the cluster within 120 s.");
        }

        return process;
    }
}
