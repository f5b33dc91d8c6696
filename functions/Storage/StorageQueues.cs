using Azure.Storage.Queues;

namespace Pix2PixZero.Functions.Storage;

/// <summary>
/// The app's queues in the data account (created by infra/modules/storage.bicep; the infra tests hold its list and
/// the GPU app's scale rule to these names). Created on first use as well, for Azurite.
/// </summary>
public sealed class StorageQueues(QueueServiceClient service)
{
    /// <summary>GPU stages waiting for a GPU worker; the GPU app scales on its length.</summary>
    public const string Work = "gpu-work";

    /// <summary>GPU workers' reports of finished or failed stages, relayed by the control plane.</summary>
    public const string Completions = "gpu-completions";

    /// <summary>Event Grid's BlobCreated events of the inbox container (the inbox trigger's scalable source).</summary>
    public const string InboxEvents = "inbox-events";

    public static readonly IReadOnlyList<string> Names = [Work, Completions, InboxEvents];

    private volatile bool _queuesExist;

    public QueueClient Client(string name) => service.GetQueueClient(name);

    public async Task EnsureQueuesAsync(CancellationToken cancellationToken = default)
    {
        if (_queuesExist)
            return;
        foreach (var name in Names)
            await service.GetQueueClient(name).CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        _queuesExist = true;
    }
}
