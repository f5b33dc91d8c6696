using Azure.Storage.Blobs.Models;
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
        await using var host = await PipelineTestHost.StartAsync(
            storage,
            new Dictionary<string, string?> { ["FirstRetryInterval"] = "00:00:02", ["ActivityAttempts"] = "8" }
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
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(180)))
            while (
                await ProgressBlob.ReadAsync(host.Blobs, id, timeout.Token) is not { Stage.Name: "invert", Step: > 0 }
            )
                await Task.Delay(25, timeout.Token);

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
