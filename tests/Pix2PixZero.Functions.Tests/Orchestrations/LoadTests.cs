using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Pix2PixZero.Functions.Hosting;
using Pix2PixZero.Functions.Storage;
using Pix2PixZero.Functions.Tests.Support;
using Xunit.Abstractions;

namespace Pix2PixZero.Functions.Tests.Orchestrations;

/// <summary>
/// Twenty requests at once on the tiny model: every one completes exactly once, model work never exceeds the
/// configured concurrency. Wall time and peak memory are printed (and written to artifacts/benchmarks/), not asserted.
/// </summary>
[Collection(StorageCollection.Name)]
public sealed class LoadTests(AzuriteFixture azurite, ITestOutputHelper output)
{
    private const int Requests = 20;

    [Fact]
    public async Task Twenty_requests_submitted_at_once_all_complete_once_within_the_model_concurrency()
    {
        await using var host = await PipelineTestHost.StartAsync(azurite.Storage);
        var settings = host.Services.GetRequiredService<AppSettings>();
        var options = new Dictionary<string, string>
        {
            ["steps"] = "4",
            ["sentences"] = "8",
            ["caption"] = "a photo of an owl",
            ["tasks"] = "owl2eagle",
        };
        var photos = new[] { "cat_1.png", "cat_2.png", "cat_3.png", "dog_1.png" };
        var uploads = await Task.WhenAll(
            Enumerable
                .Range(0, Requests)
                .Select(i =>
                    host.UploadToInboxAsync(
                        $"owl2eagle/load-{i:00}.png",
                        TinyModel.Photo(photos[i % photos.Length]),
                        options
                    )
                )
        );

        // Linux's peak resident size restarts here ("5" to clear_refs): the process-wide peak would include the
        // tests that ran before.
        await File.WriteAllTextAsync("/proc/self/clear_refs", "5");
        var clock = Stopwatch.StartNew();
        var submissions = await Task.WhenAll(uploads.Select(host.SubmitAsync));
        var instances = await Task.WhenAll(submissions.Select(s => host.WaitAsync(s.InstanceId, seconds: 600)));
        var wall = clock.Elapsed;
        var peakBytes = Process.GetCurrentProcess().PeakWorkingSet64;

        Assert.All(submissions, s => Assert.True(s.Started));
        Assert.Equal(Requests, submissions.Select(s => s.InstanceId).Distinct().Count());
        var manifests = new List<EditManifest>();
        foreach (var instance in instances)
            manifests.Add(await Results.AssertCompleteAsync(host.Blobs, instance, "owl2eagle"));
        Assert.Equal(uploads.Select(u => u.Name).Order(), manifests.Select(m => m.Input.Source.Name).Order());
        var published = new List<string>();
        await foreach (var blob in host.Blobs.Container(StorageLayout.Results).GetBlobsAsync())
            if (
                submissions.Any(s =>
                    blob.Name.StartsWith(StorageLayout.ResultPrefix(s.InstanceId), StringComparison.Ordinal)
                )
            )
                published.Add(blob.Name);
        Assert.Equal(2 * Requests, published.Count); // one PNG and one manifest each
        foreach (var word in new[] { "owl", "eagle" })
            Assert.Single(manifests, m => m.Directions.Single(d => d.Word == word).Computed);
        Assert.InRange(host.Model.PeakConcurrency, 1, settings.ModelConcurrency);

        var figures = new
        {
            requests = Requests,
            steps = 4,
            wallSeconds = Math.Round(wall.TotalSeconds, 1),
            secondsPerRequest = Math.Round(wall.TotalSeconds / Requests, 2),
            peakWorkingSetMiB = Math.Round(peakBytes / 1048576.0),
            modelConcurrency = settings.ModelConcurrency,
            peakModelConcurrency = host.Model.PeakConcurrency,
            activitySlots = Environment.ProcessorCount,
            processors = Environment.ProcessorCount,
        };
        var json = JsonSerializer.Serialize(figures, new JsonSerializerOptions { WriteIndented = true });
        output.WriteLine(json);
        var folder = Directory.CreateDirectory(Path.Combine(RepoPaths.Root, "artifacts", "benchmarks"));
        await File.WriteAllTextAsync(Path.Combine(folder.FullName, "functions-load.json"), json);
    }
}
