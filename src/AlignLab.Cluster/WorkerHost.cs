using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;

namespace AlignLab.Cluster;

/// <summary>Where a worker listens: its silo-to-silo port, its gateway port for submitters, and the address it advertises.</summary>
/// <param name="SiloPort">Port for the other workers (0: a free port).</param>
/// <param name="GatewayPort">Port for submitters (0: a free port).</param>
/// <param name="Advertise">The address other machines reach this worker at (null: this machine's first non-loopback IPv4 address, else loopback).</param>
public sealed record WorkerEndpoints(int SiloPort = 0, int GatewayPort = 0, IPAddress? Advertise = null);

/// <summary>
/// An AlignLab worker: an Orleans silo that joins the cluster kept in a PostgreSQL database (ADO.NET clustering) and
/// trains the runs of submitted sweeps into the shared run store (<see cref="JobRunner"/>).
/// </summary>
public static class WorkerHost
{
    /// <summary>
    /// Builds the worker's host (not started). The database is made ready first (<see cref="ClusterDatabase.Ensure"/>),
    /// so a bad location fails here in one line.
    /// </summary>
    /// <exception cref="Runs.RunStoreException">Unreachable database, refused login, or a store of a newer schema.</exception>
    public static IHost Build(string cluster, WorkerOptions options, WorkerEndpoints? endpoints = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var connection = ClusterDatabase.Ensure(cluster);
        if (!string.Equals(options.Store, cluster, StringComparison.Ordinal))
        {
            using (Runs.RunStore.Open(options.Store))
            {
            }
        }

        endpoints ??= new WorkerEndpoints();
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning);
        builder.UseOrleans(silo =>
        {
            Configure(silo, connection, options);
            silo.ConfigureEndpoints(
                endpoints.Advertise ?? AdvertisedAddress(),
                endpoints.SiloPort == 0 ? FreePort() : endpoints.SiloPort,
                endpoints.GatewayPort == 0 ? FreePort() : endpoints.GatewayPort,
                listenOnAnyHostAddress: true);
        });
        return builder.Build();
    }

    /// <summary>The silo's cluster membership (ADO.NET on PostgreSQL), ids, failure detection and the worker's services.</summary>
    internal static void Configure(ISiloBuilder silo, string connection, WorkerOptions options)
    {
        silo.UseAdoNetClustering(o =>
        {
            o.Invariant = ClusterDatabase.Invariant;
            o.ConnectionString = connection;
        });
        silo.Configure<ClusterOptions>(o =>
        {
            o.ClusterId = ClusterDatabase.ClusterId;
            o.ServiceId = ClusterDatabase.ClusterId;
        });
        silo.Configure<ClusterMembershipOptions>(o =>
        {
            // A killed worker is noticed within seconds, so its runs move on soon: three missed probes of two seconds,
            // or a heartbeat in the table (written every 3 s) missed three times, which a joining worker also honours.
            o.ProbeTimeout = TimeSpan.FromSeconds(2);
            o.NumMissedProbesLimit = 3;
            o.TableRefreshTimeout = TimeSpan.FromSeconds(5);
            o.IAmAliveTablePublishTimeout = TimeSpan.FromSeconds(3);
            o.NumMissedTableIAmAliveLimit = 3;
        });
        silo.Services.AddSingleton(options);
        silo.Services.AddSingleton<WorkerSlots>();
    }

    private static IPAddress AdvertisedAddress()
    {
        foreach (var address in Dns.GetHostAddresses(Dns.GetHostName()))
        {
            if (address.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(address))
            {
                return address;
            }
        }

        return IPAddress.Loopback;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
