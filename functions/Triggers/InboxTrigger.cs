using Azure.Storage.Blobs;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using Pix2PixZero.Functions.Storage;

namespace Pix2PixZero.Functions.Triggers;

/// <summary>The blob inbox: an image uploaded to <c>edit-requests/{task}/{name}</c> starts one edit.</summary>
public sealed class InboxTrigger(InboxSubmission inbox)
{
    [Function("EditRequestInbox")]
    public async Task RunAsync(
        [BlobTrigger(StorageLayout.Requests + "/{task}/{name}", Connection = StorageConnection.Name)] BlobClient blob,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken
    ) => await inbox.SubmitAsync(blob, client, cancellationToken);
}
