using DurableTask.AzureStorage;
using DurableTask.Core;
using Grpc.Net.Client;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Worker;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Pix2PixZero.Functions.Tests.Support;

/// <summary>
/// A worker process as the Functions host runs one, on the Azure Storage backend over Azurite: the test host
/// package's gRPC sidecar (<see cref="GrpcSidecar"/>) hosting <see cref="AzureStorageOrchestrationService"/>, and
/// a Durable Task worker with the pipeline's tasks connected to it. Stopping it and starting another on the same
/// task hub is what a worker restart (a new replica, a crash) looks like to the backend.
/// </summary>
public sealed class AzureStorageTaskHub : IAsyncDisposable
{
    private readonly IHost _sidecar;
    private readonly GrpcChannel _channel;
    private readonly IHost _worker;

    private AzureStorageTaskHub(IHost sidecar, GrpcChannel channel, IHost worker)
    {
        (_sidecar, _channel, _worker) = (sidecar, channel, worker);
    }

    public DurableTaskClient Client => _worker.Services.GetRequiredService<DurableTaskClient>();

    public IServiceProvider Services => _worker.Services;

    public static async Task<AzureStorageTaskHub> StartAsync(
        Azurite storage,
        string taskHub,
        IConfiguration configuration,
        int activitySlots,
        Action<IServiceCollection>? services = null
    )
    {
        var service = new AzureStorageOrchestrationService(
            new AzureStorageOrchestrationServiceSettings
            {
                StorageAccountClientProvider = new StorageAccountClientProvider(storage.ConnectionString),
                TaskHubName = taskHub,
                PartitionCount = 1,
                MaxConcurrentTaskActivityWorkItems = activitySlots,
                MaxConcurrentTaskOrchestrationWorkItems = 8,
                // Test-sized timings: a restarted worker takes over within seconds instead of the defaults' minutes.
                MaxQueuePollingInterval = TimeSpan.FromMilliseconds(500),
                WorkItemQueueVisibilityTimeout = TimeSpan.FromSeconds(20),
                ControlQueueVisibilityTimeout = TimeSpan.FromSeconds(20),
                LeaseInterval = TimeSpan.FromSeconds(10),
                LeaseRenewInterval = TimeSpan.FromSeconds(3),
                LeaseAcquireInterval = TimeSpan.FromSeconds(1),
            }
        );
        await service.CreateIfNotExistsAsync();

        var (sidecar, channel) = await GrpcSidecar.StartAsync(service);
        var worker = Host.CreateDefaultBuilder()
            .ConfigureLogging(logging => logging.ClearProviders())
            .ConfigureServices(s =>
            {
                services?.Invoke(s);
                s.AddPipelineServices(configuration);
                s.AddDurableTaskWorker(builder =>
                {
                    builder.UseGrpc(channel);
                    builder.AddTasks(PipelineRegistration.AddPipelineTasks);
                });
                s.AddDurableTaskClient(builder =>
                {
                    builder.UseGrpc(channel);
                    builder.RegisterDirectly();
                });
            })
            .Build();
        await worker.StartAsync();
        return new AzureStorageTaskHub(sidecar, channel, worker);
    }

    /// <summary>Stops the worker (running activities see their cancellation) and then its sidecar.</summary>
    public async ValueTask DisposeAsync()
    {
        await _worker.StopAsync();
        _worker.Dispose();
        await _channel.ShutdownAsync();
        _channel.Dispose();
        await _sidecar.StopAsync();
        _sidecar.Dispose();
    }
}
