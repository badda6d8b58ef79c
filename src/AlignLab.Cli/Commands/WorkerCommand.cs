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
}
