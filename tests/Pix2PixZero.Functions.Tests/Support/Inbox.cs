using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Microsoft.DurableTask.Client;
using Pix2PixZero.Functions.Storage;

namespace Pix2PixZero.Functions.Tests.Support;

/// <summary>Requests made as a user makes them (an upload into the blob inbox), and waiting for them to end.</summary>
public static class Inbox
{
    public static async Task<BlobClient> UploadAsync(
        PipelineBlobs blobs,
        string name,
        byte[] bytes,
        IDictionary<string, string>? metadata = null
    )
    {
        await blobs.EnsureContainersAsync();
        var blob = blobs.Client(new BlobRef(StorageLayout.Requests, name));
        await blob.UploadAsync(new BinaryData(bytes), new BlobUploadOptions { Metadata = metadata });
        return blob;
    }

    public static async Task<OrchestrationMetadata> WaitAsync(DurableTaskClient client, string id, int seconds = 240)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        return await client.WaitForInstanceCompletionAsync(id, getInputsAndOutputs: true, timeout.Token);
    }
}
