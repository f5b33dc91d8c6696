using Azure.Storage.Blobs.Models;
using Microsoft.Extensions.DependencyInjection;
using Pix2PixZero.Functions.Storage;
using Pix2PixZero.Functions.Tests.Support;

namespace Pix2PixZero.Functions.Tests.Orchestrations;

/// <summary>
/// Storage that goes away in the middle of a request and comes back, as a restarted storage emulator or an outage does.
/// </summary>
[Collection(StorageCollection.Name)]
public sealed class StorageRestartTests
{
    [Fact]
    public async Task An_azurite_restart_in_the_middle_of_a_request_loses_nothing_and_duplicates_nothing()
    {
        await using var storage = await Azurite.StartAsync();
        // The inversion's second progress write: it is under way (its first step is written once, as step 0).
        var inverting = new StorageTap("PUT", "/progress.json", "\"invert\"") { SignalAt = 2 };
        await using var host = await PipelineTestHost.StartAsync(
            storage,
            new Dictionary<string, string?> { ["FirstRetryInterval"] = "00:00:02", ["ActivityAttempts"] = "8" },
            s => s.AddSingleton(StorageTap.Blobs(storage, inverting))
        );
        var options = new Dictionary<string, string>
        {
            ["steps"] = "60",
            ["sentences"] = "8",
            ["caption"] = "a cat",
            ["tasks"] = "cat2horse",
        };
        var upload = await host.UploadToInboxAsync("cat2dog/restart.png", TinyModel.Photo(), options);
        var id = (await host.SubmitAsync(upload)).InstanceId;
        await inverting.Reached.WaitAsync(TimeSpan.FromSeconds(180));

        // Down for longer than the storage client's own retries
        // last, so the outage reaches the activities and they retry.
        await storage.RestartAsync(down: TimeSpan.FromSeconds(25));

        var manifest = await Results.AssertCompleteAsync(host.Blobs, await host.WaitAsync(id), "cat2dog", "cat2horse");
        Assert.Equal(
            ["cat2dog.png", "cat2horse.png", StorageLayout.ManifestFile],
            await NamesAsync(host.Blobs, StorageLayout.Results, $"{id}/")
        );
        Assert.Equal(
            ["input.png", "inverted.p2pzinv", "progress.json", "results/cat2dog.png", "results/cat2horse.png"],
            (await NamesAsync(host.Blobs, StorageLayout.Work, $"{id}/")).Where(n =>
                !n.StartsWith("upload/", StringComparison.Ordinal)
            )
        );
        Assert.Equal(["cat", "dog", "horse"], manifest.Directions.Select(d => d.Word).Order());
        var means = (await NamesAsync(host.Blobs, StorageLayout.Directions, ""))
            .Where(n =>
                n.EndsWith(".p2pzmean", StringComparison.Ordinal) && !n.StartsWith("locks/", StringComparison.Ordinal)
            )
            .ToList();
        Assert.Equal(3, means.Count);
    }

    private static async Task<List<string>> NamesAsync(PipelineBlobs blobs, string container, string prefix)
    {
        var names = new List<string>();
        await foreach (var blob in blobs.Container(container).GetBlobsAsync(new GetBlobsOptions { Prefix = prefix }))
            names.Add(blob.Name[prefix.Length..]);
        return names.Order(StringComparer.Ordinal).ToList();
    }
}
