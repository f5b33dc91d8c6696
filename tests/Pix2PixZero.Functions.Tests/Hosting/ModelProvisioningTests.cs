using Microsoft.Extensions.DependencyInjection;
using Pix2PixZero.Core.Bundles;
using Pix2PixZero.Core.Hub;
using Pix2PixZero.Functions.Tests.Support;
using Pix2PixZero.Functions.Triggers;

namespace Pix2PixZero.Functions.Tests.Hosting;

/// <summary>
/// A worker whose model folder is empty and whose settings name a model pulls it on start (from a loopback hub with
/// the Hugging Face URL shape serving the tiny bundle) and then serves requests from it.
/// </summary>
[Collection(StorageCollection.Name)]
public sealed class ModelProvisioningTests(AzuriteFixture azurite) : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("p2pz-provision-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public async Task A_worker_pulls_its_model_on_first_start_when_the_settings_ask_and_then_edits_with_it()
    {
        using var hub = new LoopbackHub("tiny/sd-onnx", "onnx", LoopbackHub.ReadFolder(RepoPaths.TinySd));
        var folder = Path.Combine(_root, "models", "sd");
        await using var host = await PipelineTestHost.StartAsync(
            azurite.Storage,
            new Dictionary<string, string?>
            {
                ["ModelDirectory"] = folder,
                ["ModelPull"] = "tiny/sd-onnx@onnx",
                ["HubEndpoint"] = hub.Endpoint,
            }
        );

        var blob = await host.UploadToInboxAsync(
            "cat2dog/pulled.png",
            TinyModel.Photo(),
            new Dictionary<string, string> { ["steps"] = "3", ["sentences"] = "8" }
        );
        var submission = await host.SubmitAsync(blob);
        var manifest = await Results.AssertCompleteAsync(
            host.Blobs,
            await host.WaitAsync(submission.InstanceId),
            "cat2dog"
        );

        Assert.Empty(ModelBundleValidator.Validate(folder));
        Assert.Equal(Path.GetFullPath(folder), manifest.Model.Directory);
        Assert.Single(hub.Downloads("unet/weights.pb"), r => r.Server == "cdn");
    }

    [Fact]
    public async Task A_pulled_bundle_is_hashed_from_its_verified_pull_manifest_not_read_again()
    {
        using var hub = new LoopbackHub("tiny/sd-onnx", "onnx", LoopbackHub.ReadFolder(RepoPaths.TinySd));
        var folder = Path.Combine(_root, "models", "pulled");
        await new ModelPuller(new PullOptions { Endpoint = hub.Endpoint, DiskReserveBytes = 0 }).PullAsync(
            HubModelReference.Parse("tiny/sd-onnx@onnx"),
            folder
        );
        // What the pull verified stands for the file while it is unchanged: a marker in its place shows it is what the
        // worker reports, and that the 3.4 GB of a real UNet's weights are not read again.
        var pulled = PullManifest.TryRead(folder)!;
        var marker = new string('7', 64);
        (
            pulled with
            {
                Files = [.. pulled.Files.Select(f => f.Path == "unet/weights.pb" ? f with { Sha256 = marker } : f)],
            }
        ).Write(folder);
        await using var host = await PipelineTestHost.StartAsync(
            azurite.Storage,
            new Dictionary<string, string?> { ["ModelDirectory"] = folder }
        );

        await host.Model.LoadAsync(default);

        Assert.Equal(marker, host.Model.Hashes["unet/weights.pb"]);
        Assert.Equal(
            Core.Serialization.FileDigest.Sha256(Path.Combine(folder, "unet", "model.onnx")),
            host.Model.Hashes["unet/model.onnx"]
        );
    }

    [Fact]
    public async Task A_worker_without_a_bundle_or_a_model_to_pull_fails_requests_saying_which_setting_to_use()
    {
        await using var host = await PipelineTestHost.StartAsync(
            azurite.Storage,
            new Dictionary<string, string?>
            {
                ["ModelDirectory"] = Path.Combine(_root, "empty"),
                ["ActivityAttempts"] = "1",
            }
        );

        var blob = await host.UploadToInboxAsync(
            "cat2dog/no-model.png",
            TinyModel.Photo(),
            new Dictionary<string, string> { ["steps"] = "3" }
        );
        var submission = await host.SubmitAsync(blob);
        var error = await Results.AssertFailedAsync(host.Blobs, await host.WaitAsync(submission.InstanceId));

        Assert.Equal("failed", error.Kind);
        Assert.Contains("Pix2PixZero__ModelPull is not set", error.Message);
    }

    [Fact]
    public async Task The_directions_api_answers_503_while_the_model_is_being_pulled_and_when_it_cannot_be_loaded()
    {
        using var hub = new LoopbackHub("tiny/sd-onnx", "onnx", LoopbackHub.ReadFolder(RepoPaths.TinySd));
        hub.Stall("unet/weights.pb", afterBytes: 1024, times: 100);
        await using (
            var pulling = await PipelineTestHost.StartAsync(
                azurite.Storage,
                new Dictionary<string, string?>
                {
                    ["ModelDirectory"] = Path.Combine(_root, "stalled"),
                    ["ModelPull"] = "tiny/sd-onnx@onnx",
                    ["HubEndpoint"] = hub.Endpoint,
                }
            )
        )
        {
            var api = pulling.Services.GetRequiredService<DirectionsApi>();
            var (status, body) = HttpRequests.Read(
                await api.DescribeAsync(HttpRequests.Get("/api/directions/cat"), "cat", default)
            );
            Assert.Equal(503, status);
            Assert.Contains("still preparing its model", body.GetProperty("detail").GetString());
        }

        await using var empty = await PipelineTestHost.StartAsync(
            azurite.Storage,
            new Dictionary<string, string?> { ["ModelDirectory"] = Path.Combine(_root, "none") }
        );
        var (emptyStatus, emptyBody) = HttpRequests.Read(
            await empty
                .Services.GetRequiredService<DirectionsApi>()
                .ComputeAsync(HttpRequests.Json("/api/directions", new { word = "cat" }), empty.Client, default)
        );
        Assert.Equal(503, emptyStatus);
        Assert.Contains("Pix2PixZero__ModelPull is not set", emptyBody.GetProperty("detail").GetString());
    }
}
