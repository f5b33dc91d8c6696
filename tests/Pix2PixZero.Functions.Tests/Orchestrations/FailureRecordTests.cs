using Azure;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Storage.Blobs;
using Microsoft.Extensions.DependencyInjection;
using Pix2PixZero.Functions.Storage;
using Pix2PixZero.Functions.Tests.Support;
using Pix2PixZero.Functions.Triggers;

namespace Pix2PixZero.Functions.Tests.Orchestrations;

/// <summary>
/// Whatever stage a request fails in, it leaves <c>error.json</c> with that stage and its kind, and its status says
/// where it failed. Storage (Azurite) refuses the one blob call the stage makes, as a storage outage would.
/// </summary>
[Collection(StorageCollection.Name)]
public sealed class FailureRecordTests(AzuriteFixture azurite)
{
    private static readonly Dictionary<string, string> Fast = new() { ["steps"] = "2", ["sentences"] = "4" };

    [Theory]
    [InlineData("prepare", "PUT", "work/{id}/input.png")]
    [InlineData("caption and directions", "GET", "work/{id}/input.png")]
    [InlineData("invert", "PUT", "work/{id}/inverted.p2pzinv")]
    [InlineData("edit", "PUT", "work/{id}/results/cat2dog.png")]
    [InlineData("publish", "PUT", "edit-results/{id}/cat2dog.png")]
    public async Task A_request_failing_in_any_stage_leaves_error_json_naming_the_stage_and_a_status_error(
        string stage,
        string method,
        string blob
    )
    {
        var outage = new StorageOutage();
        var options = new BlobClientOptions();
        options.AddPolicy(outage, HttpPipelinePosition.PerCall);
        await using var host = await PipelineTestHost.StartAsync(
            azurite.Storage,
            new Dictionary<string, string?> { ["ActivityAttempts"] = "1" },
            s => s.AddSingleton(new BlobServiceClient(azurite.Storage.ConnectionString, options))
        );
        var upload = await host.UploadToInboxAsync(
            $"cat2dog/fails-in-{stage.Replace(' ', '-')}.png",
            TinyModel.Photo(),
            Fast
        );
        var id = InboxSubmission.InstanceIdFor(
            upload.BlobContainerName,
            upload.Name,
            (await upload.GetPropertiesAsync()).Value.ETag.ToString()
        );
        outage.Refuse(method, blob.Replace("{id}", id));

        Assert.True((await host.SubmitAsync(upload)).Started);
        var error = await Results.AssertFailedAsync(host.Blobs, await host.WaitAsync(id));

        Assert.Equal((stage, EditError.Failed), (error.Stage.Name, error.Kind));
        Assert.Contains("storage refused", error.Message);
        var api = host.Services.GetRequiredService<EditsApi>();
        var (_, status) = HttpRequests.Read(
            await api.StatusAsync(HttpRequests.Get($"/api/edits/{id}"), id, host.Client, default)
        );
        Assert.Equal("Failed", status.GetProperty("status").GetString());
        Assert.Equal($"failed in {stage}", status.GetProperty("stage").GetString());
        Assert.Equal(stage, status.GetProperty("error").GetProperty("stage").GetString());
    }

    [Fact]
    public async Task A_model_that_makes_nan_fails_the_invert_stage_at_once_as_failed_with_no_picture()
    {
        await using var host = await PipelineTestHost.StartAsync(
            azurite.Storage,
            new Dictionary<string, string?>
            {
                ["ModelDirectory"] = RepoPaths.CopyOfTinySdWithNonFiniteUnet(),
                ["FirstRetryInterval"] = "00:00:30",
            }
        );
        var upload = await host.UploadToInboxAsync(
            "cat2dog/nan.png",
            TinyModel.Photo(),
            new Dictionary<string, string>(Fast) { ["caption"] = "a cat" }
        );
        var started = DateTime.UtcNow;
        var submission = await host.SubmitAsync(upload);

        var error = await Results.AssertFailedAsync(host.Blobs, await host.WaitAsync(submission.InstanceId));

        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(30), "a run that makes NaN must not be retried");
        Assert.Equal(("invert", EditError.Failed), (error.Stage.Name, error.Kind));
        Assert.Contains("invert step 1 (timestep 1) produced NaN", error.Message);
        Assert.False(await host.Blobs.ExistsAsync(StorageLayout.InvertedLatent(submission.InstanceId), default));
    }

    [Fact]
    public async Task A_word_mean_gone_from_storage_before_the_edit_fails_the_edit_stage_at_once_as_failed()
    {
        var directions = new BlobServiceClient(azurite.Storage.ConnectionString).GetBlobContainerClient(
            StorageLayout.Directions
        );
        var options = new BlobClientOptions();
        options.AddPolicy(new MeansDeletedOnceStored(directions), HttpPipelinePosition.PerCall);
        await using var host = await PipelineTestHost.StartAsync(
            azurite.Storage,
            new Dictionary<string, string?> { ["FirstRetryInterval"] = "00:00:30" },
            s => s.AddSingleton(new BlobServiceClient(azurite.Storage.ConnectionString, options))
        );
        // Words no other test edits with: the directions container is shared by the tests, and a mean another test
        // stored before this one would be found and never deleted.
        var upload = await host.UploadToInboxAsync(
            "otter2heron/mean-gone.png",
            TinyModel.Photo(),
            new Dictionary<string, string>(Fast) { ["caption"] = "a cat" }
        );
        var started = DateTime.UtcNow;
        var submission = await host.SubmitAsync(upload);

        var error = await Results.AssertFailedAsync(host.Blobs, await host.WaitAsync(submission.InstanceId));

        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(30), "a mean that is gone must not be waited for");
        Assert.Equal(("edit", EditError.Failed), (error.Stage.Name, error.Kind));
        Assert.Contains("is missing from storage; submit the request again", error.Message);
    }

    /// <summary>
    /// Deletes each word mean as soon as it is stored, as someone clearing the directions container would.
    /// </summary>
    private sealed class MeansDeletedOnceStored(BlobContainerClient directions) : HttpPipelineSynchronousPolicy
    {
        public override void OnReceivedResponse(HttpMessage message)
        {
            var path = Uri.UnescapeDataString(message.Request.Uri.Path);
            var container = $"/{directions.Name}/";
            if (
                message.Request.Method == RequestMethod.Put
                && message.Response.Status == 201
                && path.EndsWith(".p2pzmean", StringComparison.Ordinal)
            )
                directions.DeleteBlob(path[(path.IndexOf(container, StringComparison.Ordinal) + container.Length)..]);
        }
    }

    /// <summary>
    /// Refuses one blob call (method and path) with 503 before it reaches storage, every time it is made.
    /// </summary>
    private sealed class StorageOutage : HttpPipelinePolicy
    {
        private string? _method;
        private string? _path;

        public void Refuse(string method, string blob) => (_method, _path) = (method, "/" + blob);

        public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
        {
            Check(message);
            ProcessNext(message, pipeline);
        }

        public override ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
        {
            Check(message);
            return ProcessNextAsync(message, pipeline);
        }

        private void Check(HttpMessage message)
        {
            var path = message.Request.Uri.Path;
            if (
                _path is not null
                && message.Request.Method.Method == _method
                && Uri.UnescapeDataString(path).EndsWith(_path, StringComparison.Ordinal)
            )
                throw new RequestFailedException(
                    503,
                    $"storage refused {message.Request.Method} {_path} (a storage outage made by the test)"
                );
        }
    }
}
