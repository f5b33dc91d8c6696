using System.Text.Json;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;
using Pix2PixZero.Functions.Storage;

namespace Pix2PixZero.Functions.Triggers;

/// <summary>
/// Event Grid's <c>Microsoft.Storage.BlobCreated</c> events for the inbox container, as the storage account's system
/// topic delivers them to the <see cref="StorageQueues.InboxEvents"/> queue (infra/modules/inbox-events.bicep): each
/// names a new blob, which <see cref="InboxSubmission"/> turns into an edit exactly as the polling blob trigger does.
/// A queue is a source the Functions platform scales on and keeps events while no replica runs, where the polling
/// blob trigger is neither.
/// </summary>
public sealed class InboxEvents(PipelineBlobs blobs, InboxSubmission inbox, ILogger<InboxEvents> log)
{
    public const string BlobCreated = "Microsoft.Storage.BlobCreated";

    /// <summary>The blob a BlobCreated event (Event Grid schema) names; null for any other event.</summary>
    public static BlobRef? BlobOf(string message)
    {
        try
        {
            using var document = JsonDocument.Parse(message);
            var root = document.RootElement;
            if (
                root.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("eventType", out var type)
                || type.GetString() != BlobCreated
                || !root.TryGetProperty("subject", out var subject)
            )
                return null;
            // "/blobServices/default/containers/{container}/blobs/{name}"
            const string containers = "/containers/",
                blobsMarker = "/blobs/";
            var text = subject.GetString() ?? "";
            var start = text.IndexOf(containers, StringComparison.Ordinal);
            var split = start < 0 ? -1 : text.IndexOf(blobsMarker, start + containers.Length, StringComparison.Ordinal);
            if (split < 0)
                return null;
            var container = text[(start + containers.Length)..split];
            var name = text[(split + blobsMarker.Length)..];
            return container.Length > 0 && name.Length > 0 ? new BlobRef(container, name) : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public async Task<Submission?> SubmitAsync(
        string message,
        DurableTaskClient client,
        CancellationToken cancellationToken
    )
    {
        if (BlobOf(message) is not { Container: StorageLayout.Requests } blob)
        {
            log.LogWarning("Ignored an inbox event that is not a BlobCreated of {Container}", StorageLayout.Requests);
            return null;
        }
        return await inbox.SubmitAsync(blobs.Client(blob), client, cancellationToken);
    }
}
