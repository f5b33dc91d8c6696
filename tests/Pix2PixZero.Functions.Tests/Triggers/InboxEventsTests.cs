using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Pix2PixZero.Functions.Storage;
using Pix2PixZero.Functions.Tests.Support;
using Pix2PixZero.Functions.Triggers;

namespace Pix2PixZero.Functions.Tests.Triggers;

/// <summary>
/// The inbox as deployed: Event Grid's BlobCreated events, queued, start the same edit the polling blob trigger
/// would, once per blob version.
/// </summary>
[Collection(StorageCollection.Name)]
public sealed class InboxEventsTests(AzuriteFixture azurite)
{
    // The shape of Event Grid's Microsoft.Storage.BlobCreated event (Event Grid schema), as delivered to a queue.
    private static string BlobCreated(string container, string name) =>
        JsonSerializer.Serialize(
            new
            {
                topic = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/p2pzdata",
                subject = $"/blobServices/default/containers/{container}/blobs/{name}",
                eventType = InboxEvents.BlobCreated,
                id = Guid.NewGuid(),
                data = new
                {
                    api = "PutBlob",
                    contentType = "image/png",
                    blobType = "BlockBlob",
                    url = $"https://p2pzdata.blob.core.windows.net/{container}/{name}",
                },
                dataVersion = "",
                metadataVersion = "1",
                eventTime = DateTimeOffset.UtcNow,
            }
        );

    [Fact]
    public void A_blob_created_event_names_its_blob_and_any_other_message_names_none()
    {
        Assert.Equal(
            new BlobRef("edit-requests", "cat2dog/in a folder/photo.png"),
            InboxEvents.BlobOf(BlobCreated("edit-requests", "cat2dog/in a folder/photo.png"))
        );
        Assert.Null(InboxEvents.BlobOf(BlobCreated("edit-requests", "x").Replace("BlobCreated", "BlobDeleted")));
        Assert.Null(InboxEvents.BlobOf("{\"eventType\":\"Microsoft.Storage.BlobCreated\",\"subject\":\"/x\"}"));
        Assert.Null(InboxEvents.BlobOf("not json"));
        Assert.Null(InboxEvents.BlobOf("[1,2]"));
    }

    [Fact]
    public async Task A_blob_created_event_starts_the_edit_the_blob_trigger_would_and_a_repeat_starts_nothing()
    {
        await using var host = await PipelineTestHost.StartAsync(azurite.Storage);
        var upload = await host.UploadToInboxAsync(
            "cat2dog/from-event-grid.png",
            TinyModel.Photo(),
            new Dictionary<string, string>
            {
                ["steps"] = "2",
                ["sentences"] = "4",
                ["caption"] = "a cat",
            }
        );
        var events = host.Services.GetRequiredService<InboxEvents>();
        var message = BlobCreated(StorageLayout.Requests, upload.Name);

        var first = await events.SubmitAsync(message, host.Client, default);
        var repeat = await events.SubmitAsync(message, host.Client, default);
        var elsewhere = await events.SubmitAsync(BlobCreated(StorageLayout.Results, upload.Name), host.Client, default);

        var etag = (await upload.GetPropertiesAsync()).Value.ETag.ToString();
        Assert.Equal(
            new Submission(InboxSubmission.InstanceIdFor(upload.BlobContainerName, upload.Name, etag), Started: true),
            first
        );
        Assert.Equal(first! with { Started = false }, repeat);
        Assert.Null(elsewhere);
        await Results.AssertCompleteAsync(host.Blobs, await host.WaitAsync(first.InstanceId), "cat2dog");
    }
}
