using Microsoft.DurableTask.Client;
using Pix2PixZero.Functions.Storage;
using SixLabors.ImageSharp;

namespace Pix2PixZero.Functions.Tests.Support;

/// <summary>What a finished request left in storage, read back the way a user would.</summary>
public static class Results
{
    public static async Task<EditManifest> AssertCompleteAsync(
        PipelineBlobs blobs,
        OrchestrationMetadata instance,
        params string[] tasks
    )
    {
        Assert.True(
            instance.RuntimeStatus == OrchestrationRuntimeStatus.Completed,
            $"{instance.InstanceId} ended {instance.RuntimeStatus}: "
                + $"{instance.FailureDetails?.ErrorType}: {instance.FailureDetails?.ErrorMessage}"
        );
        var manifest = await blobs.ReadJsonAsync<EditManifest>(
            StorageLayout.Manifest(instance.InstanceId),
            CancellationToken.None
        );
        Assert.NotNull(manifest);
        Assert.Equal(instance.InstanceId, manifest.Id);
        Assert.Equal(tasks.Order(), manifest.Results.Select(r => r.Task).Order());
        foreach (var result in manifest.Results)
        {
            Assert.Equal(StorageLayout.Result(instance.InstanceId, result.Task), result.Image);
            using var image = Image.Load(await blobs.ReadAsync(result.Image, CancellationToken.None));
            Assert.Equal((result.Record.ResultWidth, result.Record.ResultHeight), (image.Width, image.Height));
        }
        Assert.False(await blobs.ExistsAsync(StorageLayout.Error(instance.InstanceId), CancellationToken.None));
        return manifest;
    }

    public static async Task<EditError> AssertFailedAsync(PipelineBlobs blobs, OrchestrationMetadata instance)
    {
        Assert.Equal(OrchestrationRuntimeStatus.Failed, instance.RuntimeStatus);
        var error = await blobs.ReadJsonAsync<EditError>(
            StorageLayout.Error(instance.InstanceId),
            CancellationToken.None
        );
        Assert.NotNull(error);
        var left = new List<string>();
        await foreach (
            var blob in blobs
                .Container(StorageLayout.Results)
                .GetBlobsAsync(
                    new Azure.Storage.Blobs.Models.GetBlobsOptions
                    {
                        Prefix = StorageLayout.ResultPrefix(instance.InstanceId),
                    }
                )
        )
            left.Add(blob.Name);
        Assert.Equal([StorageLayout.Error(instance.InstanceId).Name], left);
        return error;
    }
}
