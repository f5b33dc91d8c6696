using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using Pix2PixZero.Functions.Storage;
using Pix2PixZero.Functions.Tests.Support;
using Pix2PixZero.Functions.Triggers;

namespace Pix2PixZero.Functions.Tests.Orchestrations;

/// <summary>
/// The pipeline on the backend the Functions app uses, Azure Storage (queues, tables, blobs), over Azurite.
/// </summary>
[Collection(StorageCollection.Name)]
public sealed class AzureStorageBackendTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task A_word_mean_needed_by_two_concurrent_requests_is_computed_once()
    {
        var configuration = PipelineConfiguration.For(azurite.Storage);
        await using var hub = await AzureStorageTaskHub.StartAsync(
            azurite.Storage,
            "concurrent",
            configuration,
            activitySlots: 8
        );
        var blobs = hub.Services.GetRequiredService<PipelineBlobs>();
        var inbox = hub.Services.GetRequiredService<InboxSubmission>();
        var options = new Dictionary<string, string>
        {
            ["steps"] = "2",
            ["sentences"] = "32",
            ["caption"] = "a tiger",
        };

        var requests = new List<string>();
        foreach (var name in new[] { "tiger2lion/first.png", "tiger2lion/second.png" })
        {
            var blob = await Inbox.UploadAsync(blobs, name, TinyModel.Photo(), options);
            requests.Add((await inbox.SubmitAsync(blob, hub.Client, CancellationToken.None)).InstanceId);
        }
        var manifests = new List<EditManifest>();
        foreach (var id in requests)
            manifests.Add(
                await Results.AssertCompleteAsync(blobs, await Inbox.WaitAsync(hub.Client, id), "tiger2lion")
            );

        foreach (var word in new[] { "tiger", "lion" })
        {
            var uses = manifests.Select(m => Assert.Single(m.Directions, d => d.Word == word)).ToList();
            Assert.Single(uses, d => d.Computed);
            Assert.Single(uses.Select(d => d.Blob).Distinct());
        }
    }

    [Fact]
    public async Task A_worker_stopped_mid_edit_is_replaced_and_the_request_completes_with_every_result()
    {
        const string taskHub = "durability";
        var blobs = new PipelineBlobs(new Azure.Storage.Blobs.BlobServiceClient(azurite.Storage.ConnectionString));
        var options = new Dictionary<string, string>
        {
            ["steps"] = "12",
            ["sentences"] = "8",
            ["caption"] = "a dog",
            ["mode"] = "fanout",
            ["tasks"] = "dog2horse",
        };
        string id;
        await using (
            var first = await AzureStorageTaskHub.StartAsync(
                azurite.Storage,
                taskHub,
                PipelineConfiguration.For(azurite.Storage),
                activitySlots: 2
            )
        )
        {
            var blob = await Inbox.UploadAsync(blobs, "dog2cat/durable.png", TinyModel.Photo("dog_1.png"), options);
            id = (
                await first
                    .Services.GetRequiredService<InboxSubmission>()
                    .SubmitAsync(blob, first.Client, CancellationToken.None)
            ).InstanceId;

            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(180));
            while ((await ProgressBlob.ReadAsync(blobs, id, timeout.Token)) is not { Stage.Name: "edit", Step: > 0 })
                await Task.Delay(25, timeout.Token);
            Assert.Equal(
                OrchestrationRuntimeStatus.Running,
                (await first.Client.GetInstanceAsync(id, timeout.Token))!.RuntimeStatus
            );
        }
        Assert.False(await blobs.ExistsAsync(StorageLayout.Manifest(id), CancellationToken.None));

        await using var second = await AzureStorageTaskHub.StartAsync(
            azurite.Storage,
            taskHub,
            PipelineConfiguration.For(azurite.Storage),
            activitySlots: 2
        );
        await Results.AssertCompleteAsync(blobs, await Inbox.WaitAsync(second.Client, id), "dog2cat", "dog2horse");
    }
}
