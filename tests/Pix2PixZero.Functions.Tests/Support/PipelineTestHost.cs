using Azure.Storage.Blobs;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Testing;
using Microsoft.Extensions.DependencyInjection;
using Pix2PixZero.Functions.Hosting;
using Pix2PixZero.Functions.Storage;
using Pix2PixZero.Functions.Triggers;

namespace Pix2PixZero.Functions.Tests.Support;

/// <summary>
/// The pipeline's real orchestrators and activities on <see cref="DurableTaskTestHost"/> (in-memory backend behind
/// its gRPC sidecar, on a port the system picks: <see cref="GrpcSidecar"/>), registered exactly as the Functions app
/// registers them, against Azurite and the tiny model.
/// </summary>
public sealed class PipelineTestHost : IAsyncDisposable
{
    private readonly DurableTaskTestHost _host;

    private PipelineTestHost(DurableTaskTestHost host) => _host = host;

    public DurableTaskClient Client => _host.Client;

    public IServiceProvider Services => _host.Services;

    public PipelineBlobs Blobs => Services.GetRequiredService<PipelineBlobs>();

    public ModelHost Model => Services.GetRequiredService<ModelHost>();

    public static async Task<PipelineTestHost> StartAsync(
        Azurite storage,
        IDictionary<string, string?>? settings = null,
        Action<IServiceCollection>? services = null
    )
    {
        var configuration = PipelineConfiguration.For(storage, settings);
        var host = await GrpcSidecar.StartInMemoryAsync(PipelineRegistration.AddPipelineTasks, s =>
        {
            services?.Invoke(s);
            s.AddLogging();
            s.AddPipelineServices(configuration);
        });
        return new PipelineTestHost(host);
    }

    /// <summary>Uploads into the blob inbox, as a user would.</summary>
    public Task<BlobClient> UploadToInboxAsync(
        string name,
        byte[] bytes,
        IDictionary<string, string>? metadata = null
    ) => Inbox.UploadAsync(Blobs, name, bytes, metadata);

    /// <summary>What the blob trigger does with an inbox event.</summary>
    public Task<Submission> SubmitAsync(BlobClient blob) =>
        Services.GetRequiredService<InboxSubmission>().SubmitAsync(blob, Client, CancellationToken.None);

    public Task<OrchestrationMetadata> WaitAsync(string id, int seconds = 240) => Inbox.WaitAsync(Client, id, seconds);

    public ValueTask DisposeAsync() => _host.DisposeAsync();
}
