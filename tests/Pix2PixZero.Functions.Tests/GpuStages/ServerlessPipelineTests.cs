using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using Pix2PixZero.Core.Pipeline;
using Pix2PixZero.Functions.Storage;
using Pix2PixZero.Functions.Tests.Support;
using Pix2PixZero.Functions.Triggers;

namespace Pix2PixZero.Functions.Tests.GpuStages;

/// <summary>
/// The control plane (Durable test host, GPU stages queued) and GPU workers (their own hosts) on one Azurite: a GPU
/// stage reaches a worker only through the work queue, and its result reaches the request only through the completion
/// queue. Workers start after the work is queued, stop mid-stage, receive everything twice.
/// </summary>
[Collection(StorageCollection.Name)]
public sealed class ServerlessPipelineTests(AzuriteFixture azurite)
{
    private static readonly Dictionary<string, string> Options = new()
    {
        ["steps"] = "4",
        ["sentences"] = "4",
        ["caption"] = "a photo of a cat",
        ["tasks"] = "cat2dog",
    };

    private Azurite Storage => azurite.Storage;

    [Fact]
    public async Task A_request_waits_on_the_queue_with_no_worker_and_completes_once_a_worker_starts()
    {
        var enqueued = new StorageTap("POST", $"/{StorageQueues.Work}/messages");
        await using var plane = await ServerlessControlPlane.StartAsync(Storage, services: s =>
            s.AddSingleton(StorageTap.Queues(Storage, enqueued))
        );
        var id = await plane.SubmitAsync("cat2dog/scale-from-zero.png", Options);

        await enqueued.Reached.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.True(await plane.QueuedWorkAsync() >= 1);
        Assert.Equal(OrchestrationRuntimeStatus.Running, (await plane.Client.GetInstanceAsync(id))!.RuntimeStatus);

        // Progress written by the worker reaches the status API while the worker's inversion runs.
        var invertProgress = new StorageTap("PUT", "/progress.json", "\"invert\"") { HoldFirst = true };
        await using var worker = await GpuWorkerHost.StartAsync(Storage, services: s =>
            s.AddSingleton(StorageTap.Blobs(Storage, invertProgress))
        );
        await invertProgress.Reached.WaitAsync(TimeSpan.FromSeconds(120));
        var (_, status) = HttpRequests.Read(
            await plane
                .Host.Services.GetRequiredService<EditsApi>()
                .StatusAsync(HttpRequests.Get($"/api/edits/{id}"), id, plane.Client, default)
        );
        Assert.Equal("invert", status.GetProperty("stage").GetString());
        Assert.Equal("encode", status.GetProperty("progress").GetProperty("stage").GetString());

        var manifest = await Results.AssertCompleteAsync(plane.Blobs, await plane.Host.WaitAsync(id), "cat2dog");
        Assert.Equal(worker.Model.Provider, manifest.Provider);
        Assert.Equal(0, await plane.QueuedWorkAsync());
    }

    [Fact]
    public async Task A_worker_stopped_mid_edit_reports_nothing_and_a_restarted_worker_completes_the_request_once()
    {
        await using var plane = await ServerlessControlPlane.StartAsync(Storage);
        var id = await plane.SubmitAsync("cat2dog/worker-stopped.png", Options);
        var sent = await StopMidEditAsync();

        Assert.Equal(OrchestrationRuntimeStatus.Running, (await plane.Client.GetInstanceAsync(id))!.RuntimeStatus);
        Assert.Equal(3, sent.Count); // two word means and the inversion; the edit reported nothing
        Assert.False(await plane.Blobs.ExistsAsync(StorageLayout.StagedResult(id, "cat2dog"), default));
        Assert.Equal(1, await plane.QueuedWorkAsync()); // the edit's item, hidden until its visibility passes

        await using var second = await GpuWorkerHost.StartAsync(Storage);
        await Results.AssertCompleteAsync(plane.Blobs, await plane.Host.WaitAsync(id), "cat2dog");
        Assert.Equal(
            [StorageLayout.Result(id, "cat2dog").Name, StorageLayout.Manifest(id).Name], // listed by name
            await ResultBlobsAsync(plane.Blobs, id)
        );
        Assert.Equal(0, await plane.QueuedWorkAsync());
    }

    [Fact]
    public async Task A_work_item_delivered_more_times_than_allowed_fails_the_request_with_its_error_record()
    {
        await using var plane = await ServerlessControlPlane.StartAsync(Storage);
        var id = await plane.SubmitAsync("cat2dog/poison.png", Options);
        await StopMidEditAsync();

        await using var second = await GpuWorkerHost.StartAsync(
            Storage,
            new Dictionary<string, string?> { ["MaxDeliveries"] = "1" }
        );
        var error = await Results.AssertFailedAsync(plane.Blobs, await plane.Host.WaitAsync(id));

        Assert.Equal(("edit", EditError.Failed), (error.Stage.Name, error.Kind));
        Assert.Contains("was delivered 2 times and no GPU worker finished it", error.Message);
        Assert.Equal(0, await plane.QueuedWorkAsync());
    }

    [Fact]
    public async Task Every_work_item_and_every_completion_delivered_twice_still_make_one_result()
    {
        var workTwice = new StorageTap("POST", $"/{StorageQueues.Work}/messages") { SendTwice = true };
        var completionsTwice = new StorageTap("POST", $"/{StorageQueues.Completions}/messages") { SendTwice = true };
        await using var plane = await ServerlessControlPlane.StartAsync(Storage, services: s =>
            s.AddSingleton(StorageTap.Queues(Storage, workTwice))
        );
        var id = await plane.SubmitAsync("cat2dog/twice.png", Options);
        await using var worker = await GpuWorkerHost.StartAsync(Storage, services: s =>
            s.AddSingleton(StorageTap.Queues(Storage, completionsTwice))
        );

        var instance = await plane.Host.WaitAsync(id);

        var manifest = await Results.AssertCompleteAsync(plane.Blobs, instance, "cat2dog");
        Assert.Equal(
            [StorageLayout.Result(id, "cat2dog").Name, StorageLayout.Manifest(id).Name], // listed by name
            await ResultBlobsAsync(plane.Blobs, id)
        );
        Assert.Equal(8, workTwice.Count); // word means, inversion, edit: each sent twice
        Assert.True(completionsTwice.Count >= 8, $"{completionsTwice.Count} completions sent");
        Assert.Equal(manifest.Id, instance.ReadOutputAs<EditManifest>()!.Id);
    }

    [Fact]
    public async Task Twenty_concurrent_requests_through_two_workers_make_twenty_results_none_lost_or_doubled()
    {
        const int requests = 20;
        await using var plane = await ServerlessControlPlane.StartAsync(Storage);
        var photos = new[] { "cat_1.png", "cat_2.png", "cat_3.png", "dog_1.png" };
        // Words no other test uses: the word means stay in the shared storage, and each must be computed here once.
        var options = new Dictionary<string, string>(Options)
        {
            ["sentences"] = "8",
            ["caption"] = "a photo of a fox",
            ["tasks"] = "fox2wolf",
        };
        var ids = await Task.WhenAll(
            Enumerable
                .Range(0, requests)
                .Select(i => plane.SubmitAsync($"fox2wolf/serverless-{i:00}.png", options, photos[i % photos.Length]))
        );
        // Nothing is meant to reappear here: a visibility timeout that a busy machine's late renewal cannot miss.
        var patient = new Dictionary<string, string?> { ["WorkVisibility"] = "00:00:30" };
        await using var one = await GpuWorkerHost.StartAsync(Storage, patient);
        await using var two = await GpuWorkerHost.StartAsync(Storage, patient);

        var instances = await Task.WhenAll(ids.Select(id => plane.Host.WaitAsync(id, seconds: 900)));

        Assert.Equal(requests, ids.Distinct().Count());
        var manifests = new List<EditManifest>();
        foreach (var instance in instances)
            manifests.Add(await Results.AssertCompleteAsync(plane.Blobs, instance, "fox2wolf"));
        foreach (var id in ids)
            Assert.Equal(2, (await ResultBlobsAsync(plane.Blobs, id)).Count);
        foreach (var word in new[] { "fox", "wolf" })
            Assert.Single(manifests, m => m.Directions.Single(d => d.Word == word).Computed);
        Assert.Equal((1, 1), (one.Model.PeakConcurrency, two.Model.PeakConcurrency));
        Assert.Equal(0, await plane.QueuedWorkAsync());
    }

    [Fact]
    public async Task A_stage_that_no_worker_reports_within_the_timeout_fails_the_request()
    {
        await using var plane = await ServerlessControlPlane.StartAsync(
            Storage,
            new Dictionary<string, string?> { ["GpuStageTimeout"] = "00:00:03" }
        );
        var id = await plane.SubmitAsync("cat2dog/no-worker.png", Options);

        var error = await Results.AssertFailedAsync(plane.Blobs, await plane.Host.WaitAsync(id));

        Assert.Equal(("caption and directions", EditError.Failed), (error.Stage.Name, error.Kind));
        Assert.Contains("did not report back within 00:00:03", error.Message);
    }

    [Fact]
    public async Task A_cancel_marker_stops_the_running_gpu_stage_at_its_next_step_and_drops_its_work()
    {
        await using var plane = await ServerlessControlPlane.StartAsync(Storage);
        var id = await plane.SubmitAsync("cat2dog/cancelled.png", Options);
        var invertProgress = new StorageTap("PUT", "/progress.json", "\"invert\"") { HoldFirst = true };
        var completions = new StorageTap("POST", $"/{StorageQueues.Completions}/messages");
        // Two word means were taken and deleted before the inversion's item; its drop is the third delete.
        var deleted = new StorageTap("DELETE", $"/{StorageQueues.Work}/messages/") { SignalAt = 3 };
        await using var worker = await GpuWorkerHost.StartAsync(
            Storage,
            new Dictionary<string, string?> { ["WorkVisibility"] = "00:01:00" },
            s =>
            {
                s.AddSingleton(StorageTap.Blobs(Storage, invertProgress));
                s.AddSingleton(StorageTap.Queues(Storage, completions, deleted));
            }
        );
        await invertProgress.Reached.WaitAsync(TimeSpan.FromSeconds(120));

        // What the cancel API does (EditsApi.CancelAsync): terminate, then record the request's end.
        await plane.Client.TerminateInstanceAsync(id, "cancelled by the test");
        await plane.Blobs.RecordErrorAsync(
            new EditError(id, EditStage.Invert, EditError.Cancelled, "cancelled by the test", DateTimeOffset.UtcNow)
        );
        await deleted.Reached.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(2, completions.Count); // the word means'; the inversion reported nothing
        Assert.False(await plane.Blobs.ExistsAsync(StorageLayout.InvertedLatent(id), default));
        Assert.Equal(0, await plane.QueuedWorkAsync());
    }

    /// <summary>
    /// Runs a worker until its edit stage is under way (its first edit progress write is held), then stops it;
    /// returns its completion-queue tap.
    /// </summary>
    private async Task<StorageTap> StopMidEditAsync()
    {
        var editProgress = new StorageTap("PUT", "/progress.json", "\"edit\"") { HoldFirst = true };
        var completions = new StorageTap("POST", $"/{StorageQueues.Completions}/messages");
        var worker = await GpuWorkerHost.StartAsync(Storage, services: s =>
        {
            s.AddSingleton(StorageTap.Blobs(Storage, editProgress));
            s.AddSingleton(StorageTap.Queues(Storage, completions));
        });
        await editProgress.Reached.WaitAsync(TimeSpan.FromSeconds(120));
        await worker.StopAsync();
        await worker.DisposeAsync();
        return completions;
    }

    private static async Task<List<string>> ResultBlobsAsync(PipelineBlobs blobs, string id)
    {
        var names = new List<string>();
        await foreach (
            var blob in blobs
                .Container(StorageLayout.Results)
                .GetBlobsAsync(
                    new Azure.Storage.Blobs.Models.GetBlobsOptions { Prefix = StorageLayout.ResultPrefix(id) }
                )
        )
            names.Add(blob.Name);
        return names;
    }
}
