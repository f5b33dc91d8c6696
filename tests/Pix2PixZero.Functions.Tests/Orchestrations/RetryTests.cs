using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Specialized;
using Microsoft.Extensions.DependencyInjection;
using Pix2PixZero.Functions.Storage;
using Pix2PixZero.Functions.Tests.Support;
using Pix2PixZero.Functions.Triggers;

namespace Pix2PixZero.Functions.Tests.Orchestrations;

[Collection(StorageCollection.Name)]
public sealed class RetryTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task An_activity_whose_storage_write_is_refused_once_is_retried_and_the_request_completes()
    {
        var refusals = new RefusedWrites();
        var options = new BlobClientOptions();
        options.AddPolicy(refusals, HttpPipelinePosition.PerCall);
        await using var host = await PipelineTestHost.StartAsync(azurite.Storage, services: s =>
            s.AddSingleton(new BlobServiceClient(azurite.Storage.ConnectionString, options))
        );

        var blob = await host.UploadToInboxAsync(
            "cat2dog/retry.png",
            TinyModel.Photo(),
            new Dictionary<string, string>
            {
                ["steps"] = "4",
                ["sentences"] = "8",
                ["caption"] = "a cat",
            }
        );
        var id = InboxSubmission.InstanceIdFor(
            blob.BlobContainerName,
            blob.Name,
            (await blob.GetPropertiesAsync()).Value.ETag.ToString()
        );
        // Another client holds a lease on the blob the inversion writes: Blob storage refuses the write (412), as it
        // would for any writer that lost a race, until the lease is released.
        var latent = host.Blobs.Client(StorageLayout.InvertedLatent(id));
        await latent.UploadAsync(BinaryData.Empty);
        var lease = latent.GetBlobLeaseClient();
        await lease.AcquireAsync(TimeSpan.FromSeconds(60));
        refusals.Watch(latent.Uri.AbsolutePath);

        Assert.True((await host.SubmitAsync(blob)).Started);
        var observed = await Task.WhenAny(refusals.First, host.WaitAsync(id));
        Assert.True(
            observed == refusals.First,
            "the request ended before its write was "
                + $"refused: {(await host.Client.GetInstanceAsync(id, true))?.FailureDetails}"
        );
        await lease.ReleaseAsync();

        await Results.AssertCompleteAsync(host.Blobs, await host.WaitAsync(id), "cat2dog");
        Assert.Equal(1, refusals.Count);
    }

    /// <summary>Observes (never alters) the storage responses: counts writes to one blob refused with 412.</summary>
    private sealed class RefusedWrites : HttpPipelineSynchronousPolicy
    {
        private readonly TaskCompletionSource _first = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private string? _path;
        private int _count;

        public Task First => _first.Task;

        public int Count => Volatile.Read(ref _count);

        public void Watch(string path) => _path = path;

        public override void OnReceivedResponse(HttpMessage message)
        {
            if (
                message.Request.Method == RequestMethod.Put
                && message.Request.Uri.ToUri().AbsolutePath == _path
                && message.Response.Status == 412
            )
            {
                Interlocked.Increment(ref _count);
                _first.TrySetResult();
            }
        }
    }
}
