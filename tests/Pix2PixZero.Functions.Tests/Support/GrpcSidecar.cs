using DurableTask.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Testing;
using Microsoft.DurableTask.Testing.Sidecar;
using Microsoft.DurableTask.Testing.Sidecar.Grpc;
using Microsoft.DurableTask.Worker;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Pix2PixZero.Functions.Tests.Support;

/// <summary>
/// The Durable Task gRPC sidecar the test host package runs (<see cref="TaskHubGrpcServer"/> over an orchestration
/// backend) on a loopback port the system picks: Kestrel binds port 0 and the port it got is read back from its
/// addresses. <see cref="DurableTaskTestHost.StartAsync"/> cannot be used for that: it makes its client's address from
/// the port before it binds, so it takes a port named in advance, which another process can take first.
/// </summary>
public static class GrpcSidecar
{
    /// <summary>Starts a sidecar over <paramref name="backend"/>; the channel talks to it.</summary>
    public static async Task<(IHost Sidecar, GrpcChannel Channel)> StartAsync<T>(T backend)
        where T : IOrchestrationService, IOrchestrationServiceClient
    {
        var sidecar = Host.CreateDefaultBuilder()
            .ConfigureLogging(logging => logging.ClearProviders())
            .ConfigureWebHostDefaults(web =>
            {
                web.UseUrls("http://127.0.0.1:0");
                web.ConfigureKestrel(kestrel =>
                    kestrel.ConfigureEndpointDefaults(listen => listen.Protocols = HttpProtocols.Http2)
                );
                web.ConfigureServices(services =>
                {
                    services.AddGrpc();
                    services.AddSingleton<IOrchestrationService>(backend);
                    services.AddSingleton<IOrchestrationServiceClient>(backend);
                    services.AddSingleton<TaskHubGrpcServer>();
                });
                web.Configure(app =>
                {
                    app.UseRouting();
                    app.UseEndpoints(endpoints => endpoints.MapGrpcService<TaskHubGrpcServer>());
                });
            })
            .Build();
        await sidecar.StartAsync();
        var address = sidecar
            .Services.GetRequiredService<IServer>()
            .Features.Get<IServerAddressesFeature>()!
            .Addresses.Single();
        return (sidecar, GrpcChannel.ForAddress(address));
    }

    /// <summary>
    /// What <see cref="DurableTaskTestHost.StartAsync"/> starts (the in-memory backend, a worker with
    /// <paramref name="tasks"/> and a client), on a port the system picked.
    /// </summary>
    public static async Task<DurableTaskTestHost> StartInMemoryAsync(
        Action<DurableTaskRegistry> tasks,
        Action<IServiceCollection>? services = null
    )
    {
        var (sidecar, channel) = await StartAsync(new InMemoryOrchestrationService(NullLoggerFactory.Instance));
        var worker = Host.CreateDefaultBuilder()
            .ConfigureLogging(logging => logging.ClearProviders())
            .ConfigureServices(s =>
            {
                services?.Invoke(s);
                s.AddDurableTaskWorker(builder =>
                {
                    builder.UseGrpc(channel);
                    builder.AddTasks(tasks);
                });
                s.AddDurableTaskClient(builder =>
                {
                    builder.UseGrpc(channel);
                    builder.RegisterDirectly();
                });
            })
            .Build();
        await worker.StartAsync();
        return new DurableTaskTestHost(
            sidecar,
            worker,
            channel,
            worker.Services.GetRequiredService<DurableTaskClient>()
        );
    }
}
