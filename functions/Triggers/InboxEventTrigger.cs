using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using Pix2PixZero.Functions.Storage;

namespace Pix2PixZero.Functions.Triggers;

/// <summary>
/// The blob inbox in Azure: Event Grid's BlobCreated events, queued. The deployment disables the polling
/// <see cref="InboxTrigger"/> (<c>AzureWebJobs.EditRequestInbox.Disabled</c>), which stays the inbox locally, where
/// Azurite raises no events.
/// </summary>
public sealed class InboxEventTrigger(InboxEvents events)
{
    [Function("EditRequestInboxEvents")]
    public Task RunAsync(
        [QueueTrigger(StorageQueues.InboxEvents, Connection = StorageConnection.Name)] string message,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken
    ) => events.SubmitAsync(message, client, cancellationToken);
}
